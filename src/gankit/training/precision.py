"""Mixed precision: autocast contexts and the fp16 gradient scaler."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch

from gankit import cpu
from gankit.errors import ConfigError

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


AutocastFactory = Callable[[], contextlib.AbstractContextManager[None]]


def autocast_factory(precision: str, device: torch.device) -> AutocastFactory:
    """A zero-argument factory of autocast contexts for ``precision`` on ``device``."""
    if precision == "fp32":
        return contextlib.nullcontext
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError("train.precision=fp16 needs a CUDA device; use bf16 on the CPU.")
    dtype = _DTYPES[precision]
    cpu.warn_if_bf16_emulated(dtype, device, f"train.precision={precision}")
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def make_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """fp16 needs loss scaling against underflow; bf16 has fp32's range and does not."""
    if precision == "fp16":
        return torch.amp.GradScaler(device.type)
    return None
