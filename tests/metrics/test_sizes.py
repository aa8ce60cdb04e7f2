"""N handling when metrics of several sizes are scored in one call: ``fid`` is the caller's N
(docs/metrics.md), whatever sized names (``fid1k``, ``fid1k_full``) come with it, and a smaller
N of an image folder is the same subset however the folder was read."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from gankit.errors import MetricError
from gankit.metrics.evaluate import evaluate_generator, evaluate_images, save_source_stats

from .test_evaluate import TinyGenerator


@pytest.fixture(autouse=True)
def _quiet_small_n():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # FID from a few samples: expected here
        yield


def _class_sorted_folder(root, per_class: int = 8, classes: int = 4):
    """Images read class by class: the first quarter of the files is one class only."""
    rng = np.random.default_rng(0)
    for k in range(classes):
        for i in range(per_class):
            path = root / f"c{k}" / f"{i:02d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            pixels = (40 * k + rng.integers(0, 30, (6, 6))).astype(np.uint8)
            Image.fromarray(pixels).save(path)
    return root


def _images(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 1, 6, 6), dtype=np.uint8)


def test_unsized_fid_of_a_generator_uses_the_callers_n_beside_a_sized_metric(
    fake_reference, stub_extractor, tmp_path
):
    generator = TinyGenerator()
    kwargs = dict(n=20, ref="toy:test", extractor=stub_extractor, cache_dir=tmp_path)
    alone = evaluate_generator(generator, metrics=["fid"], **kwargs)
    both = evaluate_generator(generator, metrics=["fid1k", "fid"], **kwargs)
    assert both["fid"] == pytest.approx(alone["fid"], rel=1e-9)
    assert both["fid1k"] != both["fid"] and both["n_gen"] == 1000


def test_unsized_fid_of_an_image_set_uses_the_callers_n_beside_a_sized_metric(stub_extractor):
    a, b = _images(0, 40), _images(1, 40)
    alone = evaluate_images(a, b, metrics=["fid"], n=30, extractor=stub_extractor)
    both = evaluate_images(a, b, metrics=["fid1k", "fid"], n=30, extractor=stub_extractor)
    assert both["fid"] == pytest.approx(alone["fid"], rel=1e-9)
    # no n: every image, not the largest sized N
    a_big = _images(2, 1200)
    whole = evaluate_images(a_big, b, metrics=["fid"], extractor=stub_extractor)
    with_1k = evaluate_images(a_big, b, metrics=["fid", "fid1k"], extractor=stub_extractor)
    assert with_1k["fid"] == pytest.approx(whole["fid"], rel=1e-9)
    assert with_1k["n_a"] == 1200


def test_a_folder_reference_subset_does_not_depend_on_the_other_metrics(stub_extractor, tmp_path):
    folder = _class_sorted_folder(tmp_path / "ref")
    a = _images(0, 40)
    alone = evaluate_images(a, folder, metrics=["fid"], n=12, extractor=stub_extractor)
    after_full = evaluate_images(
        a, folder, metrics=["fid1k_full", "fid"], n=12, extractor=stub_extractor
    )
    assert after_full["fid"] == pytest.approx(alone["fid"], rel=1e-9)


def test_a_folder_scored_side_subset_does_not_depend_on_the_other_metrics(stub_extractor, tmp_path):
    folder = _class_sorted_folder(tmp_path / "a")
    b = _images(1, 40)
    alone = evaluate_images(folder, b, metrics=["fid"], n=12, extractor=stub_extractor)
    with_1k = evaluate_images(folder, b, metrics=["fid1k", "fid"], n=12, extractor=stub_extractor)
    assert with_1k["fid"] == pytest.approx(alone["fid"], rel=1e-9)


def test_a_folder_path_scores_like_its_folder_spec(stub_extractor, tmp_path):
    folder = _class_sorted_folder(tmp_path / "ref")
    a = _images(0, 16)  # KID then draws 16 of the folder's 32 images: their order matters
    by_path = evaluate_images(a, folder, metrics=["kid"], extractor=stub_extractor)
    by_spec = evaluate_images(
        a,
        "folder:train",
        metrics=["kid"],
        extractor=stub_extractor,
        data_root=folder,
        cache_dir=tmp_path / "stats",
    )
    assert by_path["kid"] == pytest.approx(by_spec["kid"], rel=1e-6)


@pytest.mark.parametrize("n", [0, -5])
def test_n_below_one_is_one_sentence_not_a_silently_shorter_set(stub_extractor, tmp_path, n):
    a, b = _images(0, 20), _images(1, 20)
    np.save(tmp_path / "a.npy", a)
    with pytest.raises(MetricError, match=f"n must be at least 1, got {n}"):
        evaluate_images(a, b, metrics="fid", n=n, extractor=stub_extractor)
    with pytest.raises(MetricError, match=f"n must be at least 1, got {n}"):
        save_source_stats(tmp_path / "a.npy", tmp_path / "s.npz", n=n, extractor=stub_extractor)
    assert not (tmp_path / "s.npz").exists()


def test_cli_fid_with_a_negative_n_exits_with_one_sentence(tmp_path, capsys):
    from gankit.cli import main

    np.save(tmp_path / "a.npy", _images(0, 20))
    np.save(tmp_path / "b.npy", _images(1, 20))
    code = main(["fid", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "--n", "-5"])
    err = capsys.readouterr().err
    assert code == 2 and "error: n must be at least 1, got -5" in err
    assert "Traceback" not in err
