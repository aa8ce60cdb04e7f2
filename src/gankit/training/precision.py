"""Mixed precision: autocast contexts, the fp16 gradient scaler, and what ``auto`` becomes.

``train.precision=auto`` (the default) is resolved once, when a run starts, to ``fp32`` or
``bf16``; the trainer writes the resolved value into the run's config, so a resume (on any
machine) keeps it and exact resume holds. The policy:

- CPU with native bf16 (oneDNN on AVX-512 or AMX, :func:`gankit.cpu.has_native_bf16`): a short
  probe times this very model and batch in fp32 and in bf16; bf16 is taken only when it is at
  least :data:`MIN_BF16_SPEEDUP` times faster. Small models can be slower in bf16 (the casts
  cost more than the narrower arithmetic saves), which is why the choice is measured.
- CPU without it: fp32 (bf16 runs through slow reference kernels there).
- CUDA with bf16 tensor cores (compute capability 8.0 and later, Ampere onwards): the same
  probe decides. Older GPUs: fp32, as before. fp16 is never chosen automatically: it needs loss
  scaling and changes a GAN's numerics more than bf16 does, so it stays an explicit choice.
- Any other device: fp32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from gankit import cpu
from gankit.errors import ConfigError

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}

# bf16 rounds activations to 8 mantissa bits; take it only for a clear speed gain, so that
# run-to-run timing noise on a model where both are about as fast does not flip the choice.
MIN_BF16_SPEEDUP = 1.10


AutocastFactory = Callable[[], contextlib.AbstractContextManager[None]]


def autocast_factory(precision: str, device: torch.device) -> AutocastFactory:
    """A zero-argument factory of autocast contexts for ``precision`` on ``device``."""
    if precision == "fp32":
        return contextlib.nullcontext
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError("train.precision=fp16 needs a CUDA device; use bf16 on the CPU.")
    if precision not in _DTYPES:
        raise ConfigError(
            f"train.precision={precision} has no autocast; resolve 'auto' to fp32 or bf16 first."
        )
    dtype = _DTYPES[precision]
    cpu.warn_if_bf16_emulated(dtype, device, f"train.precision={precision}")
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def make_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """fp16 needs loss scaling against underflow; bf16 has fp32's range and does not."""
    if precision == "fp16":
        return torch.amp.GradScaler(device.type)
    return None


@dataclass(frozen=True)
class PrecisionChoice:
    """The precision a run trains in, what was asked for, and why (for the log and summary)."""

    precision: str
    requested: str
    reason: str
    probe_img_per_s: dict[str, float] | None = None  # precision -> images/s, when probed
    probe_seconds: float | None = None
    hardware: str = ""  # the CPU model or GPU name the choice was made on

    @property
    def probed(self) -> bool:
        return self.probe_img_per_s is not None

    def describe(self) -> str:
        """One log line: ``precision: auto -> bf16 on <CPU> (probe fp32 90 img/s, bf16 140...)``."""
        head = (
            f"precision: {self.requested} -> {self.precision}"
            if self.requested != self.precision
            else f"precision: {self.precision}"
        )
        if self.hardware:
            head = f"{head} on {self.hardware}"
        if self.probe_img_per_s:
            speeds = ", ".join(f"{k} {v:.0f} img/s" for k, v in self.probe_img_per_s.items())
            return f"{head} (probe {speeds} in {self.probe_seconds:.1f} s; {self.reason})"
        return f"{head} ({self.reason})"

    def summary(self) -> dict[str, Any]:
        """Fields for the JSON summary and the ``precision`` event of ``metrics.jsonl``."""
        return {
            "precision": self.precision,
            "precision_requested": self.requested,
            "precision_reason": self.reason,
            "precision_probe_img_per_s": (
                {k: round(v, 1) for k, v in self.probe_img_per_s.items()}
                if self.probe_img_per_s
                else None
            ),
            "precision_probe_s": (
                round(self.probe_seconds, 2) if self.probe_seconds is not None else None
            ),
            "precision_hardware": self.hardware,
        }


def bf16_worth_probing(device: torch.device) -> tuple[bool, str]:
    """Whether ``device`` runs bf16 natively (so a probe may pick it), with the reason."""
    if device.type == "cpu":
        if cpu.has_native_bf16():
            return True, "CPU with native bf16"
        return False, "this CPU has no native bf16 (oneDNN needs AVX-512 or AMX)"
    if device.type == "cuda":
        major, _minor = torch.cuda.get_device_capability(device)
        if major >= 8 and torch.cuda.is_bf16_supported(including_emulation=False):
            return True, "GPU with bf16 tensor cores"
        return False, "GPU without bf16 tensor cores (before compute capability 8.0)"
    return False, f"no bf16 autocast policy for device type '{device.type}'"


def device_name(device: torch.device) -> str:
    """The CPU model or GPU name, recorded beside the choice (speeds differ between them)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        return cpu.cpu_model()
    return device.type


def faster_precision(img_per_s: dict[str, float]) -> tuple[str, str]:
    """bf16 when the probe measured it at least MIN_BF16_SPEEDUP times fp32's speed."""
    ratio = img_per_s["bf16"] / img_per_s["fp32"]
    if ratio >= MIN_BF16_SPEEDUP:
        return "bf16", f"bf16 {ratio:.2f}x fp32"
    return "fp32", f"bf16 only {ratio:.2f}x fp32, below {MIN_BF16_SPEEDUP:.2f}x"


def resolve_precision(
    requested: str,
    device: torch.device,
    probe: Callable[[], tuple[dict[str, float], float]],
) -> PrecisionChoice:
    """Turn ``requested`` into the precision to train in; only ``auto`` calls ``probe``.

    ``probe`` returns (images/s per precision for ``fp32`` and ``bf16``, seconds it took).
    """
    hardware = device_name(device)
    if requested != "auto":
        return PrecisionChoice(requested, requested, "set in the config", hardware=hardware)
    worth, why = bf16_worth_probing(device)
    if not worth:
        return PrecisionChoice("fp32", requested, why, hardware=hardware)
    speeds, seconds = probe()
    choice, how = faster_precision(speeds)
    return PrecisionChoice(choice, requested, f"{why}; {how}", dict(speeds), seconds, hardware)
