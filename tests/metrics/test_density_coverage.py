"""Density and coverage against closed-form toy cases, a brute-force reference and the
expectations Naeem et al. derive for identical distributions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.spatial.distance
import torch

from gankit.errors import MetricError
from gankit.metrics.density_coverage import density_coverage
from gankit.metrics.evaluate import evaluate_images
from gankit.metrics.registry import get_metric


def line(xs) -> np.ndarray:
    """Points (x, 0) in the plane."""
    xs = np.asarray(xs, dtype=np.float64)
    return np.stack([xs, np.zeros_like(xs)], axis=1)


REAL = line(range(10))  # 0..9: with k=1 every radius is 1


def brute_force(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    """The definitions, written out with full distance matrices."""
    rr = scipy.spatial.distance.cdist(real, real)
    radii = np.sort(rr, axis=1)[:, k]  # column 0 is the point itself
    rf = scipy.spatial.distance.cdist(real, fake)  # [N, M]
    inside = rf < radii[:, None]
    density = inside.sum() / (k * fake.shape[0])
    coverage = (rf.min(axis=1) < radii).mean()
    return float(density), float(coverage)


def test_half_way_points_sit_in_two_balls_and_cover_everything():
    fake = line(np.arange(9) + 0.5)
    assert density_coverage(REAL, fake, k=1) == (2.0, 1.0)


def test_far_away_samples_score_zero():
    assert density_coverage(REAL, line([100.0, 200.0]), k=1) == (0.0, 0.0)


def test_balls_are_open():
    # A sample exactly on real 0 is at distance 1 = r from real 1: inside 0's ball only.
    assert density_coverage(REAL, line([0.0]), k=1) == (1.0, 0.1)


def test_k2_radii_and_the_one_over_k():
    # k=2: radius 2 at the two ends, 1 inside. 0.5 lies in the balls of reals 0 and 1.
    density, coverage = density_coverage(REAL, line([0.5]), k=2)
    assert density == pytest.approx(2 / 2) and coverage == pytest.approx(0.2)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_brute_force_with_batches(k):
    rng = np.random.default_rng(k)
    real = rng.standard_normal((120, 6))
    fake = rng.standard_normal((90, 6)) * 1.3 + 0.2
    got = density_coverage(real, fake, k=k, batch_size=17, dtype=torch.float64)
    assert got == pytest.approx(brute_force(real, fake, k), abs=1e-12)
    fast = density_coverage(real.astype(np.float32), fake.astype(np.float32), k=k)
    assert fast == pytest.approx(brute_force(real, fake, k), abs=2 / 90)


def test_identical_distributions_meet_the_papers_expectations():
    # Naeem et al.: E[density] = 1 and E[coverage] = 1 - prod_j (N - j) / (M + N - j), j=1..k.
    n, k = 1000, 5
    values = np.array(
        [
            density_coverage(
                np.random.default_rng(s).standard_normal((n, 4)),
                np.random.default_rng(100 + s).standard_normal((n, 4)),
                k=k,
            )
            for s in range(4)
        ]
    )
    expected_coverage = 1 - np.prod([(n - j) / (2 * n - j) for j in range(1, k + 1)])
    assert values[:, 0].mean() == pytest.approx(1.0, abs=0.05)
    assert values[:, 1].mean() == pytest.approx(expected_coverage, abs=0.015)


def test_mode_collapse_lowers_coverage_but_not_density():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((500, 4))
    collapsed = real[:5] + 0.01 * rng.standard_normal((5, 4))
    fake = np.repeat(collapsed, 100, axis=0)
    density, coverage = density_coverage(real, fake)
    assert coverage < 0.1 and density > 0.5  # 5 of 500 modes kept: few real balls are hit
    assert (density, coverage) == pytest.approx(brute_force(real, fake, 5), abs=1e-6)


def test_bad_input():
    with pytest.raises(MetricError, match="k >= 1"):
        density_coverage(REAL, REAL, k=0)
    with pytest.raises(MetricError, match="dimension"):
        density_coverage(REAL, np.zeros((3, 5)))


def test_dc_is_a_registered_metric_on_the_same_features(stub_extractor):
    assert get_metric("dc10k").n == 10_000
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8)
    b = rng.integers(0, 256, (50, 1, 8, 8), dtype=np.uint8)
    result = evaluate_images(a, b, metrics="pr,dc", extractor=stub_extractor)
    fa = stub_extractor.features(torch.from_numpy(a))
    fb = stub_extractor.features(torch.from_numpy(b))
    expected = brute_force(fb, fa, 5)
    assert (result["density"], result["coverage"]) == pytest.approx(expected, abs=1 / 40)
    assert {"precision", "recall"} <= set(result)
