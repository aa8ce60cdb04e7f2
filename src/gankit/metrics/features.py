"""A set of Inception features with lazily computed (and cacheable) FID statistics, and the
checks and statistics every feature metric starts from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gankit.errors import MetricError


def check_features(features: np.ndarray, what: str = "features", minimum: int = 2) -> np.ndarray:
    """Return ``features`` as a 2-D float array, or raise :class:`MetricError`."""
    array = np.asarray(features)
    if array.ndim != 2:
        raise MetricError(f"{what} must be a 2-D [N, D] array, got shape {array.shape}.")
    if array.shape[0] < minimum:
        raise MetricError(
            f"{what} has {array.shape[0]} sample(s); at least {minimum} are needed: use a larger N."
        )
    if not np.isfinite(array).all():
        raise MetricError(f"{what} contain NaN or Inf values; check the images fed to the metric.")
    return array


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of ``[N, D]`` features, accumulated in float64."""
    x = check_features(features).astype(np.float64, copy=False)
    mu = x.mean(axis=0)
    centred = x - mu
    sigma = centred.T @ centred / (x.shape[0] - 1)
    return mu, sigma


@dataclass
class FeatureSet:
    """``features`` ``[N, 2048]`` (float32 is exact: the network computes in float32), optional
    classifier ``logits`` ``[N, 1008]``, a ``label`` naming where they came from (a dataset spec,
    a path, ``"generator"``), once known their float64 ``(mu, sigma)``, and the class ``labels``
    ``[N]`` of the samples when a per-class metric needs them."""

    features: np.ndarray
    label: str = ""
    logits: np.ndarray | None = None
    stats: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.features)

    def mu_sigma(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance in float64, computed once."""
        if self.stats is None:
            self.stats = feature_stats(self.features)
        return self.stats

    def head(self, n: int | None) -> FeatureSet:
        """The first ``n`` samples (all of them when ``n`` is None or not smaller)."""
        if n is None or n >= len(self):
            return self
        logits = None if self.logits is None else self.logits[:n]
        labels = None if self.labels is None else self.labels[:n]
        return FeatureSet(self.features[:n], self.label, logits, labels=labels)
