"""Latent-space interpolation for "walk between two samples" grids.

Gaussian latents live near a sphere of radius ~sqrt(z_dim); a straight line between two of them
passes through lower-norm points the generator rarely saw, which shows up as washed-out middle
frames. Spherical interpolation follows the great circle between the directions and moves the
norm linearly from one endpoint's to the other's, so every intermediate latent is typical.
"""

from __future__ import annotations

from typing import Any

import torch

_PARALLEL_EPS = 1e-6


def slerp(a: torch.Tensor, b: torch.Tensor, t: Any) -> torch.Tensor:
    """Spherical interpolation between latent batches ``a`` and ``b`` (``[..., D]``).

    ``t`` is a float or a tensor broadcastable against ``a.shape[:-1]`` (e.g. ``[N]`` for one
    weight per row, or ``[T]`` with ``a``/``b`` of shape ``[D]`` for a whole path). ``t = 0``
    returns ``a`` and ``t = 1`` returns ``b``; the direction moves along the great circle and
    the norm linearly between ``|a|`` and ``|b|``. Nearly parallel (or zero) pairs fall back to
    linear interpolation, where the great circle is undefined or numerically unstable.
    """
    a = torch.as_tensor(a)
    b = torch.as_tensor(b, device=a.device)
    out_dtype = torch.promote_types(a.dtype, b.dtype)
    if not out_dtype.is_floating_point:
        out_dtype = torch.get_default_dtype()
    # float64 internally: arccos near +-1 loses precision fast in float32.
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    tt = torch.as_tensor(t, dtype=torch.float64, device=a.device).unsqueeze(-1)
    na = a64.norm(dim=-1, keepdim=True)
    nb = b64.norm(dim=-1, keepdim=True)
    ua = a64 / na.clamp_min(1e-12)
    ub = b64 / nb.clamp_min(1e-12)
    cos = (ua * ub).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    spherical = sin > _PARALLEL_EPS
    sin_safe = torch.where(spherical, sin, torch.ones_like(sin))
    direction = (torch.sin((1.0 - tt) * omega) * ua + torch.sin(tt * omega) * ub) / sin_safe
    out_sph = direction * ((1.0 - tt) * na + tt * nb)
    out_lin = (1.0 - tt) * a64 + tt * b64
    degenerate = ~spherical | (na <= 1e-12) | (nb <= 1e-12)
    return torch.where(degenerate, out_lin, out_sph).to(out_dtype)


def interpolation_latents(
    z_dim: int,
    rows: int,
    steps: int,
    generator: torch.Generator | int | None = None,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``[rows * steps, z_dim]`` latents: each row slerps between two random N(0, I) latents.

    Row-major, so ``make_grid_uint8(G(z), nrow=steps)`` shows one interpolation per grid row,
    first column = start, last column = end. ``generator`` is a ``torch.Generator`` (or an int
    seed) for reproducible endpoints.
    """
    if z_dim < 1 or rows < 1 or steps < 1:
        raise ValueError("z_dim, rows and steps must all be >= 1")
    if isinstance(generator, int):
        generator = torch.Generator().manual_seed(generator)
    ends = torch.randn(2, rows, z_dim, generator=generator, dtype=torch.float64)
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64) if steps > 1 else torch.zeros(1)
    path = slerp(ends[0][:, None, :], ends[1][:, None, :], t[None, :].to(torch.float64))
    return path.reshape(rows * steps, z_dim).to(device=device, dtype=dtype)
