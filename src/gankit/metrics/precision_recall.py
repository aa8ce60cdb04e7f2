"""Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifolds.

Each set's manifold is the union of balls around its points with radius = distance to the k-th
nearest other point of the same set. Precision: fraction of generated points inside the real
manifold; recall: fraction of real points inside the generated manifold. Distances are computed
in row batches with torch so memory stays bounded at 10k-50k samples.
"""

from __future__ import annotations

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet, check_features
from gankit.metrics.registry import register_metric


def _squared_distances(x: torch.Tensor, y: torch.Tensor, y_norms: torch.Tensor) -> torch.Tensor:
    x_norms = (x * x).sum(dim=1, keepdim=True)
    return (x_norms + y_norms[None, :] - 2.0 * (x @ y.T)).clamp_min_(0.0)


def _knn_radii(x: torch.Tensor, k: int, batch_size: int) -> torch.Tensor:
    """Squared distance from each row of ``x`` to its k-th nearest *other* row."""
    norms = (x * x).sum(dim=1)
    radii = torch.empty(len(x), dtype=x.dtype)
    for start in range(0, len(x), batch_size):
        d = _squared_distances(x[start : start + batch_size], x, norms)
        # The point itself is at distance 0, so the k-th other neighbour is the (k+1)-th smallest.
        radii[start : start + batch_size] = d.kthvalue(k + 1, dim=1).values
    return radii


def _coverage(
    queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor, batch_size: int
) -> float:
    """Fraction of ``queries`` within ``radii[j]`` of at least one ``points[j]``."""
    norms = (points * points).sum(dim=1)
    inside = 0
    for start in range(0, len(queries), batch_size):
        d = _squared_distances(queries[start : start + batch_size], points, norms)
        inside += int((d <= radii[None, :]).any(dim=1).sum())
    return inside / len(queries)


def precision_recall(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    k: int = 3,
    batch_size: int = 1000,
    dtype: torch.dtype = torch.float32,
) -> tuple[float, float]:
    """Return (precision, recall) of ``fake`` features against ``real`` features."""
    if k < 1:
        raise MetricError("precision/recall needs k >= 1.")
    real = check_features(real, "real feature set", minimum=k + 1)
    fake = check_features(fake, "generated feature set", minimum=k + 1)
    r = torch.from_numpy(np.ascontiguousarray(real)).to(dtype)
    f = torch.from_numpy(np.ascontiguousarray(fake)).to(dtype)
    with torch.inference_mode():
        precision = _coverage(f, r, _knn_radii(r, k, batch_size), batch_size)
        recall = _coverage(r, f, _knn_radii(f, k, batch_size), batch_size)
    return precision, recall


@register_metric("pr")
def pr_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """``precision`` and ``recall`` (k = 3) of the generated against the reference features."""
    assert ref is not None
    precision, recall = precision_recall(ref.features, gen.features, k=3)
    return {"precision": precision, "recall": recall}
