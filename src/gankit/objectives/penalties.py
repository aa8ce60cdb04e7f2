"""Discriminator regularisers: WGAN-GP gradient penalty, R1, and WGAN weight clipping.

Two bugs are common in GAN code and avoided here on purpose:

* the interpolation coefficient of WGAN-GP must be drawn *per sample* (shape ``[N, 1, 1, ...]``),
  not once per batch or per pixel, and the gradient norm must be taken per sample over *all*
  non-batch dimensions (``flatten(1)``), not over channels only or over the whole batch;
* penalties must not assume 3 channels or image inputs: everything here works for any tensor
  ``[N, ...]`` (grey or colour images, flat MLP inputs).

Under ``torch.autocast`` (bf16 / fp16) the critic runs in reduced precision, but the
interpolates are built in float32 and the gradients are upcast before the norm, so
``(||g|| - 1)^2`` is not computed from 8-bit mantissas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

_REDUCED = (torch.float16, torch.bfloat16)


def adversarial_output(out: Any) -> Tensor:
    """The adversarial logits of a discriminator call: ``d(x)`` may return a tensor or a tuple
    ``(adv_logits, class_logits)`` (the gankit discriminator contract)."""
    return out[0] if isinstance(out, tuple | list) else out


def _work_dtype(*tensors: Tensor) -> torch.dtype:
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return torch.float32 if dtype in _REDUCED or not dtype.is_floating_point else dtype


def _per_sample_grad_sq_norm(outputs: Tensor, inputs: Tensor) -> Tensor:
    """||d sum(outputs) / d inputs_i||^2 for every sample i, differentiable (create_graph).

    Summing the outputs is exact for per-sample gradients because sample i's output depends
    only on input i (true for any discriminator without cross-sample layers; batch-norm
    critics break this, which is why WGAN-GP critics use layer norm or none).
    """
    (grad,) = torch.autograd.grad(
        outputs=outputs.float().sum(), inputs=inputs, create_graph=True, only_inputs=True
    )
    grad = grad.float() if grad.dtype in _REDUCED else grad
    return grad.flatten(1).pow(2).sum(dim=1)


def gradient_penalty(
    critic: Callable[..., Any],
    real: Tensor,
    fake: Tensor,
    *,
    y: Tensor | None = None,
    weight: float = 10.0,
    target: float = 1.0,
    eps: float = 1e-12,
) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``weight * E[(||grad D(x_hat)||_2 - target)^2]``.

    ``x_hat = alpha * real + (1 - alpha) * fake`` with one ``alpha ~ U(0, 1)`` per sample,
    broadcast over every non-batch dimension. ``y`` (the real labels) is passed to conditional
    critics. ``fake`` is detached here: the penalty trains the critic only. ``eps`` keeps the
    square root differentiable when a gradient is exactly zero.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} differ in shape")
    dtype = _work_dtype(real, fake)
    real_ = real.detach().to(dtype)
    fake_ = fake.detach().to(dtype)
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=dtype)
    x_hat = torch.lerp(fake_, real_, alpha).requires_grad_(True)
    out = adversarial_output(critic(x_hat) if y is None else critic(x_hat, y))
    sq_norm = _per_sample_grad_sq_norm(out, x_hat)
    norm = (sq_norm + eps).sqrt()
    return weight * (norm - target).pow(2).mean()


def r1_penalty(real_logits: Tensor, real_inputs: Tensor, *, gamma: float) -> Tensor:
    """R1 (Mescheder et al. 2018): ``gamma / 2 * E[||grad_x D(x)||^2]`` on real data.

    Takes the logits already computed for the real loss, so no extra forward pass is needed:
    the caller must have set ``real_inputs.requires_grad_(True)`` before calling D.
    """
    if not real_inputs.requires_grad:
        raise ValueError("r1_penalty needs real_inputs.requires_grad_(True) before the D call")
    return 0.5 * gamma * _per_sample_grad_sq_norm(real_logits, real_inputs).mean()


def r1_penalty_from(
    critic: Callable[..., Any], real: Tensor, *, y: Tensor | None = None, gamma: float
) -> Tensor:
    """R1 with its own forward pass (convenience for code that has no real logits at hand)."""
    x = real.detach().requires_grad_(True)
    out = adversarial_output(critic(x) if y is None else critic(x, y))
    return r1_penalty(out, x, gamma=gamma)


@torch.no_grad()
def clip_weights(module: nn.Module, clip: float) -> None:
    """WGAN (Arjovsky et al. 2017): clamp every parameter to ``[-clip, clip]`` in place.

    Called after each discriminator optimizer step. Uses fused foreach kernels (one launch
    per dtype/device group instead of one per tensor).
    """
    if clip <= 0:
        return
    params = [p for p in module.parameters()]
    if not params:
        return
    torch._foreach_clamp_min_(params, -clip)
    torch._foreach_clamp_max_(params, clip)
