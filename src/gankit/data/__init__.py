"""Datasets held in memory as uint8 ``[N, C, H, W]`` tensors.

Public API (what the trainer, metrics and the CLI use)::

    load_dataset(name, split="train", *, root=None, image_size=None, channels=None,
                 download=False, synthetic_n=1024, synthetic_shape=(3, 32, 32),
                 synthetic_classes=10) -> ImageDataset
    parse_dataset_spec("fashion-mnist:test") -> ("fashion-mnist", "test")
    dataset_status(root=None) -> list[DatasetStatus]      # gankit data list
    check_dataset(name, root=None) -> dict                # gankit data check NAME
    prepare_dataset(name, root=None) -> Path              # gankit data prepare NAME

Pixel transforms (``to_float``, ``to_uint8``, ``augment``, ``resize_images``, ...) live in
:mod:`gankit.data.transforms`; ``ImageDataset`` in :mod:`gankit.data.dataset`. Names:
``mnist``, ``fashion-mnist``, ``cifar10``, ``celeba``, ``folder`` (root = the folder),
``synthetic``. Search order and layouts: :mod:`gankit.data.locate`.
"""

from __future__ import annotations

from gankit.data.registry import (
    check_dataset,
    dataset_status,
    load_dataset,
    parse_dataset_spec,
    prepare_dataset,
)

__all__ = [
    "check_dataset",
    "dataset_status",
    "load_dataset",
    "parse_dataset_spec",
    "prepare_dataset",
]
