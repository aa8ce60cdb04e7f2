"""The dataset registry: what a dataset module declares so the loader needs no list of names.

Each dataset module (``idx`` for MNIST and Fashion-MNIST, ``cifar``, ``celeba``, ``folder``,
``synthetic``) builds one :class:`DatasetSpec` and registers it with :func:`register_dataset`;
``gankit.data`` imports those modules, which fills :data:`DATASETS`. The entry points in
:mod:`gankit.data.loader` (load, status, check, prepare) only ask the registry, so adding a
dataset is one new module (plus its import line in ``gankit/data/__init__.py``) and its test.

A spec says where the files live (``subdirs`` tried under each base folder, see
:mod:`gankit.data.locate`), how to recognise a complete copy, how to read one split, which
splits a copy offers and by what rule (for ``gankit data check``), and how a user gets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from gankit.data import locate
from gankit.data.dataset import ImageDataset
from gankit.errors import DataError
from gankit.registry import Registry

if TYPE_CHECKING:
    from gankit.data.download import Source

PathLike = str | os.PathLike[str]

SPLIT_ALIASES = {
    "val": "valid",
    "validation": "valid",
    "training": "train",
    "testing": "test",
    "t10k": "test",
}


@dataclass(frozen=True)
class Request:
    """One split to read, as :func:`gankit.data.load_dataset` was asked for it.

    ``folder`` is where the dataset was found (datasets looked up on disk) and ``root`` the
    user's ``data.root``; ``size`` is the final (H, W), which readers that decode files use to
    decode straight to it. Resizing to ``size`` and converting ``channels`` happen after
    :attr:`DatasetSpec.read` returns, in the loader, for every dataset alike.
    """

    split: str
    root: Path | None = None
    folder: Path | None = None
    size: tuple[int, int] | None = None
    channels: int | None = None
    synthetic_n: int = 1024
    synthetic_shape: tuple[int, ...] = (3, 32, 32)
    synthetic_classes: int = 10


SplitRule = tuple[list[str], str]


@dataclass
class DatasetSpec:
    """Everything the loader needs to know about one named dataset.

    ``locate_by`` says how a copy is found: ``"search"`` (the ``subdirs`` of every base folder,
    then ``system_dirs``, checked by ``is_complete(folder, split)``), ``"root"`` (``data.root``
    is the dataset) or ``"generated"`` (nothing on disk). ``read`` returns the split before
    the generic resize / channel conversion. ``check_splits`` returns the splits that
    ``gankit data check`` verifies and one sentence saying where they come from (None: every
    declared split but ``all``). ``source`` is a checksum-pinned download, if there is one.
    """

    name: str
    splits: tuple[str, ...]
    read: Callable[[Request], ImageDataset]
    how_to_get: str
    aliases: tuple[str, ...] = ()
    locate_by: str = "search"
    subdirs: tuple[str, ...] = ()
    system_dirs: tuple[Path, ...] = ()
    is_complete: Callable[[Path, str], bool] | None = None
    check_splits: Callable[[Request], SplitRule] | None = None
    source: Source | None = None
    description: str = ""  # a few words for ``gankit data --help``

    def find(self, split: str, root: PathLike | None) -> tuple[Path | None, list[Path]]:
        """Folder holding ``split`` (or None) and every place looked, for ``"search"`` specs."""
        is_complete = self.is_complete
        if self.locate_by != "search" or is_complete is None:
            raise ValueError(f"dataset {self.name!r} is not looked up on disk")
        return locate.find_dir(
            self.subdirs, root, lambda f: is_complete(f, split), self.system_dirs
        )


DATASETS: Registry[DatasetSpec] = Registry("dataset", key="data.name", fold_case=True)


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` (and its aliases) to :data:`DATASETS`; returns it for module constants."""
    if spec.locate_by not in ("search", "root", "generated"):
        raise ValueError(f"dataset {spec.name!r}: unknown locate_by {spec.locate_by!r}")
    if spec.locate_by == "search" and spec.is_complete is None:
        raise ValueError(f"dataset {spec.name!r} is searched for but has no is_complete")
    DATASETS.add(spec.name, spec)
    for alias in spec.aliases:
        DATASETS.alias(alias, spec.name)
    return spec


def dataset_names() -> tuple[str, ...]:
    """Registered dataset names, in registration order (what ``gankit data list`` shows)."""
    return DATASETS.names()


def get_spec(name: str) -> DatasetSpec:
    """The spec of ``name`` (any case or alias); an unknown name is one DataError sentence."""
    return DATASETS.get(canonical_name(name))


def canonical_name(name: str) -> str:
    """Normalise a dataset name (case, spaces, aliases) or raise with a suggestion."""
    found = DATASETS.resolve(name)
    if found is not None:
        return found
    close = DATASETS.closest(name)
    hint = f"did you mean {close!r}? " if close else ""
    raise DataError(f"Unknown dataset {name!r}; {hint}choose one of {', '.join(DATASETS)}.")


def canonical_split(name: str, split: str) -> str:
    """Normalise ``split`` for dataset ``name`` or raise listing the valid ones."""
    splits = DATASETS.get(name).splits
    key = SPLIT_ALIASES.get(str(split).strip().lower(), str(split).strip().lower())
    if key not in splits:
        raise DataError(f"Dataset {name!r} has no split {split!r}; use one of {', '.join(splits)}.")
    return key


def parse_dataset_spec(spec: str, default_split: str = "train") -> tuple[str, str]:
    """``"fashion-mnist:test"`` -> ``("fashion-mnist", "test")``; no split -> ``default_split``."""
    text = str(spec).strip()
    name, sep, split = text.partition(":")
    if not name:
        raise DataError(
            f"Dataset spec {spec!r} has no name; write it as NAME[:SPLIT], e.g. "
            "'fashion-mnist:test'."
        )
    canon = canonical_name(name)
    return canon, canonical_split(canon, split if sep and split else default_split)


def build_dataset(
    images: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str],
    name: str,
    split: str,
    source: Path | None,
) -> ImageDataset:
    """An :class:`ImageDataset` from a reader's arrays (labels None: unlabelled, all zero)."""
    if labels is None:
        labels = np.zeros(len(images), dtype=np.int64)
    return ImageDataset(
        images=torch.from_numpy(np.ascontiguousarray(images)),
        labels=torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64)),
        num_classes=len(class_names),
        class_names=list(class_names),
        name=name,
        split=split,
        source=str(source) if source is not None else None,
    )


def required_folder(request: Request) -> Path:
    """``request.folder``, which the loader fills for every ``"search"`` dataset."""
    if request.folder is None:  # pragma: no cover - a loader bug, not a user mistake
        raise ValueError("a searched dataset was read without its folder")
    return request.folder
