"""The in-memory dataset every reader returns, and the synthetic benchmark dataset.

GAN datasets of this size (MNIST 47 MB, CIFAR-10 150 MB, CelebA-64 2.5 GB as uint8) fit in
memory, and keeping them as one uint8 tensor lets the trainer index random batches (on the GPU
if it likes) with no DataLoader workers or per-image Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gankit.errors import DataError


@dataclass
class ImageDataset:
    """uint8 images ``[N, C, H, W]`` (C = 1 or 3) with int64 labels ``[N]``.

    ``labels`` are all zero and ``num_classes`` is 0 for unlabelled data. ``attributes`` holds
    optional per-image binary attributes (CelebA's 40, as 0/1 int8 ``[N, A]``) named by
    ``attribute_names``; ``source`` is the folder the data was read from (None if generated).
    """

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    class_names: list[str]
    name: str
    split: str
    attributes: torch.Tensor | None = None
    attribute_names: list[str] = field(default_factory=list)
    source: str | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"images must be uint8 [N, C, H, W], got {self.images.dtype} "
                f"{tuple(self.images.shape)}"
            )
        if self.images.shape[1] not in (1, 3):
            raise ValueError(f"images must have 1 or 3 channels, got {self.images.shape[1]}")
        if self.labels.dtype != torch.int64 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"labels must be int64 [{self.images.shape[0]}], got {self.labels.dtype} "
                f"{tuple(self.labels.shape)}"
            )
        if not self.images.is_contiguous():
            self.images = self.images.contiguous()

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)``, what model builders take."""
        c, h, w = self.images.shape[1:]
        return int(c), int(h), int(w)

    @property
    def spec(self) -> str:
        """``"name:split"``, the string reference statistics and reports are keyed by."""
        return f"{self.name}:{self.split}"


SYNTHETIC_SEEDS = {"train": 0, "test": 1, "all": 2}


def make_synthetic(
    split: str = "train",
    *,
    n: int = 1024,
    shape: tuple[int, int, int] = (3, 32, 32),
    num_classes: int = 10,
) -> ImageDataset:
    """Uniform random uint8 images and labels, identical on every call for a given split.

    For throughput benchmarks and smoke tests: no disk access. Each split has its own seed,
    so "train" and "test" differ.
    """
    if n <= 0 or len(shape) != 3 or shape[0] not in (1, 3) or min(shape) <= 0:
        raise DataError(
            f"Synthetic data needs n > 0 and a shape (1 or 3, H, W), got n={n}, shape={shape}; "
            "fix data.synthetic_n / data.synthetic_shape."
        )
    gen = torch.Generator().manual_seed(SYNTHETIC_SEEDS.get(split, 0))
    images = torch.randint(0, 256, (n, *shape), dtype=torch.uint8, generator=gen)
    if num_classes > 0:
        labels = torch.randint(0, num_classes, (n,), dtype=torch.int64, generator=gen)
    else:
        labels = torch.zeros(n, dtype=torch.int64)
    return ImageDataset(
        images=images,
        labels=labels,
        num_classes=max(0, num_classes),
        class_names=[f"class_{k}" for k in range(max(0, num_classes))],
        name="synthetic",
        split=split,
    )
