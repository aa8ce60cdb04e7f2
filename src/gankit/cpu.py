"""What this CPU can do natively, so that fast paths are only taken where they exist."""

from __future__ import annotations

import functools
import warnings

import torch


@functools.cache
def has_native_bf16() -> bool:
    """True when oneDNN runs bf16 convolutions natively (AVX-512 BW/VL/DQ, AVX-NE-CONVERT or AMX).

    On other CPUs (AVX2-only parts such as many AMD EPYC and laptop chips) PyTorch still computes
    bf16, but through slow reference kernels, and oneDNN's fused convolution refuses bf16 outright.
    """
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def warn_if_bf16_emulated(dtype: torch.dtype, device: torch.device, setting: str) -> None:
    """Tell the user that the bf16 they asked for (``setting``) is slower than fp32 on this CPU.

    bf16 on CPU is purely a speed choice, so it is honoured but never silently slow.
    """
    if dtype == torch.bfloat16 and device.type == "cpu" and not has_native_bf16():
        warnings.warn(
            f"{setting}: this CPU has no native bf16 support (oneDNN needs AVX-512 or "
            "AVX-NE-CONVERT), so bf16 runs through slow reference kernels; fp32 is faster here.",
            RuntimeWarning,
            stacklevel=3,
        )
