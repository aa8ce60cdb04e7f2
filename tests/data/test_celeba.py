"""CelebA reader on a few real-size JPEGs with attribute and partition files."""

from __future__ import annotations

import pytest
import torch

from gankit.data import load_dataset
from gankit.errors import DataError

from .formats import write_celeba


def test_splits_crop_resize_and_attributes(tmp_path):
    write_celeba(tmp_path)
    train = load_dataset("celeba", root=tmp_path)
    assert train.images.shape == (3, 3, 64, 64) and train.images.dtype == torch.uint8
    assert train.num_classes == 0 and train.labels.tolist() == [0, 0, 0]
    assert train.attribute_names == ["5_o_Clock_Shadow", "Smiling"]
    assert train.attributes.tolist() == [[1, 1], [0, 1], [1, 1]]
    assert len(load_dataset("celeba", "valid", root=tmp_path)) == 1
    assert len(load_dataset("celeba:test", root=tmp_path)) == 2
    assert len(load_dataset("celeba", "all", root=tmp_path)) == 6
    # The 140-pixel centre crop is exactly the coloured square: no blue border survives.
    img = train.images[1].int()
    assert int(img[2].max()) < 60, "blue border leaked into the crop"
    assert abs(int(img[0, 32, 32]) - 200) < 8 and abs(int(img[1, 0, 0]) - 70) < 8


def test_custom_size_and_layout_without_partition(tmp_path):
    image_dir = write_celeba(tmp_path / "base", n=4, partition=False, attrs=False)
    ds = load_dataset("celeba", root=image_dir.parent.parent, image_size=32)
    assert ds.images.shape == (4, 3, 32, 32) and ds.attributes is None
    with pytest.raises(DataError, match=r"list_eval_partition\.txt"):
        load_dataset("celeba", "test", root=tmp_path / "base")


def test_partition_listing_missing_images(tmp_path):
    image_dir = write_celeba(tmp_path)
    (image_dir / "000005.jpg").unlink()
    with pytest.raises(DataError, match=r"000005\.jpg"):
        load_dataset("celeba", "test", root=tmp_path)


def test_corrupt_jpeg_is_named(tmp_path):
    image_dir = write_celeba(tmp_path)
    (image_dir / "000002.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.raises(DataError, match=r"000002\.jpg"):
        load_dataset("celeba", root=tmp_path)
