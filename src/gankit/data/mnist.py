"""MNIST handwritten digits (IDX files), registered as dataset ``mnist``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from gankit.data import idx
from gankit.data.download import Source
from gankit.data.registry import DatasetSpec, register_dataset

SOURCE = Source(
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    resources=idx.gz_resources(
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3",
        "ec29112dd5afa0611ce80d1b7f02629c",
    ),
    subdir="MNIST/raw",
)

SPEC = register_dataset(
    DatasetSpec(
        name="mnist",
        splits=("train", "test", "all"),
        read=partial(idx.read_idx_dataset, name="mnist", class_names=idx.MNIST_CLASSES),
        how_to_get=(
            "run `gankit data prepare mnist --root DIR` while online (downloads from "
            f"{SOURCE.mirrors[0]}), or copy the four IDX files into DIR/MNIST/raw"
        ),
        subdirs=("MNIST/raw", "mnist", "MNIST"),
        system_dirs=(Path("/usr/share/datasets/mnist"),),
        is_complete=idx.has_split,
        source=SOURCE,
        description="handwritten digits, 28 px grey, 10 classes",
    )
)
