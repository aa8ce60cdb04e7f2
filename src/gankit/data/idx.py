"""MNIST and Fashion-MNIST reader for the IDX format (raw or gzip-compressed).

IDX layout: two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions,
then one big-endian uint32 per dimension, then the values in C order. Files are validated
against that header (magic, expected dimensionality, exact length) before any pixel is used,
so a truncated download fails with the file's name instead of yielding a shorter dataset.
Decoding is one ``numpy.frombuffer`` per file: no per-image Python.

A format shared by several datasets: :mod:`~gankit.data.mnist` and
:mod:`~gankit.data.fashion_mnist` register themselves with :func:`read_idx_dataset` as reader.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from gankit.data.dataset import ImageDataset
from gankit.data.download import Resource
from gankit.data.registry import Request, build_dataset, required_folder
from gankit.errors import DataError

UBYTE = 0x08

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# split -> (images stem, labels stem); both MNIST datasets use the same names.
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def gz_resources(*md5s: str) -> tuple[Resource, ...]:
    """The four gzipped IDX files of an MNIST-format dataset, in ``SPLIT_FILES`` order (train
    images, train labels, test images, test labels), each with its MD5: the file names are the
    format's, only the checksums differ between MNIST and Fashion-MNIST."""
    names = [stem for pair in SPLIT_FILES.values() for stem in pair]
    return tuple(Resource(f"{name}.gz", md5=md5) for name, md5 in zip(names, md5s, strict=True))


def _variants(stem: str) -> list[str]:
    """File names a stem may appear under: raw first (fastest), then gzip; also the
    ``train-images.idx3-ubyte`` spelling used by some mirrors."""
    dotted = stem.replace("-idx", ".idx")
    return [stem, stem + ".gz", dotted, dotted + ".gz"]


def find_idx_file(folder: Path, stem: str) -> Path | None:
    """Path of the IDX file ``stem`` in ``folder`` (raw or ``.gz``), or None."""
    for name in _variants(stem):
        path = folder / name
        if path.is_file():
            return path
    return None


def has_split(folder: Path, split: str) -> bool:
    """Whether ``folder`` holds both IDX files of ``split`` ("all" = train and test)."""
    splits = ("train", "test") if split == "all" else (split,)
    return all(find_idx_file(folder, stem) is not None for s in splits for stem in SPLIT_FILES[s])


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(
            f"{path} is a truncated or corrupt gzip file ({exc}); delete it and download or "
            "copy it again."
        ) from exc
    except OSError as exc:
        raise DataError(f"Cannot read {path} ({exc}); check the file and its permissions.") from exc


def read_idx(path: str | Path, *, ndim: int) -> np.ndarray:
    """Read an unsigned-byte IDX file with ``ndim`` dimensions into a uint8 array.

    Raises :class:`DataError` naming the file on a bad magic number, wrong dimensionality or
    a length that does not match the header.
    """
    path = Path(path)
    data = _read_bytes(path)
    fix = "delete it and download or copy it again."
    if len(data) < 4:
        raise DataError(f"{path} is truncated (only {len(data)} bytes); {fix}")
    zero, type_code, dims_count = data[:2], data[2], data[3]
    if zero != b"\x00\x00" or type_code != UBYTE or dims_count != ndim:
        raise DataError(
            f"{path} is not an unsigned-byte IDX file with {ndim} dimension(s) "
            f"(magic number 0x{data[:4].hex()}, expected 0x0000080{ndim}); replace it with the "
            "original file."
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated inside its header; {fix}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    count = math.prod(dims)
    expected = header + count
    if len(data) < expected:
        raise DataError(
            f"{path} is truncated ({len(data)} of {expected} bytes for shape {dims}); {fix}"
        )
    if len(data) > expected:
        raise DataError(
            f"{path} has {len(data) - expected} unexpected bytes after the {dims} values it "
            f"declares, so it is corrupt; {fix}"
        )
    return np.frombuffer(data, dtype=np.uint8, count=count, offset=header).reshape(dims)


def read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 ``[N, 1, H, W]`` and labels int64 ``[N]`` of ``split`` ("train"/"test")."""
    image_stem, label_stem = SPLIT_FILES[split]
    image_path = find_idx_file(folder, image_stem)
    label_path = find_idx_file(folder, label_stem)
    if image_path is None or label_path is None:
        missing = image_stem if image_path is None else label_stem
        raise DataError(f"{folder} has no {missing}[.gz]; copy the missing IDX file there.")
    images = read_idx(image_path, ndim=3)
    labels = read_idx(label_path, ndim=1)
    if len(images) != len(labels):
        raise DataError(
            f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} "
            "labels; replace both files with a matching pair."
        )
    if len(labels) and int(labels.max()) > 9:
        raise DataError(
            f"{label_path} contains label {int(labels.max())} outside 0-9; replace it with the "
            "original file."
        )
    # One copy: frombuffer views are read-only, torch wants writable memory.
    return images[:, None, :, :].copy(), labels.astype(np.int64)


def read_idx_dataset(request: Request, name: str, class_names: list[str]) -> ImageDataset:
    """The ``DatasetSpec.read`` of an IDX dataset: ``all`` is train followed by test."""
    folder = required_folder(request)
    if request.split == "all":
        parts = [read_split(folder, s) for s in ("train", "test")]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
    else:
        images, labels = read_split(folder, request.split)
    return build_dataset(images, labels, class_names, name, request.split, folder)
