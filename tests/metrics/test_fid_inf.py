"""FID_inf (Chong & Forsyth 2020): the 1/N fit, and Gaussian features whose FID is known."""

from __future__ import annotations

import numpy as np
import pytest

from gankit.errors import MetricError
from gankit.metrics.evaluate import evaluate_images
from gankit.metrics.fid import feature_stats, fid_from_stats
from gankit.metrics.fid_inf import extrapolate, fid_infinity, subset_sizes
from gankit.metrics.preprocess import PROTOCOL_VERSION
from gankit.metrics.registry import get_metric
from gankit.metrics.stats_file import write_stats


def test_sizes_follow_the_papers_tenth_to_n():
    sizes = subset_sizes(50_000)
    assert len(sizes) == 15 and sizes[0] == 5_000 and sizes[-1] == 50_000
    # the paper's code: np.linspace(5000, num_im, num_points).astype('int32')
    np.testing.assert_array_equal(sizes, np.linspace(5000, 50_000, 15).astype(np.int32))
    assert subset_sizes(20, points=15)[0] == 2 and len(set(subset_sizes(20, points=40))) == 19


def test_extrapolation_recovers_an_exact_line():
    sizes = np.array([100, 250, 400, 1000, 5000])
    intercept, slope = extrapolate(sizes, 3.25 + 700.0 / sizes)
    assert intercept == pytest.approx(3.25, abs=1e-10) and slope == pytest.approx(700.0)


def test_gaussian_features_extrapolate_to_the_closed_form():
    # Generated N(0, 1.5^2 I), reference statistics exactly (0, I): FID = d (1.5 - 1)^2 = 4 at
    # d = 16. At N = 200 the estimate is biased up by ~0.7; FID_inf from 2,000 removes that.
    d, truth = 16, 16 * 0.5**2
    reference = (np.zeros(d), np.eye(d))
    small, extrapolated = [], []
    for seed in range(4):
        x = np.random.default_rng(seed).standard_normal((2000, d)) * 1.5
        small.append(fid_from_stats(*feature_stats(x[:200]), *reference))
        result = fid_infinity(x, *reference)
        extrapolated.append(result["fid_inf"])
        assert result["fid_inf_n_min"] == 200 and result["fid_inf_slope"] > 0
    assert np.mean(small) - truth > 0.4
    assert abs(np.mean(extrapolated) - truth) < 0.12


def test_is_seeded_and_needs_enough_samples():
    x = np.random.default_rng(0).standard_normal((300, 4))
    ref = (np.zeros(4), np.eye(4))
    assert fid_infinity(x, *ref) == fid_infinity(x, *ref)
    assert fid_infinity(x, *ref, seed=1) != fid_infinity(x, *ref)
    with pytest.raises(MetricError, match="larger N"):
        fid_infinity(x[:2], *ref)


def test_registered_and_works_against_a_stats_file(tmp_path, stub_extractor):
    assert get_metric("fid_inf").kind.name == "fid_inf"
    assert get_metric("fid_inf2k").n == 2000
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (60, 1, 8, 8), dtype=np.uint8)
    b = rng.integers(0, 200, (80, 1, 8, 8), dtype=np.uint8)
    fb = stub_extractor.features(b)
    path = tmp_path / "b.npz"
    write_stats(path, *feature_stats(fb), n=80, protocol=PROTOCOL_VERSION, extractor="x")
    with pytest.warns(UserWarning):
        via_file = evaluate_images(a, path, metrics="fid,fid_inf", extractor=stub_extractor)
    direct = fid_infinity(stub_extractor.features(a), *feature_stats(fb))
    assert via_file["fid_inf"] == pytest.approx(direct["fid_inf"], abs=1e-9)
    assert via_file["fid"] > 0 and via_file["fid_inf_n_min"] == 6
