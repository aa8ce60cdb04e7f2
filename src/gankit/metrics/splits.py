"""Which images of a dataset split are a reference's N, and in which order.

N images of a named dataset are its first N in the official order (already shuffled by its
makers, and what other FID tools take); N images of an image folder are the first N of one
fixed seeded permutation, because a folder is read class by class and its first 5,000 of
10,000 CIFAR-10 test images would be five classes only. Either way the set is deterministic and
a smaller N is a prefix of a larger one, and images and labels come out in the same order.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from gankit.data import load_dataset, parse_dataset_spec
from gankit.errors import MetricError

SUBSET_SEED = 0


def shuffles_subsets(spec: str) -> bool:
    """Whether N images of ``spec`` are drawn through the seeded permutation (image folders)."""
    return spec.split(":", 1)[0].strip().lower() in (
        "folder",
        "imagefolder",
        "image-folder",
        "images",
    )


def subset_order(total: int) -> torch.Tensor:
    """The fixed permutation of ``total`` images whose prefixes are a folder's N-image subsets."""
    return torch.randperm(total, generator=torch.Generator().manual_seed(SUBSET_SEED))


def load_split_subset(
    spec: str, n: int | None = None, root: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``n`` uint8 ``[N, C, H, W]`` images of a split such as ``cifar10:test``, their int64
    labels and the number of classes.

    The first ``n`` in the dataset's order, or for an image folder in :func:`subset_order`.
    """
    name, split = parse_dataset_spec(spec)
    dataset = load_dataset(name, split, root=root)
    images, labels = dataset.images, dataset.labels
    if shuffles_subsets(name):
        order = subset_order(len(images))
        images, labels = images[order], labels[order]
    if n is not None:
        images, labels = images[:n], labels[:n]
    return images, labels, dataset.num_classes


def load_split_images(
    spec: str, n: int | None = None, root: str | os.PathLike[str] | None = None
) -> torch.Tensor:
    """The images of :func:`load_split_subset`."""
    return load_split_subset(spec, n, root)[0]


def load_split_labels(
    spec: str, n: int | None = None, root: str | os.PathLike[str] | None = None
) -> np.ndarray:
    """int64 labels of the reference's ``n`` images, in the order its features are cached."""
    _, labels, num_classes = load_split_subset(spec, n, root)
    if not num_classes:
        raise MetricError(f"{spec} has no class labels, so per-class FID cannot be computed.")
    return labels.numpy().astype(np.int64)
