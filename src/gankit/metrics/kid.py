"""Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel, over subsets.

``k(x, y) = (x . y / d + 1)^3`` (Bińkowski et al. 2018). The subset size is capped at the smaller
sample count so that KID works on small sets (a known failure of other implementations). Gram
matrices are computed in float32 (as StyleGAN2-ADA does) and reduced in float64.
"""

from __future__ import annotations

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet, check_features
from gankit.metrics.registry import register_metric


def _kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x @ y.T).double().div_(x.shape[1]).add_(1.0).pow_(3)


def kid_from_features(
    a: np.ndarray,
    b: np.ndarray,
    *,
    num_subsets: int = 100,
    max_subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Return (mean, std) of the unbiased MMD^2 over ``num_subsets`` random subsets.

    Each subset draws ``m = min(max_subset_size, len(a), len(b))`` rows of each set without
    replacement with a generator seeded by ``seed``, so results are reproducible.
    """
    a = check_features(a, "first feature set")
    b = check_features(b, "second feature set")
    if a.shape[1] != b.shape[1]:
        raise MetricError("feature sets differ in dimension; compute both with the same extractor.")
    if num_subsets < 1:
        raise MetricError("KID needs num_subsets >= 1.")
    m = min(max_subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    ta = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    tb = torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32))
    values = np.empty(num_subsets, dtype=np.float64)
    for i in range(num_subsets):
        x = ta[torch.from_numpy(rng.choice(len(a), m, replace=False))]
        y = tb[torch.from_numpy(rng.choice(len(b), m, replace=False))]
        kxx, kyy, kxy = _kernel(x, x), _kernel(y, y), _kernel(x, y)
        within = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m - 1)
        values[i] = float((within - 2.0 * kxy.sum() / m) / m)
    return float(values.mean()), float(values.std())


@register_metric("kid")
def kid_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """``kid`` and ``kid_std`` of the generated features against the reference features."""
    assert ref is not None
    mean, std = kid_from_features(gen.features, ref.features)
    return {"kid": mean, "kid_std": std}
