from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.metrics import cache as cache_module
from gankit.metrics.cache import reference_cache_key, reference_features
from gankit.metrics.features import feature_stats
from gankit.metrics.preprocess import PROTOCOL_VERSION


@pytest.fixture
def fake_split(monkeypatch):
    """A fake dataset split; records how often it is loaded."""
    loads = []
    images = torch.randint(
        0, 256, (40, 1, 8, 8), generator=torch.Generator().manual_seed(0), dtype=torch.uint8
    )

    def load(spec, n=None, root=None):
        loads.append((spec, n))
        return images if n is None else images[:n]

    monkeypatch.setattr(cache_module, "load_split_images", load)
    return images, loads


def test_second_evaluation_hits_the_cache(fake_split, stub_extractor, tmp_path):
    _, loads = fake_split
    first = reference_features("fashion-mnist:test", 30, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 1 and len(loads) == 1
    second = reference_features("fashion-mnist:test", 30, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 1 and len(loads) == 1  # neither reloaded nor re-extracted
    np.testing.assert_array_equal(first.features, second.features)
    for got, want in zip(second.mu_sigma(), first.mu_sigma(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert second.features.dtype == np.float32 and second.mu_sigma()[1].dtype == np.float64
    assert len(second) == 30 and second.label == "fashion-mnist:test"


def test_cache_uses_the_first_n_images(fake_split, stub_extractor, tmp_path):
    images, _ = fake_split
    result = reference_features("fashion-mnist:test", 25, stub_extractor, cache_dir=tmp_path)
    np.testing.assert_allclose(result.features, stub_extractor.features(images[:25]), rtol=1e-6)
    mu, _ = feature_stats(result.features)
    np.testing.assert_allclose(result.mu_sigma()[0], mu)


def test_cache_key_names_split_n_protocol_precision_and_extractor():
    key = reference_cache_key("fashion-mnist:test", 10_000, "abcdef0123456789", "fp32")
    assert key == f"fashion-mnist_test-n10000-{PROTOCOL_VERSION}-fp32-abcdef0123456789"
    assert "nall" in reference_cache_key("cifar10:train", None, "h", "bf16")
    assert reference_cache_key("folder:/a/b", 5, "h", "fp32") != reference_cache_key(
        "folder:/a_b", 5, "h", "fp32"
    )
    assert reference_cache_key("mnist:test", 5, "h", "fp32", "/data/a") != reference_cache_key(
        "mnist:test", 5, "h", "fp32", "/data/b"
    )


def test_other_n_or_extractor_is_a_miss(fake_split, stub_extractor, tmp_path):
    reference_features("mnist:test", 20, stub_extractor, cache_dir=tmp_path)
    reference_features("mnist:test", 21, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 2
    stub_extractor.hash = "0" * 16
    reference_features("mnist:test", 20, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 3


def test_precision_is_part_of_the_key_so_bf16_never_reads_fp32_features(
    fake_split, stub_extractor, tmp_path
):
    assert reference_cache_key("mnist:test", 20, "h", "fp32") != reference_cache_key(
        "mnist:test", 20, "h", "bf16"
    )
    reference_features("mnist:test", 30, stub_extractor, cache_dir=tmp_path)
    # neither the same N nor the head of the larger fp32 entry serves a bf16 request
    reference_features("mnist:test", 30, stub_extractor, cache_dir=tmp_path, precision="bf16")
    reference_features("mnist:test", 20, stub_extractor, cache_dir=tmp_path, precision="bf16")
    assert stub_extractor.precisions == ["fp32", "bf16"]  # n=20 bf16 is the head of n=30 bf16
    names = sorted(p.name for p in tmp_path.glob("*.npy"))
    assert [("-fp32-" in n, "-bf16-" in n) for n in names] == [(False, True), (True, False)]


def test_damaged_cache_entry_is_recomputed(fake_split, stub_extractor, tmp_path):
    reference_features("mnist:test", 20, stub_extractor, cache_dir=tmp_path)
    for path in tmp_path.glob("*.npz"):
        path.write_bytes(b"garbage")
    reference_features("mnist:test", 20, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 2


def test_default_cache_location_follows_gankit_cache(
    monkeypatch, tmp_path, fake_split, stub_extractor
):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    reference_features("mnist:test", 20, stub_extractor)
    assert len(list((tmp_path / "stats").glob("mnist_test-n20-*.npy"))) == 1
    assert len(list((tmp_path / "stats").glob("mnist_test-n20-*.npz"))) == 1


def test_smaller_n_is_the_head_of_a_larger_cached_entry(fake_split, stub_extractor, tmp_path):
    images, loads = fake_split
    reference_features("mnist:test", 30, stub_extractor, cache_dir=tmp_path)
    small = reference_features("mnist:test", 12, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 1 and len(loads) == 1  # served from the 30-image entry
    np.testing.assert_allclose(small.features, stub_extractor.features(images[:12]), rtol=1e-6)
    np.testing.assert_allclose(small.mu_sigma()[0], feature_stats(small.features)[0])
    before = stub_extractor.calls
    reference_features("fashion-mnist:test", 12, stub_extractor, cache_dir=tmp_path)
    reference_features("mnist:test", 12, stub_extractor, cache_dir=tmp_path, precision="bf16")
    assert stub_extractor.calls == before + 2  # another split or precision is not a substitute


def test_a_split_named_like_a_size_is_served_from_its_own_larger_entry(
    fake_split, stub_extractor, tmp_path
):
    # a split whose name holds "-n12-" (a folder called "faces-n12-crop", say) must still find
    # its 30-image entry for N = 12: the key is cut at its last "-n12-", not its first
    reference_features("faces-n12-crop:test", 30, stub_extractor, cache_dir=tmp_path)
    small = reference_features("faces-n12-crop:test", 12, stub_extractor, cache_dir=tmp_path)
    assert stub_extractor.calls == 1 and len(small) == 12


def test_whole_split_entry_serves_any_n(fake_split, stub_extractor, tmp_path):
    reference_features("mnist:train", None, stub_extractor, cache_dir=tmp_path)
    assert len(reference_features("mnist:train", 7, stub_extractor, cache_dir=tmp_path)) == 7
    assert stub_extractor.calls == 1


def _class_sorted_folder(root, per_class: int = 6, classes: int = 4):
    """A split folder read class by class: the first half of test/ holds only two classes."""
    from PIL import Image

    for split in ("train", "test"):
        for k in range(classes):
            for i in range(per_class):
                path = root / split / f"c{k}" / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.full((4, 4), 40 * k + i, np.uint8)).save(path)
    return root


def test_folder_subsets_are_a_fixed_permutation_not_the_class_sorted_head(tmp_path):
    from gankit.metrics.splits import load_split_images, subset_order

    root = _class_sorted_folder(tmp_path / "data")
    full = load_split_images("folder:test", None, root)
    half = load_split_images("folder:test", 12, root)
    classes = (half[:, 0, 0, 0] // 40).unique().tolist()
    assert len(classes) >= 3, "the head of a class-sorted folder would hold 2 classes"
    assert half.equal(full[:12]), "a smaller N must be a prefix of a larger one"
    assert sorted(full[:, 0, 0, 0].tolist()) == [40 * k + i for k in range(4) for i in range(6)]
    assert subset_order(24).equal(subset_order(24)) and not subset_order(24).equal(torch.arange(24))


def test_folder_cache_key_differs_from_the_head_based_one():
    shuffled = reference_cache_key("folder:test", 5000, "abc", "fp32", data_root="/d")
    named = reference_cache_key("cifar10:test", 5000, "abc", "fp32")
    assert named.startswith("cifar10_test-n5000-")
    # the identity hashed into a folder's key carries the permutation's seed
    import hashlib

    head_based = hashlib.sha1(b"folder:test@/d").hexdigest()[:8]
    assert head_based not in shuffled and shuffled.startswith("folder_test_")


def test_folder_path_with_n_uses_the_same_permutation(tmp_path):
    from gankit.metrics.image_sets import load_image_set

    root = _class_sorted_folder(tmp_path / "data")
    picked = load_image_set(root / "test", 12)
    assert len((picked[:, 0, 0, 0] // 40).unique()) >= 3


def test_per_class_reference_labels_follow_the_folder_permutation(tmp_path):
    from gankit.metrics.splits import load_split_labels, load_split_subset

    root = _class_sorted_folder(tmp_path / "data")
    images, labels, k = load_split_subset("folder:test", 10, root)
    assert k == 4 and labels.tolist() == (images[:, 0, 0, 0] // 40).tolist()
    assert load_split_labels("folder:test", 10, root).tolist() == labels.tolist()


def test_folder_reference_is_recomputed_when_a_file_changes(stub_extractor, tmp_path):
    from PIL import Image

    root = _class_sorted_folder(tmp_path / "data")
    cache = tmp_path / "stats"
    first = reference_features("folder:test", 8, stub_extractor, cache_dir=cache, data_root=root)
    reference_features("folder:test", 8, stub_extractor, cache_dir=cache, data_root=root)
    assert stub_extractor.calls == 1  # unchanged folder: a hit
    for path in sorted((root / "test").rglob("*.png")):  # every pixel changes, sizes may not
        Image.fromarray(np.full((4, 4), 255, np.uint8)).save(path)
    second = reference_features("folder:test", 8, stub_extractor, cache_dir=cache, data_root=root)
    assert stub_extractor.calls == 2, "an edited folder must not be served stale features"
    assert not np.array_equal(first.features, second.features)
    assert len(list(cache.glob("*.npy"))) == 2


def test_folder_cache_key_carries_the_content_fingerprint():
    plain = reference_cache_key("folder:test", 5, "h", "fp32", data_root="/d")
    assert (
        reference_cache_key("folder:test", 5, "h", "fp32", data_root="/d", content="aaaa") != plain
    )
    assert reference_cache_key(
        "folder:test", 5, "h", "fp32", data_root="/d", content="aaaa"
    ) != reference_cache_key("folder:test", 5, "h", "fp32", data_root="/d", content="bbbb")


def test_a_cache_that_cannot_be_written_warns_and_keeps_the_score(
    fake_split, stub_extractor, tmp_path
):
    # a read-only or full cache (here: a file where the cache folder should be) must not throw
    # away a 30-minute Inception pass; it warns, and the next call computes again
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    with pytest.warns(UserWarning, match="could not cache the reference features of mnist:train"):
        first = reference_features("mnist:train", 12, stub_extractor, cache_dir=blocked / "stats")
    assert len(first) == 12 and stub_extractor.calls == 1
    with pytest.warns(UserWarning, match="could not cache"):
        reference_features("mnist:train", 12, stub_extractor, cache_dir=blocked / "stats")
    assert stub_extractor.calls == 2
