"""Decoded-image cache: hits skip decoding, any changed file invalidates, writes are atomic."""

from __future__ import annotations

import os

import numpy as np
import pytest

from gankit.data import folder, image_cache, load_dataset

from .formats import save_image, write_celeba


def _images(root, values=(10, 20, 30)):
    for k, value in enumerate(values):
        save_image(root / "train" / f"c{k % 2}" / f"{k}.png", np.full((6, 6), value, np.uint8))
    save_image(root / "test" / "c0" / "t.png", np.full((6, 6), 99, np.uint8))
    return root


@pytest.fixture
def decode_counter(monkeypatch):
    """Counts calls of the folder decoder (the expensive part the cache must skip)."""
    calls = []
    real = folder._decode_folder

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(folder, "_decode_folder", counting)
    return calls


def _entries():
    return sorted(image_cache.cache_folder().glob("*.npz"))


def test_second_load_is_served_from_the_cache(tmp_path, decode_counter):
    root = _images(tmp_path / "data")
    first = load_dataset("folder", root=root)
    second = load_dataset("folder", root=root)
    assert len(decode_counter) == 1
    assert second.images.equal(first.images) and second.labels.equal(first.labels)
    assert second.class_names == first.class_names == ["c0", "c1"]
    assert len(_entries()) == 1
    load_dataset("folder", "test", root=root)  # another split is another entry
    assert len(decode_counter) == 2 and len(_entries()) == 2


def test_target_size_is_part_of_the_key(tmp_path, decode_counter):
    root = _images(tmp_path / "data")
    assert load_dataset("folder", root=root, image_size=4).images.shape[-1] == 4
    assert load_dataset("folder", root=root, image_size=6).images.shape[-1] == 6
    assert len(decode_counter) == 2


@pytest.mark.parametrize("change", ["rewrite", "add", "remove", "touch"])
def test_any_changed_file_invalidates_the_entry(tmp_path, decode_counter, change):
    root = _images(tmp_path / "data")
    load_dataset("folder", root=root)
    target = root / "train" / "c0" / "0.png"
    if change == "rewrite":  # same size in bytes is not enough to hide it: mtime changes
        save_image(target, np.full((6, 6), 77, np.uint8))
        os.utime(target, ns=(1, 1_000_000_000))
    elif change == "add":
        save_image(root / "train" / "c1" / "9.png", np.full((6, 6), 55, np.uint8))
    elif change == "remove":
        target.unlink()
    else:
        stat = target.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    ds = load_dataset("folder", root=root)
    assert len(decode_counter) == 2
    expected = {"rewrite": 3, "add": 4, "remove": 2, "touch": 3}[change]
    assert len(ds) == expected
    if change == "rewrite":
        assert int(ds.images[0, 0, 0, 0]) == 77
    assert len(_entries()) == 1, "the stale entry of the same folder should be deleted"


def test_interrupted_write_leaves_no_entry(tmp_path, monkeypatch, decode_counter):
    root = _images(tmp_path / "data")

    def crash(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # undo only this patch, not the cache location
        patch.setattr(image_cache.np, "savez", crash)
        with pytest.raises(KeyboardInterrupt):
            load_dataset("folder", root=root)
    assert list(image_cache.cache_folder().iterdir()) == []
    load_dataset("folder", root=root)
    assert len(_entries()) == 1


def test_damaged_entry_is_decoded_again(tmp_path, decode_counter):
    root = _images(tmp_path / "data")
    good = load_dataset("folder", root=root)
    (entry,) = _entries()
    entry.write_bytes(entry.read_bytes()[:100])
    again = load_dataset("folder", root=root)
    assert len(decode_counter) == 2 and again.images.equal(good.images)


def test_switch_off_and_unwritable_cache(tmp_path, monkeypatch, decode_counter, capsys):
    root = _images(tmp_path / "data")
    monkeypatch.setenv("GANKIT_IMAGE_CACHE", "0")
    load_dataset("folder", root=root)
    load_dataset("folder", root=root)
    assert len(decode_counter) == 2 and not image_cache.cache_folder().exists()
    monkeypatch.delenv("GANKIT_IMAGE_CACHE")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("GANKIT_CACHE", str(blocker))
    ds = load_dataset("folder", root=root)
    assert len(ds) == 3 and "could not cache decoded images" in capsys.readouterr().err


def test_celeba_split_is_cached_with_its_attributes(tmp_path, monkeypatch):
    from gankit.data import celeba

    write_celeba(tmp_path)
    calls = []
    real = celeba._decode_split
    monkeypatch.setattr(celeba, "_decode_split", lambda *a: calls.append(1) or real(*a))
    first = load_dataset("celeba", root=tmp_path)
    second = load_dataset("celeba", root=tmp_path)
    assert len(calls) == 1 and second.images.equal(first.images)
    assert second.attribute_names == ["5_o_Clock_Shadow", "Smiling"]
    assert second.attributes.tolist() == first.attributes.tolist() == [[1, 1], [0, 1], [1, 1]]
    attr = tmp_path / "celeba" / "list_attr_celeba.txt"
    attr.write_text(attr.read_text().replace("000001.jpg  1", "000001.jpg -1"))
    os.utime(attr, ns=(1, 2_000_000_000))
    third = load_dataset("celeba", root=tmp_path)
    assert len(calls) == 2 and third.attributes.tolist()[0] == [0, 1]
