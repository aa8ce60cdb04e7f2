"""MNIST / Fashion-MNIST IDX reader on tiny files written in the real format."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from gankit.data import load_dataset
from gankit.data.idx import read_idx
from gankit.errors import DataError

from .formats import idx_bytes, write_idx, write_mnist


def test_reads_raw_and_gz_in_torchvision_layout(tmp_path):
    written = write_mnist(tmp_path / "MNIST" / "raw")  # train raw, test .gz
    train = load_dataset("mnist", root=tmp_path)
    test = load_dataset("mnist", "test", root=tmp_path)
    assert train.images.shape == (12, 1, 28, 28) and train.images.dtype == torch.uint8
    assert np.array_equal(train.images[:, 0].numpy(), written["train"][0])
    assert np.array_equal(test.images[:, 0].numpy(), written["test"][0])
    assert train.labels.dtype == torch.int64
    assert train.labels.tolist() == written["train"][1].tolist()
    assert train.num_classes == 10 and train.class_names[3] == "3"
    assert (train.name, train.split, test.split) == ("mnist", "train", "test")
    assert train.source == str(tmp_path / "MNIST" / "raw")
    both = load_dataset("mnist", "all", root=tmp_path)
    assert len(both) == 19 and torch.equal(both.images[12:], test.images)


def test_fashion_found_through_env_var(tmp_path, monkeypatch):
    write_mnist(tmp_path / "fashion-mnist", gz_train=True)
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path))
    ds = load_dataset("fashion-mnist:test")
    assert len(ds) == 7 and ds.class_names[9] == "Ankle boot"
    assert ds.source == str(tmp_path / "fashion-mnist")


def test_explicit_root_holding_files_directly_and_dotted_names(tmp_path):
    images = np.full((3, 28, 28), 7, np.uint8)
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images.idx3-ubyte", images, gz=False)
        write_idx(tmp_path / f"{split}-labels.idx1-ubyte", np.array([0, 1, 2]), gz=False)
    ds = load_dataset("mnist", root=tmp_path)
    assert ds.images.shape == (3, 1, 28, 28) and int(ds.images.max()) == 7


def test_resize_and_channels_after_loading(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    ds = load_dataset("mnist", root=tmp_path, image_size=32, channels=3)
    assert ds.images.shape == (12, 3, 32, 32) and ds.images.dtype == torch.uint8
    assert torch.equal(ds.images[:, 0], ds.images[:, 2])


def test_truncated_raw_file_names_the_file(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    write_mnist(folder)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated") as err:
        load_dataset("mnist", root=tmp_path)
    assert str(path) in str(err.value)


def test_truncated_gzip_names_the_file(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    write_mnist(folder)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError) as err:
        load_dataset("mnist", "test", root=tmp_path)
    assert str(path) in str(err.value)


def test_bad_magic_and_wrong_dims(tmp_path):
    path = tmp_path / "x-idx3-ubyte"
    data = bytearray(idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    data[2] = 0x0D  # float type code
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="magic number 0x00000d03") as err:
        read_idx(path, ndim=3)
    assert str(path) in str(err.value)
    path.write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(DataError, match="3 dimension"):
        read_idx(path, ndim=3)


def test_trailing_bytes_are_corruption(tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(5, dtype=np.uint8)) + b"junk"))
    with pytest.raises(DataError, match="4 unexpected bytes"):
        read_idx(path, ndim=1)


def test_count_mismatch_and_bad_labels(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    write_mnist(folder)
    write_idx(folder / "train-labels-idx1-ubyte", np.zeros(5, np.uint8), gz=False)
    with pytest.raises(DataError, match=r"12 images but .* 5 labels"):
        load_dataset("mnist", root=tmp_path)
    write_idx(folder / "train-labels-idx1-ubyte", np.full(12, 10, np.uint8), gz=False)
    with pytest.raises(DataError, match="label 10"):
        load_dataset("mnist", root=tmp_path)


def test_missing_dataset_lists_places_looked(tmp_path, monkeypatch):
    env_root = tmp_path / "env"
    monkeypatch.setenv("GANKIT_DATA", str(env_root))
    with pytest.raises(DataError) as err:
        load_dataset("mnist", root=tmp_path / "mine")
    message = str(err.value)
    assert str(tmp_path / "mine" / "MNIST" / "raw") in message
    assert str(tmp_path / "mine") + "," in message  # the explicit root itself
    assert str(env_root / "MNIST" / "raw") in message
    assert "gankit data prepare mnist --root DIR" in message
    assert "\n" not in message
