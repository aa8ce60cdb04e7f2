"""A set of Inception features with lazily computed (and cacheable) FID statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gankit.metrics.fid import feature_stats


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
