"""Fashion-MNIST clothing images (IDX files), registered as dataset ``fashion-mnist``.

Besides the usual places it is found where the Debian package ``dataset-fashion-mnist``
installs it (``/usr/share/datasets/fashion-mnist``), which ``make setup`` uses.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from gankit.data import idx
from gankit.data.download import Source
from gankit.data.registry import DatasetSpec, register_dataset

SOURCE = Source(
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    resources=idx.gz_resources(
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "25c81989df183df01b3e8a0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79",
        "bb300cfdad3c16e7a12a480ee83cd310",
    ),
    subdir="FashionMNIST/raw",
)

SPEC = register_dataset(
    DatasetSpec(
        name="fashion-mnist",
        splits=("train", "test", "all"),
        read=partial(
            idx.read_idx_dataset, name="fashion-mnist", class_names=idx.FASHION_MNIST_CLASSES
        ),
        how_to_get=(
            "install it with `apt-get install dataset-fashion-mnist`, or run `gankit data prepare "
            f"fashion-mnist --root DIR` while online (downloads from {SOURCE.mirrors[0]})"
        ),
        aliases=("fashion_mnist", "fashionmnist", "fmnist"),
        subdirs=("FashionMNIST/raw", "fashion-mnist", "fashion_mnist", "FashionMNIST"),
        system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
        is_complete=idx.has_split,
        source=SOURCE,
        description="clothing, 28 px grey, 10 classes",
    )
)
