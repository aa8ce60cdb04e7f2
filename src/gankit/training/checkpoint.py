"""Checkpoints: atomic saves, safe loads, and rebuilding a generator from one.

A checkpoint carries the fully resolved config, the image shape and class count, so sampling,
evaluation and resuming rebuild the exact model without the original recipe (nanoGPT's
lesson). Loading uses ``torch.load(weights_only=True)`` only: a crafted pickle cannot run code.
"""

from __future__ import annotations

import os
import pickle
import pickletools
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gankit.atomic import atomic_torch_save, atomic_write_bytes
from gankit.errors import CheckpointError
from gankit.rundir import RunDir

FORMAT = "gankit-checkpoint"
VERSION = 1
ZIP_MAGIC = b"PK\x03\x04"
# What sampling and resuming read; Trainer.state_dict always writes all of them.
REQUIRED_KEYS = (
    "config",
    "image_shape",
    "num_classes",
    "generator",
    "discriminator",
    "opt_g",
    "opt_d",
    "step",
    "batches",
)
# Globals a genuine torch checkpoint references (only used to word the refusal message).
_SAFE_GLOBAL_PREFIXES = ("torch.", "collections.OrderedDict", "_codecs.encode")


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``state`` atomically; on a full disk or read-only folder the old file survives."""
    state = {"format": FORMAT, "version": VERSION, **state}
    try:
        atomic_torch_save(state, path)
    except OSError as exc:
        raise CheckpointError(
            f"Could not write checkpoint '{path}' ({exc.strerror or exc}), the previous one is "
            "intact; free disk space or make the run directory writable."
        ) from exc


def load_checkpoint(path: str | os.PathLike[str], map_location: str = "cpu") -> dict[str, Any]:
    """Load a gankit checkpoint safely, turning every failure into one clear sentence.

    gankit only ever writes PyTorch's zip format, so anything else is refused before any
    unpickling happens. Inside a zip, ``torch.load(weights_only=True)`` refuses globals outside
    its allow-list; the pickle stream is then scanned (never executed) to tell the user whether
    the file was crafted to import code or is simply damaged -- the fixes differ.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint '{path}' does not exist.")
    corrupt = CheckpointError(
        f"Checkpoint '{path}' is truncated or corrupt; use another one from its checkpoints/ "
        "folder."
    )
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(ZIP_MAGIC))
        if magic != ZIP_MAGIC:
            # Not the zip format gankit writes: never unpickle it, only say which problem it is.
            _refuse_if_code(path, _pickle_globals(path.read_bytes()))
            raise corrupt
    except OSError as exc:
        raise CheckpointError(
            f"Cannot read checkpoint '{path}' ({exc.strerror or exc}); check its permissions."
        ) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's advice on weights_only is not for users
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        _refuse_if_code(path, _zip_pickle_globals(path), cause=exc)
        raise corrupt from exc
    except Exception as exc:  # a damaged archive raises many unrelated types (KeyError, OSError...)
        raise corrupt from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"'{path}' is not a gankit checkpoint; pass a run directory or a .pt file written "
            "by gankit train."
        )
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing:
        raise CheckpointError(
            f"Checkpoint '{path}' lacks {', '.join(missing)}, so it is damaged; use another one "
            "from its checkpoints/ folder."
        )
    return state


def _refuse_if_code(path: Path, names: list[str] | None, cause: Exception | None = None) -> None:
    """Raise the 'crafted file' error when a well-formed pickle imports non-tensor globals."""
    if names is None:
        return
    unsafe = sorted({n for n in names if not n.startswith(_SAFE_GLOBAL_PREFIXES)})
    if not unsafe and cause is None:
        return
    what = f"imports {', '.join(unsafe[:3])}" if unsafe else "contains Python objects"
    raise CheckpointError(
        f"Refusing to load '{path}': it {what}, which could run code, so nothing in it was "
        "executed; only use checkpoints written by gankit from a source you trust."
    ) from cause


