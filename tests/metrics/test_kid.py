from __future__ import annotations

import numpy as np
import pytest

from gankit.errors import MetricError
from gankit.metrics.kid import kid_from_features


def test_kid_near_zero_for_the_same_distribution():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    mean, std = kid_from_features(a, b, num_subsets=20, max_subset_size=200)
    assert abs(mean) < 3 * std + 1e-3


def test_kid_positive_for_different_distributions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(400, 32)), rng.normal(size=(400, 32)) + 0.5
    mean, std = kid_from_features(a, b, num_subsets=20, max_subset_size=200)
    assert mean > 10 * std > 0


def test_kid_matches_direct_unbiased_mmd_when_subset_is_everything():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 5)), rng.normal(size=(30, 5)) + 0.2
    d, m = x.shape[1], len(x)

    def k(p, q):
        return (p @ q.T / d + 1) ** 3

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    expected = (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * kxy.mean()
    )
    mean, std = kid_from_features(x, y, num_subsets=3)
    assert mean == pytest.approx(expected, rel=1e-5)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_kid_is_seeded_and_caps_subset_at_sample_count():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(12, 4)), rng.normal(size=(7, 4))
    first = kid_from_features(a, b, num_subsets=5, seed=7)
    assert first == kid_from_features(a, b, num_subsets=5, seed=7)
    assert first != kid_from_features(a, b, num_subsets=5, seed=8)


def test_kid_refuses_too_few_samples():
    with pytest.raises(MetricError, match="at least 2"):
        kid_from_features(np.ones((1, 4)), np.ones((5, 4)))
