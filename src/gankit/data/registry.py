"""Dataset names, splits and the public entry points: load, status, check, prepare.

This module only orchestrates: :mod:`~gankit.data.locate` says where to look, the reader
modules (:mod:`~gankit.data.idx`, :mod:`~gankit.data.cifar`, :mod:`~gankit.data.celeba`,
:mod:`~gankit.data.folder`) read one folder, :mod:`~gankit.data.download` fetches on request,
and :mod:`~gankit.data.transforms` resizes and converts channels afterwards.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gankit.data import celeba, cifar, download, folder, idx, locate
from gankit.data.dataset import ImageDataset, make_synthetic
from gankit.data.transforms import convert_channels, resize_images
from gankit.errors import DataError

PathLike = str | os.PathLike[str]

NAMES = ("mnist", "fashion-mnist", "cifar10", "celeba", "folder", "synthetic")
ALIASES = {
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "fmnist": "fashion-mnist",
    "cifar-10": "cifar10",
    "cifar_10": "cifar10",
    "cifar": "cifar10",
    "celeb-a": "celeba",
    "celeba-64": "celeba",
    "imagefolder": "folder",
    "image-folder": "folder",
    "images": "folder",
}
SPLITS: dict[str, tuple[str, ...]] = {
    "mnist": ("train", "test", "all"),
    "fashion-mnist": ("train", "test", "all"),
    "cifar10": ("train", "test", "all"),
    "celeba": ("train", "valid", "test", "all"),
    "folder": ("train", "test", "valid", "all"),  # test/valid only in a split folder
    "synthetic": ("train", "test", "all"),
}
SPLIT_ALIASES = {"val": "valid", "validation": "valid", "training": "train", "testing": "test",
                 "t10k": "test"}


def canonical_name(name: str) -> str:
    """Normalise a dataset name (case, ``_``/``-``, aliases) or raise with a suggestion."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key in NAMES:
        return key
    close = difflib.get_close_matches(key, list(NAMES) + list(ALIASES), n=1)
    hint = f"did you mean {ALIASES.get(close[0], close[0])!r}? " if close else ""
    raise DataError(f"Unknown dataset {name!r}; {hint}choose one of {', '.join(NAMES)}.")


def canonical_split(name: str, split: str) -> str:
    """Normalise ``split`` for dataset ``name`` or raise listing the valid ones."""
    key = SPLIT_ALIASES.get(str(split).strip().lower(), str(split).strip().lower())
    if key not in SPLITS[name]:
        raise DataError(
            f"Dataset {name!r} has no split {split!r}; use one of {', '.join(SPLITS[name])}."
        )
    return key


def parse_dataset_spec(spec: str, default_split: str = "train") -> tuple[str, str]:
    """``"fashion-mnist:test"`` -> ``("fashion-mnist", "test")``; no split -> ``default_split``."""
    text = str(spec).strip()
    name, sep, split = text.partition(":")
    if not name:
        raise DataError(f"Dataset spec {spec!r} has no name; write it as NAME[:SPLIT], e.g. "
                        "'fashion-mnist:test'.")
    canon = canonical_name(name)
    return canon, canonical_split(canon, split if sep and split else default_split)


# --- locating ---------------------------------------------------------------------------------

_COMPLETE: dict[str, Callable[[Path, str], bool]] = {
    "mnist": idx.has_split,
    "fashion-mnist": idx.has_split,
    "cifar10": cifar.has_split,
    "celeba": lambda folder_, split: celeba.has_images(folder_),
}


def find_dataset(name: str, split: str = "all", root: PathLike | None = None
                 ) -> tuple[Path | None, list[Path]]:
    """Folder holding ``split`` of ``name`` (or None) and every place that was looked at."""
    return locate.find_dir(name, root, lambda f: _COMPLETE[name](f, split))


def _not_found(name: str, split: str, looked: Sequence[Path]) -> DataError:
    places = ", ".join(str(p) for p in looked)
    return DataError(
        f"Dataset {name} (split {split}) was not found; looked in: {places}; to get it, "
        f"{download.how_to_get(name)}."
    )


def _locate(name: str, split: str, root: PathLike | None, want_download: bool) -> Path:
    found, looked = find_dataset(name, split, root)
    if found is None and want_download and name in download.SOURCES:
        download.download_dataset(name, root)
        found, looked = find_dataset(name, split, root)
    if found is None:
        raise _not_found(name, split, looked)
    return found


