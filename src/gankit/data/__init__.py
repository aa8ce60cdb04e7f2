"""Datasets held in memory as uint8 ``[N, C, H, W]`` tensors.

Public API (what the trainer, metrics and the CLI use)::

    load_dataset(name, split="train", *, root=None, image_size=None, channels=None,
                 download=False, synthetic_n=1024, synthetic_shape=(3, 32, 32),
                 synthetic_classes=10) -> ImageDataset
    load_configured_dataset(cfg.data, root=None) -> ImageDataset   # the split a run trains on
    parse_dataset_spec("fashion-mnist:test") -> ("fashion-mnist", "test")
    dataset_status(root=None) -> list[DatasetStatus]      # gankit data list
    check_dataset(name, root=None) -> dict                # gankit data check NAME
    prepare_dataset(name, root=None) -> Path              # gankit data prepare NAME

Names belong to the dataset registry (:mod:`gankit.data.registry`): each module imported
below registers one dataset (``mnist``, ``fashion-mnist``, ``cifar10``, ``celeba``, ``folder``
-- root = the folder -- and ``synthetic``), in the order ``gankit data list`` shows them. A new
dataset is one new module with its ``register_dataset(DatasetSpec(...))``: every module of the
package is imported below, after the built-ins, so it is listed nowhere else. Pixel transforms
live in :mod:`gankit.data.transforms`; ``ImageDataset`` in :mod:`gankit.data.dataset`; search
order and layouts in :mod:`gankit.data.locate`.
"""

from __future__ import annotations

# Each import registers one dataset; this order is the order of `gankit data list`.
# isort: off
from gankit.data import mnist  # noqa: F401
from gankit.data import fashion_mnist  # noqa: F401
from gankit.data import cifar  # noqa: F401
from gankit.data import celeba  # noqa: F401
from gankit.data import folder  # noqa: F401
from gankit.data import synthetic  # noqa: F401

# isort: on
from gankit.data.loader import (
    check_dataset,
    dataset_status,
    load_configured_dataset,
    load_dataset,
    parse_dataset_spec,
    prepare_dataset,
)
from gankit.data.registry import DATASETS, dataset_names
from gankit.registry import import_submodules

import_submodules(__name__)

__all__ = [
    "DATASETS",
    "check_dataset",
    "dataset_names",
    "dataset_status",
    "load_configured_dataset",
    "load_dataset",
    "parse_dataset_spec",
    "prepare_dataset",
]
