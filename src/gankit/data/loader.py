"""The public entry points: load a split, list what is available, check a copy, prepare one.

Every function asks :data:`gankit.data.registry.DATASETS` for the dataset's spec and follows
it; nothing here names a dataset. :mod:`~gankit.data.locate` says where to look,
:mod:`~gankit.data.download` fetches on request, and :mod:`~gankit.data.transforms` resizes and
converts channels after the spec's reader returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from gankit.data import download
from gankit.data.dataset import ImageDataset
from gankit.data.registry import (
    DATASETS,
    DatasetSpec,
    PathLike,
    Request,
    canonical_split,
    get_spec,
    parse_dataset_spec,
)
from gankit.data.transforms import convert_channels, resize_images
from gankit.errors import DataError

if TYPE_CHECKING:
    from gankit.config import DataConfig


def _not_found(spec: DatasetSpec, split: str, looked: Sequence[Path]) -> DataError:
    places = ", ".join(str(p) for p in looked)
    return DataError(
        f"Dataset {spec.name} (split {split}) was not found; looked in: {places}; to get it, "
        f"{spec.how_to_get}."
    )


def _locate(spec: DatasetSpec, split: str, root: PathLike | None, want_download: bool) -> Path:
    found, looked = spec.find(split, root)
    if found is None and want_download and spec.source is not None:
        download.download_dataset(spec.source, root)
        found, looked = spec.find(split, root)
    if found is None:
        raise _not_found(spec, split, looked)
    return found


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

    ``name`` is a registered dataset (``gankit data list``; ``folder`` reads ``root`` itself);
    a ``"name:split"`` spec is accepted too. ``image_size`` (int or (H, W)) resizes every image
    with antialiased bilinear filtering (e.g. 28 -> 32 for DCGAN-32; CelebA and folders are
    decoded straight to that size, CelebA after its centre crop, 64 px by default).
    ``channels`` 1 or 3 converts grey <-> RGB (luma weights). ``download=True`` fetches a
    missing dataset (checksum-verified) into ``root``.
    """
    if ":" in str(name):
        name, spec_split = parse_dataset_spec(name)
        if split not in ("train", spec_split):
            raise DataError(
                f"Dataset spec {name}:{spec_split} conflicts with split={split!r}; "
                "give the split only once."
            )
        split = spec_split
    spec = get_spec(name)
    split = canonical_split(spec.name, split)
    size = _size_pair(image_size)
    if channels is not None and channels not in (1, 3):
        raise DataError(f"channels={channels} is not supported; use 1 (grey) or 3 (RGB).")
    folder = _locate(spec, split, root, download) if spec.locate_by == "search" else None
    request = Request(
        split=split,
        root=Path(root).expanduser() if root is not None else None,
        folder=folder,
        size=size,
        channels=channels,
        synthetic_n=synthetic_n,
        synthetic_shape=tuple(int(v) for v in synthetic_shape),
        synthetic_classes=synthetic_classes,
    )
    return _postprocess(spec.read(request), size, channels)


def load_configured_dataset(data: DataConfig, *, root: PathLike | None = None) -> ImageDataset:
    """The split a run's ``data`` section names, as the trainer loads it.

    One place turns a config into a dataset, so anything that must see the images a run was
    trained on (the trainer, a diagnostic replaying a checkpoint's discriminator) sees the same
    ones; ``root`` replaces ``data.root`` when the copy has moved since the run was made.
    """
    return load_dataset(
        data.name,
        data.split,
        root=data.root if root is None else root,
        image_size=data.image_size,
        channels=data.channels,
        download=data.download,
        synthetic_n=data.synthetic_n,
        synthetic_shape=tuple(data.synthetic_shape),
        synthetic_classes=data.synthetic_classes,
    )


def _postprocess(
    dataset: ImageDataset, size: tuple[int, int] | None, channels: int | None
) -> ImageDataset:
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


def _status(spec: DatasetSpec, root: PathLike | None) -> DatasetStatus:
    if spec.locate_by == "generated":
        return DatasetStatus(spec.name, True, None, [], spec.how_to_get)
    if spec.locate_by == "root":
        ok = root is not None and Path(root).is_dir()
        return DatasetStatus(
            spec.name,
            ok,
            str(root) if ok else None,
            [str(root)] if root is not None else [],
            spec.how_to_get,
        )
    found, looked = spec.find("all", root)
    return DatasetStatus(
        spec.name,
        found is not None,
        str(found) if found else None,
        [str(p) for p in looked],
        spec.how_to_get,
    )


def dataset_status(root: PathLike | None = None) -> list[DatasetStatus]:
    """Where each registered dataset is found (all splits) and every place looked, cheaply:
    only file presence is checked, nothing is decoded."""
    return [_status(DATASETS.get(name), root) for name in DATASETS]


def _split_summary(dataset: ImageDataset) -> dict[str, Any]:
    counts = (
        torch.bincount(dataset.labels, minlength=dataset.num_classes).tolist()
        if dataset.num_classes
        else []
    )
    return {
        "n": len(dataset),
        "shape": list(dataset.image_shape),
        "num_classes": dataset.num_classes,
        "class_counts": counts,
        "mean_pixel": round(float(dataset.images.float().mean()), 3) if len(dataset) else 0.0,
        "source": dataset.source,
    }


def check_dataset(name: str, root: PathLike | None = None) -> dict[str, Any]:
    """Load every split of ``name`` and summarise it (counts, shape, classes, split rule).

    Raises :class:`DataError` if anything is missing or corrupt, so ``gankit data check`` is a
    full verification, not just a presence test. ``split_rule`` says where the splits come
    from (e.g. CelebA's partition file, or its held-out last images when there is none).
    """
    spec = get_spec(name)
    splits = [s for s in spec.splits if s != "all"]
    rule = ""
    if spec.check_splits is not None:
        folder = _locate(spec, "all", root, False) if spec.locate_by == "search" else None
        request = Request(
            split="all", root=Path(root).expanduser() if root else None, folder=folder
        )
        splits, rule = spec.check_splits(request)
    summary: dict[str, Any] = {"name": spec.name, "splits": {}}
    if rule:
        summary["split_rule"] = rule
    class_names: list[str] = []
    for split in splits:
        dataset = load_dataset(spec.name, split, root=root)
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

    ``force`` downloads into ``root`` even if a copy exists elsewhere. A dataset without a
    pinned download (CelebA) says how to get it by hand.
    """
    spec = get_spec(name)
    if spec.locate_by != "search":
        raise DataError(f"Dataset {spec.name!r} needs no preparation; {spec.how_to_get}.")
    if not force:
        found, _ = spec.find("all", root)
        if found is not None:
            return found
    if spec.source is None:
        raise DataError(f"{spec.how_to_get}.")
    download.download_dataset(spec.source, root, mirrors=mirrors)
    found, looked = spec.find("all", root)
    if found is None:  # pragma: no cover - download wrote somewhere the search does not cover
        raise _not_found(spec, "all", looked)
    return found


__all__ = [
    "DatasetStatus",
    "check_dataset",
    "dataset_status",
    "load_dataset",
    "parse_dataset_spec",
    "prepare_dataset",
]
