"""Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics").

Why beside precision/recall: improved precision counts a generated sample as real-looking if it
falls in *any* real k-NN ball, so one real outlier with a huge ball inflates it; recall builds
balls around generated samples, so a generator's outliers inflate it. Density counts *how many*
real balls contain each generated sample (divided by k; its expectation is 1 when the two
distributions are equal, above 1 when samples crowd the real modes), and coverage is the
fraction of real samples whose own ball contains at least one generated sample (balls around
real samples only, so generated outliers cannot inflate it).

Same real k-NN radii as :mod:`gankit.metrics.precision_recall`, computed from the same
features in row batches. Ball membership is strict (``distance < radius``), as in the
authors' ``prdc`` code; their recommended ``k = 5`` is the default.
"""

from __future__ import annotations

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet, check_features
from gankit.metrics.precision_recall import _knn_radii, _squared_distances
from gankit.metrics.registry import register_metric

DEFAULT_K = 5


def density_coverage(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    k: int = DEFAULT_K,
    batch_size: int = 1000,
    dtype: torch.dtype = torch.float32,
) -> tuple[float, float]:
    """Return (density, coverage) of ``fake`` features against ``real`` features.

    ``density = 1/(k M) * sum_j #{i : |Y_j - X_i| < r_i}`` and
    ``coverage = 1/N * #{i : min_j |Y_j - X_i| < r_i}``, where ``r_i`` is the distance from
    real ``X_i`` to its k-th nearest other real sample, ``M`` the generated and ``N`` the real
    count.
    """
    if k < 1:
        raise MetricError("density/coverage needs k >= 1.")
    real = check_features(real, "real feature set", minimum=k + 1)
    fake = check_features(fake, "generated feature set", minimum=1)
    if real.shape[1] != fake.shape[1]:
        raise MetricError("feature sets differ in dimension; compute both with the same extractor.")
    r = torch.from_numpy(np.ascontiguousarray(real)).to(dtype)
    f = torch.from_numpy(np.ascontiguousarray(fake)).to(dtype)
    with torch.inference_mode():
        radii = _knn_radii(r, k, batch_size)  # squared, like the distances below
        real_norms = (r * r).sum(dim=1)
        inside_count = 0
        nearest_fake = torch.full((len(r),), float("inf"), dtype=dtype)
        for start in range(0, len(f), batch_size):
            d = _squared_distances(f[start : start + batch_size], r, real_norms)  # [b, N]
            inside_count += int((d < radii[None, :]).sum())
            nearest_fake = torch.minimum(nearest_fake, d.min(dim=0).values)
        density = inside_count / (k * len(f))
        coverage = float((nearest_fake < radii).double().mean())
    return density, coverage


@register_metric("dc")
def dc_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """``density`` and ``coverage`` of the generated against the reference features."""
    assert ref is not None
    density, coverage = density_coverage(ref.features, gen.features)
    return {"density": density, "coverage": coverage}
