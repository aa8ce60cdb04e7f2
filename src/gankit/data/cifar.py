"""CIFAR-10 reader for the official ``cifar-10-batches-py`` pickle batches.

The batches are Python 2 pickles, so reading them means unpickling, and unpickling an untrusted
file can run arbitrary code. :class:`RestrictedUnpickler` therefore resolves only the handful of
globals a genuine batch references -- numpy's array reconstructor, ``numpy.ndarray`` and
``numpy.dtype`` (plus ``_codecs.encode``, which Python 3 emits for ``bytes`` under protocol 2)
-- and refuses everything else before it is called. A batch is a dict with ``b"data"`` (uint8
``[10000, 3072]``: 1024 red, 1024 green, 1024 blue values, each a row-major 32x32 plane) and
``b"labels"`` (a list of ints); ``batches.meta`` holds ``b"label_names"``.

Registered as dataset ``cifar10`` (aliases ``cifar-10``, ``cifar_10``, ``cifar``).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from gankit.data.dataset import ImageDataset
from gankit.data.download import Resource, Source
from gankit.data.registry import (
    DatasetSpec,
    Request,
    build_dataset,
    register_dataset,
    required_folder,
)
from gankit.errors import DataError

TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
META_FILE = "batches.meta"
CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def _reconstruct() -> Any:
    try:  # numpy >= 2 moved the implementation; avoid the numpy.core deprecation shim
        from numpy._core.multiarray import _reconstruct as fn
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct as fn
    return fn


def _codecs_encode() -> Any:
    import _codecs

    return _codecs.encode


# (module, name) -> factory of the object a genuine batch may reference. Nothing else resolves.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("_codecs", "encode"): _codecs_encode,
}


class UnsafePickleError(pickle.UnpicklingError):
    """Raised when a pickle references a global outside the allow-list."""


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the numpy globals found in real CIFAR batches."""

    def find_class(self, module: str, name: str) -> Any:
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise UnsafePickleError(f"{module}.{name}")
        return factory()

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("persistent id")


def safe_unpickle(path: Path) -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler`; any failure is a DataError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path} ({exc}); check the file and its permissions.") from exc
    try:
        return RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except UnsafePickleError as exc:
        raise DataError(
            f"{path} asks to load {exc}, which a genuine CIFAR-10 batch never does, so it was "
            "refused without running anything; delete it and download CIFAR-10 again from "
            "the official site."
        ) from None
    except Exception as exc:  # truncated/corrupt pickles raise many unrelated types
        raise DataError(
            f"{path} is not a readable CIFAR-10 pickle batch ({type(exc).__name__}: {exc}); "
            "delete it and download CIFAR-10 again."
        ) from exc


def _get(d: dict, key: str) -> Any:
    """Value of ``key`` whether the pickle used bytes (Python 2) or str keys."""
    if key.encode() in d:
        return d[key.encode()]
    return d.get(key)


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 ``[N, 3, 32, 32]`` and labels int64 ``[N]`` from one batch file."""
    path = Path(path)
    batch = safe_unpickle(path)
    fix = "delete it and download CIFAR-10 again."
    if not isinstance(batch, dict):
        raise DataError(f"{path} does not hold a CIFAR-10 batch dictionary; {fix}")
    data, labels = _get(batch, "data"), _get(batch, "labels")
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or (data.shape[1] != 3 * 32 * 32)
    ):
        desc = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{path} has data {desc} instead of uint8 [N, 3072]; {fix}")
    try:
        label_array = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path} has no valid integer label list; {fix}") from exc
    if label_array.shape != (data.shape[0],):
        raise DataError(
            f"{path} holds {data.shape[0]} images but labels of shape {label_array.shape}; {fix}"
        )
    if len(label_array) and (label_array.min() < 0 or label_array.max() > 9):
        raise DataError(f"{path} has labels outside 0-9, so it is not CIFAR-10; {fix}")
    return data.reshape(-1, 3, 32, 32).copy(), label_array


def read_class_names(folder: Path) -> list[str]:
    """Class names from ``batches.meta`` (falls back to the published list if absent)."""
    path = folder / META_FILE
    if not path.is_file():
        return list(CIFAR10_CLASSES)
    meta = safe_unpickle(path)
    names = _get(meta, "label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != 10:
        raise DataError(f"{path} has no list of 10 label names; delete it and download again.")
    return [n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in names]


def split_files(split: str) -> tuple[str, ...]:
    """Batch file names of ``split`` ("train", "test" or "all")."""
    return {"train": TRAIN_FILES, "test": TEST_FILES, "all": TRAIN_FILES + TEST_FILES}[split]


def has_split(folder: Path, split: str) -> bool:
    """Whether ``folder`` holds every batch file of ``split``."""
    return all((folder / name).is_file() for name in split_files(split))


def read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated images ``[N, 3, 32, 32]`` and labels of every batch in ``split``."""
    parts = [read_batch(folder / name) for name in split_files(split)]
    images = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
    labels = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
    return images, labels


def read_cifar10(request: Request) -> ImageDataset:
    """The ``DatasetSpec.read`` of CIFAR-10."""
    folder = required_folder(request)
    images, labels = read_split(folder, request.split)
    return build_dataset(images, labels, read_class_names(folder), "cifar10", request.split, folder)


SOURCE = Source(
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    resources=(Resource("cifar-10-python.tar.gz", md5="c58f30108f718f92721af3b95e74349a"),),
    subdir="cifar-10-batches-py",
    archive_folder="cifar-10-batches-py",
    extracted=(
        Resource("data_batch_1", md5="c99cafc152244af753f735de768cd75f"),
        Resource("data_batch_2", md5="d4bba439e000b95fd0a9bffe97cbabec"),
        Resource("data_batch_3", md5="54ebc095f3ab1f0389bbae665268c751"),
        Resource("data_batch_4", md5="634d18415352ddfa80567beed471001a"),
        Resource("data_batch_5", md5="482c414d41f54cd18b22e5b47cb7c3cb"),
        Resource("test_batch", md5="40351d587109b95175f43aff81a1287e"),
        Resource("batches.meta", md5="5ff9c542aee3614f3951f8cda6e48888"),
    ),
)

SPEC = register_dataset(
    DatasetSpec(
        name="cifar10",
        splits=("train", "test", "all"),
        read=read_cifar10,
        how_to_get=(
            "run `gankit data prepare cifar10 --root DIR` while online, or download "
            f"{SOURCE.mirrors[0]}cifar-10-python.tar.gz and extract it into DIR"
        ),
        aliases=("cifar-10", "cifar_10", "cifar"),
        subdirs=(
            "cifar-10-batches-py",
            "cifar10/cifar-10-batches-py",
            "CIFAR10/cifar-10-batches-py",
            "cifar10",
        ),
        is_complete=has_split,
        source=SOURCE,
        description="32 px colour photos, 10 classes (the official pickle batches)",
    )
)
