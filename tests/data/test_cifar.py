"""CIFAR-10 pickle-batch reader: real formats read, malicious pickles refused unexecuted."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from gankit.data import load_dataset
from gankit.data.cifar import read_batch
from gankit.errors import DataError

from .formats import cifar_batch, py2_cifar_pickle, write_cifar


@pytest.mark.parametrize("py2", [False, True], ids=["py3-protocol2", "py2-cpickle"])
def test_reads_batches_in_channel_planes(tmp_path, py2):
    written = write_cifar(tmp_path / "cifar-10-batches-py", py2=py2)
    train = load_dataset("cifar10", root=tmp_path)
    assert train.images.shape == (20, 3, 32, 32) and train.images.dtype == torch.uint8
    data, labels = written["data_batch_2"]
    # Row layout: 1024 red, then 1024 green, then 1024 blue values, each row-major 32x32.
    assert np.array_equal(train.images[4].numpy(), data[0].reshape(3, 32, 32))
    assert int(train.images[4, 1, 0, 5]) == int(data[0][1024 + 5])
    assert train.labels[4:8].tolist() == labels
    assert train.num_classes == 10 and train.class_names[9] == "truck"
    test = load_dataset("cifar10", "test", root=tmp_path)
    assert len(test) == 3 and test.labels.tolist() == written["test_batch"][1]
    assert len(load_dataset("cifar10", "all", root=tmp_path)) == 23


class _ShellMarker:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _OpenMarker:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize(
    "evil_cls, global_name", [(_ShellMarker, "system"), (_OpenMarker, "io.open")]
)
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, evil_cls, global_name):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(folder)
    marker = tmp_path / "pwned"
    data, labels = cifar_batch(4, 0)
    with open(folder / "data_batch_3", "wb") as handle:
        pickle.dump({b"labels": labels, b"data": data, b"x": evil_cls(marker)}, handle, protocol=2)
    with pytest.raises(DataError, match=global_name) as err:
        load_dataset("cifar10", root=tmp_path)
    assert str(folder / "data_batch_3") in str(err.value)
    assert not marker.exists()


def test_corrupt_and_wrong_content_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(folder)
    path = folder / "test_batch"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataError, match="not a readable CIFAR-10 pickle") as err:
        read_batch(path)
    assert str(path) in str(err.value)
    with open(path, "wb") as handle:
        pickle.dump(
            {b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, handle, protocol=2
        )
    with pytest.raises(DataError, match="instead of uint8"):
        read_batch(path)
    with open(path, "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, handle, protocol=2)
    with pytest.raises(DataError, match="holds 2 images"):
        read_batch(path)


def test_missing_batch_means_not_found(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar(folder)
    (folder / "data_batch_5").unlink()
    with pytest.raises(DataError, match="not found; looked in") as err:
        load_dataset("cifar10", root=tmp_path)
    assert "cifar-10-python.tar.gz" in str(err.value)
    assert len(load_dataset("cifar10", "test", root=tmp_path)) == 3  # test split is complete


def test_py2_pickle_helper_matches_format(tmp_path):
    data, labels = cifar_batch(2, 5)
    path = tmp_path / "b"
    path.write_bytes(py2_cifar_pickle(data, labels))
    images, got = read_batch(path)
    assert np.array_equal(images.reshape(2, -1), data) and got.tolist() == labels
