"""FID extrapolated to infinitely many samples (Chong & Forsyth 2020, "Effectively Unbiased
FID and Inception Score and where to find them").

Why: FID estimated from N generated samples is biased upward by roughly ``c / N``, and ``c``
depends on the generator, so a 2,000-sample FID from training and a published 50k FID are not
comparable, and neither are two models at the same small N. Chong & Forsyth compute FID on
random subsets of several sizes, fit ``FID_N = FID_inf + c / N`` by least squares and report the
intercept at ``1/N = 0``. Their code uses 15 sizes from 5,000 to 50,000 (one tenth of N to N);
:func:`fid_infinity` keeps that ratio for any N. Only the generated side is subsampled; the
reference statistics stay fixed, so a statistics file serves as the reference.

The fit assumes the ``1/N`` regime, i.e. subsets well above the feature dimension for a stable
covariance; below ~2,048 Inception samples the extrapolation is rougher, still closer to the
large-N value than the raw small-N FID.
"""

from __future__ import annotations

import numpy as np

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet, check_features, feature_stats
from gankit.metrics.fid import fid_from_stats
from gankit.metrics.registry import register_metric

DEFAULT_POINTS = 15
MIN_FRACTION = 0.1  # 5,000 of 50,000 in the paper's code


def subset_sizes(
    n: int, points: int = DEFAULT_POINTS, min_fraction: float = MIN_FRACTION
) -> np.ndarray:
    """Evenly spaced subset sizes from ``min_fraction * n`` (at least 2) to ``n``, distinct."""
    if not 0.0 < min_fraction < 1.0:
        raise MetricError(f"min_fraction must lie in (0, 1), got {min_fraction}.")
    if points < 2:
        raise MetricError("FID_inf needs at least 2 subset sizes to fit a line.")
    low = max(2, round(n * min_fraction))
    sizes = np.unique(np.linspace(low, n, points).astype(np.int64))
    if len(sizes) < 2:
        raise MetricError(f"FID_inf needs more than {n} generated samples; use a larger N.")
    return sizes


def extrapolate(sizes: np.ndarray, fids: np.ndarray) -> tuple[float, float]:
    """Least-squares fit ``fid = intercept + slope / N``; returns (intercept, slope)."""
    x = 1.0 / np.asarray(sizes, dtype=np.float64)
    design = np.stack([np.ones_like(x), x], axis=1)
    (intercept, slope), *_ = np.linalg.lstsq(design, np.asarray(fids, dtype=np.float64), rcond=None)
    return float(intercept), float(slope)


def fid_infinity(
    features: np.ndarray,
    ref_mu: np.ndarray,
    ref_sigma: np.ndarray,
    *,
    points: int = DEFAULT_POINTS,
    min_fraction: float = MIN_FRACTION,
    seed: int = 0,
) -> dict[str, float]:
    """``fid_inf`` (the intercept), ``fid_inf_slope`` (``c``) and the smallest subset size.

    Each size draws its own random subset without replacement from a generator seeded by
    ``seed``, as the paper's code reshuffles before each size, so results are reproducible.
    """
    features = check_features(features, "generated feature set")
    sizes = subset_sizes(len(features), points, min_fraction)
    rng = np.random.default_rng(seed)
    fids = np.empty(len(sizes), dtype=np.float64)
    for i, size in enumerate(sizes):
        subset = features[np.sort(rng.choice(len(features), size, replace=False))]
        fids[i] = fid_from_stats(*feature_stats(subset), ref_mu, ref_sigma)
    intercept, slope = extrapolate(sizes, fids)
    return {"fid_inf": intercept, "fid_inf_slope": slope, "fid_inf_n_min": int(sizes[0])}


@register_metric("fid_inf", ref_stats_ok=True)
def fid_inf_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """``fid_inf`` of the generated features against the reference statistics."""
    assert ref is not None
    return fid_infinity(gen.features, *ref.mu_sigma())
