"""Fréchet Inception Distance from features or from (mean, covariance) statistics.

The trace term ``Tr(sqrt(S1 S2))`` is the sum of square roots of the eigenvalues of ``S1 @ S2``:
that product is similar to the PSD matrix ``S1^½ S2 S1^½``, so its eigenvalues are real and
non-negative up to rounding. Taking ``sqrt(max(Re λ, 0))`` avoids ``scipy.linalg.sqrtm``, whose
``disp`` argument is gone in SciPy 1.18 and which gave spurious imaginary parts in 1.11.2-1.12.
"""

from __future__ import annotations

import warnings

import numpy as np

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet, check_features, feature_stats
from gankit.metrics.registry import register_metric

#: Below this many samples the 2048x2048 covariance is rank deficient and FID is strongly biased.
FID_MIN_RELIABLE_N = 2048


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """``Tr(sqrt(sigma1 @ sigma2))`` for symmetric PSD matrices, from eigenvalues."""
    eigenvalues = np.linalg.eigvals(np.asarray(sigma1, np.float64) @ np.asarray(sigma2, np.float64))
    return float(np.sqrt(np.clip(eigenvalues.real, 0.0, None)).sum())


def fid_from_stats(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """``|mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrt(S1 S2))``, clipped at 0 against rounding."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise MetricError(
            f"feature statistics disagree in size ({mu1.shape} vs {mu2.shape}); "
            "compute both with the same extractor."
        )
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2)
    value -= 2.0 * trace_sqrt_product(sigma1, sigma2)
    return float(max(value, 0.0))


def warn_if_few(n: int, what: str = "FID") -> None:
    """Warn (``UserWarning``) when ``n`` is below :data:`FID_MIN_RELIABLE_N`."""
    if n < FID_MIN_RELIABLE_N:
        warnings.warn(
            f"{what} from {n} samples is biased upward and not comparable with published "
            f"numbers; use at least {FID_MIN_RELIABLE_N} (10k or 50k by convention).",
            UserWarning,
            stacklevel=3,
        )


def fid_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two ``[N, D]`` feature sets (each needs at least 2 samples)."""
    a = check_features(a, "first feature set")
    b = check_features(b, "second feature set")
    warn_if_few(min(len(a), len(b)))
    return fid_from_stats(*feature_stats(a), *feature_stats(b))


@register_metric("fid", ref_stats_ok=True, gen_stats_ok=True)
def fid_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """``fid`` of the generated side against the reference (either may be a statistics file)."""
    assert ref is not None
    known = [len(side) for side in (gen, ref) if len(side)]  # 0: a statistics file without n
    if known:
        warn_if_few(min(known))
    return {"fid": fid_from_stats(*gen.mu_sigma(), *ref.mu_sigma())}
