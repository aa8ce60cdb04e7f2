"""Datasets held in memory as uint8 ``[N, C, H, W]`` tensors, and batched pixel transforms.

Public API::

    load_dataset(name, split="train", *, root=None, image_size=None, channels=None,
                 download=False, synthetic_n=1024, synthetic_shape=(3, 32, 32),
                 synthetic_classes=10) -> ImageDataset
    parse_dataset_spec("fashion-mnist:test") -> ("fashion-mnist", "test")
    dataset_status(root=None) -> list[DatasetStatus]      # gankit data list
    check_dataset(name, root=None) -> dict                # gankit data check NAME
    prepare_dataset(name, root=None) -> Path              # gankit data prepare NAME
    to_float / to_uint8 / augment / resize_images / convert_channels

Names: ``mnist``, ``fashion-mnist``, ``cifar10``, ``celeba``, ``folder`` (root = the folder),
``synthetic``. Search order and layouts: :mod:`gankit.data.locate`.
"""

from __future__ import annotations

from gankit.data.dataset import ImageDataset, make_synthetic
from gankit.data.registry import (
    NAMES,
    SPLITS,
    DatasetStatus,
    canonical_name,
    check_dataset,
    dataset_status,
    find_dataset,
    load_dataset,
    parse_dataset_spec,
    prepare_dataset,
)
from gankit.data.transforms import (
    augment,
    convert_channels,
    flip_horizontal,
    random_flip,
    resize_images,
    rotate,
    to_float,
    to_uint8,
)

__all__ = [
    "NAMES",
    "SPLITS",
    "DatasetStatus",
    "ImageDataset",
    "augment",
    "canonical_name",
    "check_dataset",
    "convert_channels",
    "dataset_status",
    "find_dataset",
    "flip_horizontal",
    "load_dataset",
    "make_synthetic",
    "parse_dataset_spec",
    "prepare_dataset",
    "random_flip",
    "resize_images",
    "rotate",
    "to_float",
    "to_uint8",
]
