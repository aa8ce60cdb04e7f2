"""CelebA reader on a few JPEGs in the layouts users have: the official zip (with or without
the partition file), torchvision's folder, and a plain folder of aligned (half-size) faces."""

from __future__ import annotations

import os

import pytest
import torch

from gankit import cli
from gankit.data import celeba, check_dataset, load_dataset
from gankit.errors import DataError

from .formats import write_aligned_folder, write_celeba


def _face_index(images: torch.Tensor) -> list[int]:
    """Which file each decoded image came from: the red level of its centre is 6 * index."""
    return [round(float(img[0, 16:48, 16:48].float().mean()) / 6) for img in images]


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


def test_custom_size_and_too_few_images_to_hold_out(tmp_path):
    image_dir = write_celeba(tmp_path / "base", n=4, partition=False, attrs=False)
    ds = load_dataset("celeba", root=image_dir.parent.parent, image_size=32)
    assert ds.images.shape == (4, 3, 32, 32) and ds.attributes is None  # all 4 are train
    with pytest.raises(DataError, match=r"has 4 CelebA images, too few to hold out a test split"):
        load_dataset("celeba", "test", root=tmp_path / "base")
    assert check_dataset("celeba", tmp_path / "base")["split_rule"].startswith(
        "no list_eval_partition.txt and only 4 images: all are train"
    )


def test_held_out_count_closed_form():
    assert [celeba.held_out_count(n) for n in (202_599, 10_000, 9_999, 25, 10, 9, 0)] == [
        1000,
        1000,
        999,
        2,
        1,
        0,
        0,
    ]


@pytest.mark.parametrize("layout", ["plain-root", "named-folder", "official-zip"])
def test_without_partition_the_last_images_by_name_are_the_test_split(tmp_path, layout):
    """The copy in issue 29 is a plain folder of half-size aligned JPEGs with no partition file;
    the official zip extracted without list_eval_partition.txt behaves the same."""
    sub = {"plain-root": "", "named-folder": "celebA", "official-zip": "img_align_celeba"}[layout]
    image_dir = tmp_path / sub if sub else tmp_path
    names = write_aligned_folder(image_dir, 25, scale=2)
    train = load_dataset("celeba", root=tmp_path)
    test = load_dataset("celeba:test", root=tmp_path)
    every = load_dataset("celeba", "all", root=tmp_path)
    assert train.source == test.source == str(image_dir)
    assert (len(train), len(test), len(every)) == (23, 2, 25)
    assert train.images.shape[1:] == (3, 64, 64)
    assert _face_index(train.images) == list(range(1, 24))  # sorted by file name
    assert _face_index(test.images) == [24, 25]
    assert torch.equal(torch.cat([train.images, test.images]), every.images)
    with pytest.raises(DataError, match=r"split 'valid' needs list_eval_partition\.txt"):
        load_dataset("celeba", "valid", root=tmp_path)
    summary = check_dataset("celeba", tmp_path)
    assert summary["split_rule"] == (
        f"no list_eval_partition.txt: the last 2 of 25 images by file name ({names[23]}.."
        f"{names[24]}) are held out as test, the other 23 are train"
    )
    assert {k: v["n"] for k, v in summary["splits"].items()} == {"train": 23, "test": 2}


def test_the_cap_of_held_out_images(tmp_path, monkeypatch):
    monkeypatch.setattr(celeba, "HELD_OUT", 3)
    write_aligned_folder(tmp_path, 40, scale=2)
    assert _face_index(load_dataset("celeba", "test", root=tmp_path).images) == [38, 39, 40]
    assert len(load_dataset("celeba", root=tmp_path)) == 37