def _zip_pickle_globals(path: Path) -> list[str] | None:
    """Globals named by the ``data.pkl`` stream of a torch zip checkpoint (None if unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith("/data.pkl")), None)
            if name is None:
                return None
            return _pickle_globals(archive.read(name))
    except (OSError, zipfile.BadZipFile, ValueError):
        return None


def _pickle_globals(data: bytes) -> list[str] | None:
    """``module.name`` of every global a pickle stream imports, read without executing it.

    Returns None when ``data`` is not a well-formed pickle (random bytes, truncation). Strings
    are tracked through the memo because protocol 4+ pickles push a ``STACK_GLOBAL``'s module
    and name as (possibly memoized) strings.
    """
    names: list[str] = []
    strings: list[str] = []
    memo: dict[int, Any] = {}
    last: Any = None
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            op = opcode.name
            if op in ("GLOBAL", "INST"):
                names.append(str(arg).replace(" ", "."))
            elif op == "STACK_GLOBAL":
                names.append(".".join(strings[-2:]) if len(strings) >= 2 else "<unknown>")
            if op == "MEMOIZE":
                memo[len(memo)] = last
            elif op in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = last
            elif op in ("GET", "BINGET", "LONG_BINGET"):
                last = memo.get(int(arg))
                if isinstance(last, str):
                    strings.append(last)
            elif isinstance(arg, str) and ("UNICODE" in op or "STRING" in op):
                last = arg
                strings.append(arg)
            else:
                last = None
    except Exception:  # genops raises ValueError and friends on anything malformed
        return None
    return names


def load_module_state(module: nn.Module, state: dict[str, Any], what: str, path: Any) -> None:
    """``load_state_dict`` with an architecture mismatch reported as a CheckpointError."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError, ValueError) as exc:  # damaged dicts too
        raise CheckpointError(
            f"The {what} in '{path}' does not match the model config it is loaded with; when "
            "resuming, drop model.* overrides (or start a new run directory)."
        ) from exc


def resolve_checkpoint(run_or_ckpt: str | os.PathLike[str], prefer: str = "last") -> Path:
    """Accept a run directory or a checkpoint file; in a run pick ``checkpoints/<prefer>.pt``:
    ``last``, ``best`` (``last`` when there is none) or a step whose periodic copy was kept
    (``50000`` -> ``step_0050000.pt``), so a curve's checkpoint is named by its step."""
    path = Path(run_or_ckpt)
    if path.is_file():
        return path
    if path.is_dir():
        folder = path / "checkpoints"
        if prefer.isdigit():
            return _step_checkpoint(folder, int(prefer))
        for name in (f"{prefer}.pt", "last.pt"):
            if (folder / name).is_file():
                return folder / name
        raise CheckpointError(
            f"'{path}' holds no checkpoints/last.pt; is it a gankit run directory?"
        )
    raise CheckpointError(f"'{path}' is neither a run directory nor a checkpoint file.")


def periodic_copy_name(step: int) -> str:
    """``step_0050000.pt``: the file name of the periodic copy of ``step`` (zero-padded, so
    names sort by step)."""
    return f"step_{step:07d}.pt"


def _step_checkpoint(folder: Path, step: int) -> Path:
    """The periodic copy of ``step`` in ``folder``; the error lists the steps that were kept."""
    wanted = folder / periodic_copy_name(step)
    if wanted.is_file():
        return wanted
    kept = sorted(int(p.stem[len("step_") :]) for p in folder.glob("step_*.pt"))
    listing = ", ".join(map(str, kept)) if kept else "none"
    raise CheckpointError(
        f"No checkpoint of step {step} in '{folder}'; the steps kept are: {listing} "
        "(train.checkpoint_every and train.keep_checkpoints set which are kept)."
    )


_WRAPPERS: tuple[type[nn.Module], ...] = (nn.DataParallel, nn.parallel.DistributedDataParallel)


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module under ``torch.compile`` and (D)DP wrappers (state dicts stay portable)."""
    while True:
        if isinstance(getattr(module, "_orig_mod", None), nn.Module):
            module = module._orig_mod  # type: ignore[assignment]
        elif isinstance(module, _WRAPPERS):
            module = module.module
        else:
            return module


def keep_periodic_copy(run: RunDir, step: int, keep: int) -> None:
    """Hard-link ``last.pt`` as ``step_XXXXXXX.pt`` (copy if links fail); keep the newest
    ``keep`` such copies."""
    target = run.checkpoints / periodic_copy_name(step)
    target.unlink(missing_ok=True)
    try:
        os.link(run.last, target)
    except OSError:
        atomic_write_bytes(target, run.last.read_bytes())
    periodic = sorted(run.checkpoints.glob("step_*.pt"))
    for old in periodic[:-keep]:
        old.unlink(missing_ok=True)
