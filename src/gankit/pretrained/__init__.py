"""Generators that ship inside the package, so a fresh install can sample with no data and no
training: ``gankit sample pretrained:best-fashion`` or ``gankit.api.load_pretrained(...)``.

Each is one safetensors file in this folder written by ``gankit export --half``: raw tensors
plus a JSON header holding the config, the commit it was trained at and the FID it measured,
so opening one cannot execute code. This module only finds the files and reads their headers;
rebuilding the generator is :func:`gankit.training.generator_io.load_run`'s job.
"""

from __future__ import annotations

from pathlib import Path

from gankit.errors import CheckpointError

PREFIX = "pretrained:"
FOLDER = Path(__file__).resolve().parent


def is_pretrained_source(source: object) -> bool:
    """True for ``pretrained:NAME`` sources (as given to ``gankit sample`` / ``gankit eval``)."""
    return isinstance(source, str) and source.startswith(PREFIX)


def available() -> list[str]:
    """Names of the generators that ship with this install."""
    return sorted(p.stem for p in FOLDER.glob("*.safetensors"))


def path_of(name: str) -> Path:
    """The file of a shipped generator; ``name`` may carry the ``pretrained:`` prefix."""
    name = name[len(PREFIX) :] if name.startswith(PREFIX) else name
    path = FOLDER / f"{name}.safetensors"
    if not path.is_file():
        names = ", ".join(available()) or "none"
        raise CheckpointError(f"No pretrained generator '{name}'; shipped ones: {names}.")
    return path


def describe(name: str) -> dict[str, str]:
    """The header fields of a shipped generator (recipe, commit, measured FID, ...)."""
    from safetensors import safe_open

    with safe_open(str(path_of(name)), framework="pt") as handle:
        meta = dict(handle.metadata() or {})
    meta.pop("config", None)
    return meta
