"""Dataset names and specs, synthetic data, status/check, and the real Fashion-MNIST."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gankit.data import (
    check_dataset,
    dataset_status,
    load_dataset,
    parse_dataset_spec,
    prepare_dataset,
)
from gankit.data.registry import DATASETS
from gankit.errors import DataError

from .formats import write_mnist

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("fashion-mnist:test", ("fashion-mnist", "test")),
        ("mnist", ("mnist", "train")),
        ("Fashion_MNIST", ("fashion-mnist", "train")),
        ("cifar-10:all", ("cifar10", "all")),
        ("celeba:val", ("celeba", "valid")),
        ("synthetic:", ("synthetic", "train")),
    ],
)
def test_parse_dataset_spec(spec, expected):
    assert parse_dataset_spec(spec) == expected


def test_bad_specs_name_the_fix():
    with pytest.raises(DataError, match="did you mean 'mnist'"):
        parse_dataset_spec("mnsit:test")
    with pytest.raises(DataError, match="no split 'valid'; use one of train, test, all"):
        parse_dataset_spec("cifar10:valid")
    with pytest.raises(DataError, match="conflicts"):
        load_dataset("synthetic:test", "all")


def test_synthetic_is_seeded_and_shaped():
    a = load_dataset("synthetic", synthetic_n=64, synthetic_shape=(1, 28, 28), synthetic_classes=3)
    b = load_dataset("synthetic", synthetic_n=64, synthetic_shape=(1, 28, 28), synthetic_classes=3)
    assert a.images.shape == (64, 1, 28, 28) and a.images.dtype == torch.uint8
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert a.num_classes == 3 and set(a.labels.tolist()) == {0, 1, 2}
    test = load_dataset("synthetic", "test", synthetic_n=64, synthetic_shape=(1, 28, 28))
    assert not torch.equal(test.images, a.images)
    sized = load_dataset("synthetic", image_size=16, channels=3, synthetic_classes=0)
    assert sized.images.shape == (1024, 3, 16, 16) and sized.num_classes == 0
    assert sized.labels.abs().sum() == 0 and sized.spec == "synthetic:train"
    with pytest.raises(DataError, match="synthetic"):
        load_dataset("synthetic", synthetic_n=0)
    with pytest.raises(DataError, match="channels=2"):
        load_dataset("synthetic", channels=2)


def test_status_and_check_on_local_mnist(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    rows = {row.name: row for row in dataset_status(tmp_path)}
    assert list(rows) == list(DATASETS.names())
    assert rows["mnist"].available and rows["mnist"].path == str(tmp_path / "MNIST" / "raw")
    assert rows["mnist"].looked[0] == str(tmp_path / "MNIST" / "raw")
    assert not rows["cifar10"].available and rows["cifar10"].path is None
    assert str(tmp_path / "cifar-10-batches-py") in rows["cifar10"].looked
    assert rows["synthetic"].available and rows["folder"].to_dict()["available"]
    summary = check_dataset("mnist", tmp_path)
    assert summary["path"] == str(tmp_path / "MNIST" / "raw")
    assert summary["splits"]["train"]["n"] == 12 and summary["splits"]["test"]["n"] == 7
    assert summary["splits"]["train"]["shape"] == [1, 28, 28]
    assert summary["splits"]["train"]["class_counts"] == [2, 2] + [1] * 8
    assert summary["class_names"] == [str(d) for d in range(10)]


@needs_fashion
def test_real_fashion_mnist_from_debian_package():
    train = load_dataset("fashion-mnist")
    test = load_dataset("fashion-mnist", "test")
    assert train.source == str(FASHION_DIR)
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.num_classes == 10 and train.class_names[0] == "T-shirt/top"
    assert torch.bincount(train.labels).tolist() == [6000] * 10
    assert torch.bincount(test.labels).tolist() == [1000] * 10
    assert test.labels[:5].tolist() == [9, 2, 1, 1, 6]  # the published first test labels
    assert 70 < float(train.images.float().mean()) < 75  # mean pixel of Fashion-MNIST ~72.9
    assert prepare_dataset("fashion-mnist") == FASHION_DIR  # already present: no download


def test_a_registered_dataset_module_is_loadable_listed_and_checked(tmp_path):
    """What one new dataset module buys: load, spec parsing, data list and data check."""
    from gankit.data.registry import DatasetSpec, build_dataset, register_dataset

    def read(request):
        images = torch.full((5, 1, 4, 4), 7, dtype=torch.uint8).numpy()
        return build_dataset(images, None, [], "demo-set", request.split, None)

    register_dataset(
        DatasetSpec(
            name="demo-set",
            splits=("train", "all"),
            read=read,
            how_to_get="nothing to get",
            aliases=("demo",),
            locate_by="generated",
        )
    )
    try:
        ds = load_dataset("Demo:train", image_size=8, channels=3)
        assert ds.images.shape == (5, 3, 8, 8) and int(ds.images.float().mean()) == 7
        assert parse_dataset_spec("demo-set") == ("demo-set", "train")
        assert [row.name for row in dataset_status()][-1] == "demo-set"
        assert check_dataset("demo")["splits"]["train"]["n"] == 5
        with pytest.raises(DataError, match="no split 'test'; use one of train, all"):
            load_dataset("demo-set", "test")
    finally:
        DATASETS._entries.pop("demo-set")
        DATASETS._aliases.pop("demo")
    with pytest.raises(DataError, match="Unknown dataset 'demo-set'"):
        load_dataset("demo-set")


def test_the_loader_names_no_dataset():
    """Dispatch lives in the registry: the entry points hold no dataset name or if/elif on one."""
    import gankit.data.loader as loader

    source = Path(loader.__file__).read_text()
    for name in DATASETS.names():
        assert f'"{name}"' not in source and f"'{name}'" not in source, name


def test_cli_help_lists_the_registered_datasets(capsys):
    from gankit import cli

    with pytest.raises(SystemExit):
        cli.main(["data", "--help"])
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.split("datasets:\n", 1)[1].splitlines()]
    assert listed == list(DATASETS.names())
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    lines = capsys.readouterr().out.splitlines()
    line = next(x for x in lines if x.strip().startswith("data.name"))
    assert line.split(None, 1)[1] == ", ".join(DATASETS.names())