# --- loading ----------------------------------------------------------------------------------


def _size_pair(image_size: int | Sequence[int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if isinstance(image_size, int):
        pair = (image_size, image_size)
    else:
        values = list(image_size)
        if len(values) != 2:
            raise DataError(f"image_size {image_size!r} must be one int or [height, width].")
        pair = (int(values[0]), int(values[1]))
    if min(pair) <= 0:
        raise DataError(f"image_size {image_size!r} must be positive; e.g. set it to 32 or 64.")
    return pair


def load_dataset(
    name: str,
    split: str = "train",
    *,
    root: PathLike | None = None,
    image_size: int | Sequence[int] | None = None,
    channels: int | None = None,
    download: bool = False,
    synthetic_n: int = 1024,
    synthetic_shape: Sequence[int] = (3, 32, 32),
    synthetic_classes: int = 10,
) -> ImageDataset:
    """Load a dataset split into memory as uint8 ``[N, C, H, W]`` plus int64 labels.

    ``name`` is one of ``mnist``, ``fashion-mnist``, ``cifar10``, ``celeba``, ``folder`` (``root``
    is the folder), ``synthetic``; a ``"name:split"`` spec is accepted too. ``image_size`` (int
    or (H, W)) resizes every image with antialiased bilinear filtering (e.g. 28 -> 32 for
    DCGAN-32; CelebA and folders are decoded straight to that size, CelebA after its 140-pixel
    centre crop, 64 px by default). ``channels`` 1 or 3 converts grey <-> RGB (luma weights).
    ``download=True`` fetches a missing dataset (checksum-verified) into ``root``.
    """
    if ":" in str(name):
        name, spec_split = parse_dataset_spec(name)
        if split not in ("train", spec_split):
            raise DataError(f"Dataset spec {name}:{spec_split} conflicts with split={split!r}; "
                            "give the split only once.")
        split = spec_split
    name = canonical_name(name)
    split = canonical_split(name, split)
    size = _size_pair(image_size)
    if channels is not None and channels not in (1, 3):
        raise DataError(f"channels={channels} is not supported; use 1 (grey) or 3 (RGB).")

    if name == "synthetic":
        shape = tuple(int(v) for v in synthetic_shape)
        if len(shape) != 3:
            raise DataError(f"synthetic_shape {synthetic_shape!r} must be (C, H, W).")
        shape = (channels or shape[0], *(size or shape[1:]))  # generate at the final shape
        dataset = make_synthetic(split, n=synthetic_n, shape=shape,  # type: ignore[arg-type]
                                 num_classes=synthetic_classes)
    elif name == "folder":
        if root is None:
            raise DataError("The folder dataset needs a root; set data.root (or --root) to a "
                            "folder of images.")
        images, labels, class_names = folder.read_folder(root, split=split, image_size=size)
        source = folder.split_folders(root).get(split, Path(root))
        dataset = _build(images, labels, class_names, name, split, source)
    elif name == "celeba":
        path = _locate(name, split, root, download)
        images, attr_names, attrs = celeba.read_split(
            path, split, image_size=size or celeba.DEFAULT_SIZE
        )
        dataset = _build(images, np.zeros(len(images), dtype=np.int64), [], name, split, path)
        if attrs is not None:
            dataset.attributes = torch.from_numpy(attrs)
            dataset.attribute_names = attr_names
    else:
        path = _locate(name, split, root, download)
        reader = cifar.read_split if name == "cifar10" else idx.read_split
        if split == "all" and name != "cifar10":
            parts = [reader(path, s) for s in ("train", "test")]
            images = np.concatenate([p[0] for p in parts])
            labels = np.concatenate([p[1] for p in parts])
        else:
            images, labels = reader(path, split)
        class_names = {
            "mnist": idx.MNIST_CLASSES,
            "fashion-mnist": idx.FASHION_MNIST_CLASSES,
        }.get(name) or cifar.read_class_names(path)
        dataset = _build(images, labels, list(class_names), name, split, path)
    return _postprocess(dataset, size, channels)


def _build(images: np.ndarray, labels: np.ndarray, class_names: list[str], name: str,
           split: str, source: Path) -> ImageDataset:
    return ImageDataset(
        images=torch.from_numpy(np.ascontiguousarray(images)),
        labels=torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64)),
        num_classes=len(class_names),
        class_names=class_names,
        name=name,
        split=split,
        source=str(source),
    )


