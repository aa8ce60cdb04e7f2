"""Mixed precision: autocast contexts and the fp16 gradient scaler."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

import torch

from gankit.cpu import BF16_SLOW_WARNING, has_native_bf16
from gankit.errors import ConfigError

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


AutocastFactory = Callable[[], contextlib.AbstractContextManager[None]]


def autocast_factory(precision: str, device: torch.device) -> AutocastFactory:
    """A zero-argument factory of autocast contexts for ``precision`` on ``device``."""
    if precision == "fp32":
        return contextlib.nullcontext
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError("train.precision=fp16 needs a CUDA device; use bf16 on the CPU.")
    if precision == "bf16" and device.type == "cpu" and not has_native_bf16():
        warnings.warn(f"train.precision=bf16: {BF16_SLOW_WARNING}", RuntimeWarning, stacklevel=2)
    dtype = _DTYPES[precision]
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def make_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """fp16 needs loss scaling against underflow; bf16 has fp32's range and does not."""
    if precision == "fp16":
        return torch.amp.GradScaler(device.type)
    return None
