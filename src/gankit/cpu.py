"""What this machine offers a run: its CPU's native kernels, the cores it may use, its device.

Fast paths are only taken where they exist, and a run only asks for what it was given (the
affinity mask, not the machine's core count; a device that is visible).
"""

from __future__ import annotations

import functools
import os
import platform
import warnings

import torch

from gankit.errors import ConfigError


def usable_cores() -> int:
    """Cores this process may use: OMP_NUM_THREADS if set, else the CPU affinity mask."""
    explicit = int(os.environ.get("OMP_NUM_THREADS") or 0)
    if explicit:
        return explicit
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pick_device(name: str) -> torch.device:
    """``auto`` means CUDA when present; an unavailable device is a config error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"train.device={name} but no CUDA device is visible; use cpu or auto.")
    return torch.device(name)


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


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), so a measured speed names the CPU it came from.

    Virtual machines often report a short name ("AMD EPYC"); ``has_native_bf16`` then says more.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"