def test_official_zip_layout_with_partition_file(tmp_path):
    image_dir = tmp_path / "img_align_celeba"
    names = write_aligned_folder(image_dir, 12)
    codes = [0] * 8 + [1, 1, 2, 2]
    (tmp_path / "list_eval_partition.txt").write_text(
        "".join(f"{n} {c}\n" for n, c in zip(names, codes, strict=True))
    )
    assert _face_index(load_dataset("celeba", "test", root=tmp_path).images) == [11, 12]
    assert _face_index(load_dataset("celeba", "valid", root=tmp_path).images) == [9, 10]
    summary = check_dataset("celeba", tmp_path)
    assert summary["split_rule"] == (
        f"official partition from {tmp_path / 'list_eval_partition.txt'}"
    )
    assert {k: v["n"] for k, v in summary["splits"].items()} == {"train": 8, "valid": 2, "test": 2}


def test_a_half_size_copy_gets_the_same_face_crop(tmp_path):
    write_aligned_folder(tmp_path / "full", 3)
    write_aligned_folder(tmp_path / "half", 3, scale=2)
    full = load_dataset("celeba", root=tmp_path / "full", image_size=32).images
    half = load_dataset("celeba", root=tmp_path / "half", image_size=32).images
    # The crop is the 140/178 centre square at either scale: no blue border inside either (the
    # half-size fixture blends the square's edge into its outermost row and column).
    assert int(full[:, 2].max()) < 40 and int(half[:, 2, 1:-1, 1:-1].max()) < 40
    assert (full.int() - half.int())[:, :, 1:-1, 1:-1].abs().float().mean() < 4
    assert celeba.crop_side(89, 109, 140) == 70 and celeba.crop_side(178, 218, 140) == 140
    assert celeba.crop_side(64, 64, 140) is None  # pre-cropped squares are only resized


def test_held_out_split_is_cached_and_follows_new_files(tmp_path, monkeypatch):
    write_aligned_folder(tmp_path, 20, scale=2)
    calls = []
    real = celeba._decode_split
    monkeypatch.setattr(celeba, "_decode_split", lambda *a: calls.append(1) or real(*a))
    first = load_dataset("celeba", "test", root=tmp_path)
    second = load_dataset("celeba", "test", root=tmp_path)
    assert len(calls) == 1 and torch.equal(first.images, second.images)
    assert _face_index(first.images) == [19, 20]
    (tmp_path / "000021.jpg").write_bytes((tmp_path / "000020.jpg").read_bytes())
    os.utime(tmp_path / "000021.jpg", ns=(1, 3_000_000_000))
    third = load_dataset("celeba", "test", root=tmp_path)
    assert len(calls) == 2 and _face_index(third.images) == [20, 20]  # now 000020, 000021


def test_no_images_names_both_layouts(tmp_path):
    (tmp_path / "img_align_celeba").mkdir()
    with pytest.raises(DataError) as err:
        load_dataset("celeba", root=tmp_path)
    message = str(err.value)
    assert f"looked in: {tmp_path / 'celeba' / 'img_align_celeba'}" in message
    assert str(tmp_path / "img_align_celeba") in message and f", {tmp_path}, " in message
    assert (
        "DIR/img_align_celeba/000001.jpg exists (or put the aligned JPEGs directly in DIR)"
        in message
    )


def test_gankit_data_check_prints_the_split_rule(tmp_path, capsys):
    write_aligned_folder(tmp_path / "celebA", 10, scale=2)
    assert cli.main(["data", "check", "celeba", "--root", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "split rule: no list_eval_partition.txt: the last 1 of 10 images by file "
        "name (000010.jpg..000010.jpg) are held out as test, the other 9 are train"
    )
    assert lines[1].startswith('celeba:train  {"n": 9, "shape": [3, 64, 64]')
    assert lines[2].startswith('celeba:test  {"n": 1, ')


def test_fid_reference_celeba_test_is_the_held_out_faces(tmp_path):
    """Metrics read ``celeba:test`` through the data layer, so the reference is the held-out."""
    from gankit.metrics.splits import load_split_subset

    write_aligned_folder(tmp_path, 30, scale=2)
    images, labels, classes = load_split_subset("celeba:test", root=tmp_path)
    assert _face_index(images) == [28, 29, 30] and classes == 0 and labels.tolist() == [0] * 3


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