def _postprocess(dataset: ImageDataset, size: tuple[int, int] | None,
                 channels: int | None) -> ImageDataset:
    """Resize and convert channels, in the cheaper order (reduce channels before resizing)."""
    images = dataset.images
    if channels == 1:
        images = convert_channels(images, 1)
    if size is not None:
        images = resize_images(images, size)
    if channels == 3:
        images = convert_channels(images, 3)
    dataset.images = images.contiguous()
    return dataset


# --- status, check, prepare -------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetStatus:
    """One row of ``gankit data list``."""

    name: str
    available: bool
    path: str | None
    looked: list[str] = field(default_factory=list)
    how_to_get: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def dataset_status(root: PathLike | None = None) -> list[DatasetStatus]:
    """Where each named dataset is found (all splits) and every place looked, cheaply:
    only file presence is checked, nothing is decoded."""
    rows = []
    for name in NAMES:
        if name == "synthetic":
            rows.append(DatasetStatus(name, True, None, [], download.how_to_get(name)))
        elif name == "folder":
            ok = root is not None and Path(root).is_dir()
            rows.append(DatasetStatus(name, ok, str(root) if ok else None,
                                      [str(root)] if root is not None else [],
                                      download.how_to_get(name)))
        else:
            found, looked = find_dataset(name, "all" if name != "celeba" else "train", root)
            rows.append(DatasetStatus(name, found is not None, str(found) if found else None,
                                      [str(p) for p in looked], download.how_to_get(name)))
    return rows


def _split_summary(dataset: ImageDataset) -> dict[str, Any]:
    counts = (torch.bincount(dataset.labels, minlength=dataset.num_classes).tolist()
              if dataset.num_classes else [])
    return {
        "n": len(dataset),
        "shape": list(dataset.image_shape),
        "num_classes": dataset.num_classes,
        "class_counts": counts,
        "mean_pixel": round(float(dataset.images.float().mean()), 3) if len(dataset) else 0.0,
        "source": dataset.source,
    }


def check_dataset(name: str, root: PathLike | None = None) -> dict[str, Any]:
    """Load every split of ``name`` and summarise it (counts, shape, classes).

    Raises :class:`DataError` if anything is missing or corrupt, so ``gankit data check`` is a
    full verification, not just a presence test.
    """
    name = canonical_name(name)
    splits = [s for s in SPLITS[name] if s != "all"]
    if name == "folder":
        if root is None:
            raise DataError("The folder dataset needs a root; pass --root DIR (a folder of "
                            "images, or one with train/ and test/ sub-folders).")
        splits = folder.available_splits(root)
    if name == "celeba":
        path = _locate(name, "train", root, False)
        if celeba.find_annotation(path, celeba.PARTITION_FILE) is None:
            splits = ["train"]
    summary: dict[str, Any] = {"name": name, "splits": {}}
    class_names: list[str] = []
    for split in splits:
        dataset = load_dataset(name, split, root=root)
        summary["splits"][split] = _split_summary(dataset)
        summary.setdefault("path", dataset.source)
        class_names = dataset.class_names
    summary["class_names"] = class_names
    return summary


def prepare_dataset(
    name: str,
    root: PathLike | None = None,
    *,
    force: bool = False,
    mirrors: Sequence[str] | None = None,
) -> Path:
    """Make ``name`` available: return where it already is, else download it (when online).

    ``force`` downloads into ``root`` even if a copy exists elsewhere. CelebA cannot be
    downloaded automatically; the error says how to get it.
    """
    name = canonical_name(name)
    if name in ("synthetic", "folder"):
        raise DataError(f"Dataset {name!r} needs no preparation; {download.how_to_get(name)}.")
    if not force:
        found, _ = find_dataset(name, "all" if name != "celeba" else "train", root)
        if found is not None:
            return found
    download.download_dataset(name, root, mirrors=mirrors)
    found, looked = find_dataset(name, "all" if name != "celeba" else "train", root)
    if found is None:  # pragma: no cover - download wrote somewhere the search does not cover
        raise _not_found(name, "all", looked)
    return found
