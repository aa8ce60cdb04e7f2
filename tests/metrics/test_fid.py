from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg

from gankit.errors import MetricError
from gankit.metrics.fid import (
    feature_stats,
    fid_from_features,
    fid_from_stats,
    trace_sqrt_product,
)


def _quiet_fid(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fid_from_features(a, b)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(500, 64)) * 3 + 1
    assert abs(_quiet_fid(x, x)) < 1e-6


def test_fid_of_two_gaussians_matches_closed_form():
    # Diagonal covariances commute, so sqrt(S1 S2) = diag(sqrt(s1 * s2)) exactly.
    d = 6
    mu1, mu2 = np.arange(d, dtype=float), np.arange(d, dtype=float)[::-1] * 0.5
    s1, s2 = np.linspace(0.5, 3.0, d), np.linspace(2.0, 0.2, d)
    expected = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    assert fid_from_stats(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-12)


def test_fid_from_samples_approaches_closed_form():
    rng = np.random.default_rng(1)
    d, n = 4, 200_000
    s1, s2 = np.array([1.0, 2.0, 0.5, 1.5]), np.array([0.25, 1.0, 2.0, 1.0])
    a = rng.normal(size=(n, d)) * np.sqrt(s1)
    b = rng.normal(size=(n, d)) * np.sqrt(s2) + 1.0
    expected = d * 1.0 + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    assert _quiet_fid(a, b) == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eigenvalue_trace_matches_scipy_sqrtm(seed):
    rng = np.random.default_rng(seed)
    d = 64
    a = rng.normal(size=(d, 2 * d))
    b = rng.normal(size=(d, d + 5)) + 0.3
    sigma1, sigma2 = a @ a.T / (2 * d), b @ b.T / d
    reference = np.trace(scipy.linalg.sqrtm(sigma1 @ sigma2).real)
    assert trace_sqrt_product(sigma1, sigma2) == pytest.approx(reference, rel=1e-6)


def test_trace_handles_rank_deficient_covariances():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(32, 5))  # rank 5 of 32: tiny negative eigenvalues from rounding
    sigma = a @ a.T
    value = trace_sqrt_product(sigma, sigma)
    assert np.isfinite(value)
    assert value == pytest.approx(np.trace(sigma), rel=1e-6)


def test_feature_stats_are_float64_and_unbiased():
    x = np.random.default_rng(4).normal(size=(100, 3)).astype(np.float32)
    mu, sigma = feature_stats(x)
    assert mu.dtype == np.float64 and sigma.dtype == np.float64
    np.testing.assert_allclose(sigma, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-12)


def test_fid_warns_below_2048_samples():
    x = np.random.default_rng(5).normal(size=(100, 8))
    with pytest.warns(UserWarning, match="2048"):
        fid_from_features(x, x + 1)


def test_fid_refuses_fewer_than_two_samples():
    x = np.zeros((1, 8))
    with pytest.raises(MetricError, match="at least 2"):
        fid_from_features(x, np.ones((10, 8)))


def test_fid_refuses_mismatched_dimensions():
    with pytest.raises(MetricError, match="same extractor"):
        _quiet_fid(np.ones((10, 8)) * np.arange(10)[:, None], np.ones((10, 4)))
