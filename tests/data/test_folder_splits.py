"""Image folders with train/ and test/ sub-folders: one dataset, two splits, shared class names."""

from __future__ import annotations

import numpy as np
import pytest

from gankit.cli import main
from gankit.data import check_dataset, load_dataset
from gankit.data.folder import available_splits, split_folders
from gankit.errors import DataError
from gankit.metrics.cache import load_split_images

from .formats import save_image


def _grey(value: int) -> np.ndarray:
    return np.full((8, 8), value, np.uint8)


def _split_folder(root, test_classes=("cat", "dog")):
    """train: cat (2, value 10/11), dog (1, value 20), eel (1, 30); test: the given classes."""
    save_image(root / "train" / "cat" / "a.png", _grey(10))
    save_image(root / "train" / "cat" / "b.png", _grey(11))
    save_image(root / "train" / "dog" / "c.png", _grey(20))
    save_image(root / "train" / "eel" / "d.png", _grey(30))
    for k, name in enumerate(test_classes):
        save_image(root / "test" / name / f"t{k}.png", _grey(100 + k))
    return root


def test_train_and_test_are_splits_with_one_class_list(tmp_path):
    root = _split_folder(tmp_path, test_classes=("dog", "eel"))  # no cat in test
    train = load_dataset("folder", "train", root=root)
    test = load_dataset("folder", "test", root=root)
    assert train.class_names == test.class_names == ["cat", "dog", "eel"]
    assert train.labels.tolist() == [0, 0, 1, 2]
    assert [int(v) for v in train.images[:, 0, 0, 0]] == [10, 11, 20, 30]
    # test has no cat: dog and eel keep the labels they have in train
    assert test.labels.tolist() == [1, 2]
    assert [int(v) for v in test.images[:, 0, 0, 0]] == [100, 101]
    assert test.split == "test" and test.source == str(root / "test")
    both = load_dataset("folder", "all", root=root)
    assert len(both) == 6 and both.labels.tolist() == [0, 0, 1, 2, 1, 2]


def test_split_spec_and_reference_loader_read_the_test_folder(tmp_path):
    root = _split_folder(tmp_path)
    assert len(load_dataset("folder:test", root=root)) == 2
    images = load_split_images("folder:test", None, root)  # what eval --ref test loads
    assert images.shape == (2, 1, 8, 8) and int(images[1, 0, 0, 0]) == 101


def test_folder_without_split_subfolders_stays_one_split(tmp_path):
    save_image(tmp_path / "cat" / "a.png", _grey(1))
    save_image(tmp_path / "train" / "b.png", _grey(2))  # a class that happens to be called train
    assert split_folders(tmp_path) == {}
    assert available_splits(tmp_path) == ["train"]
    ds = load_dataset("folder", root=tmp_path)
    assert ds.class_names == ["cat", "train"] and len(ds) == 2
    with pytest.raises(DataError, match="no test/ sub-folder, so it is one split"):
        load_dataset("folder", "test", root=tmp_path)


def test_missing_split_and_mixed_layouts_are_named(tmp_path):
    save_image(tmp_path / "a" / "train" / "cat" / "x.png", _grey(1))
    with pytest.raises(DataError, match="no test/ sub-folder; its splits are train"):
        load_dataset("folder", "test", root=tmp_path / "a")
    save_image(tmp_path / "b" / "train" / "cat" / "x.png", _grey(1))
    save_image(tmp_path / "b" / "test" / "y.png", _grey(2))  # flat test beside labelled train
    with pytest.raises(DataError, match="class sub-folders in train but loose images in test"):
        load_dataset("folder", "train", root=tmp_path / "b")


def test_alternative_split_names(tmp_path):
    save_image(tmp_path / "training" / "x.png", _grey(1))
    save_image(tmp_path / "val" / "y.png", _grey(2))
    assert available_splits(tmp_path) == ["train", "valid"]
    assert int(load_dataset("folder", "valid", root=tmp_path).images[0, 0, 0, 0]) == 2


def test_check_counts_every_split_and_class(tmp_path, capsys):
    root = _split_folder(tmp_path)
    summary = check_dataset("folder", root=root)
    assert list(summary["splits"]) == ["train", "test"]
    assert summary["splits"]["train"]["class_counts"] == [2, 1, 1]
    assert summary["splits"]["test"]["class_counts"] == [1, 1, 0]
    assert main(["data", "check", "folder", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "folder:train" in out and "folder:test" in out
    assert "per class: cat 2, dog 1, eel 1" in out
    assert "per class: cat 1, dog 1, eel 0" in out


def test_check_folder_without_root_is_one_sentence(capsys):
    assert main(["data", "check", "folder"]) == 2
    assert "needs a root" in capsys.readouterr().err
