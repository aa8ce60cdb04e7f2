"""Per-class (intra-class) FID for class-conditional generators.

Why: one FID over all classes averages a collapsed class away. A conditional generator that
draws good shoes for every label has a fine class accuracy on the shoe rows and an overall FID
only a little worse, but the FID of class "T-shirt" samples against real T-shirts is large. So
``ifid`` scores the generated samples of each class against the reference images of that class,
reports one row per class and their mean (the intra-class FID of Miyato & Koyama 2018 and
StudioGAN).

The generated labels are the ones the generator was asked for (uniform random, the same draws
as every other metric, so fid and ifid share one Inception pass); the reference labels are the
dataset's. Each class has about N / classes samples, fewer than the 2,048 FID needs to be
unbiased, so per-class FIDs compare only at equal N.
"""

from __future__ import annotations

import numpy as np

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet, feature_stats
from gankit.metrics.fid import fid_from_stats, warn_if_few
from gankit.metrics.registry import register_metric


def per_class_fid(
    gen_features: np.ndarray,
    gen_labels: np.ndarray,
    ref_features: np.ndarray,
    ref_labels: np.ndarray,
) -> dict[str, object]:
    """``ifid`` (mean over the reference's classes) and ``ifid_classes`` (one row per class:
    ``class``, ``fid``, ``n_gen``, ``n_ref``), plus ``ifid_max`` and ``ifid_worst_class``."""
    gen_labels = np.asarray(gen_labels).reshape(-1)
    ref_labels = np.asarray(ref_labels).reshape(-1)
    if len(gen_labels) != len(gen_features) or len(ref_labels) != len(ref_features):
        raise MetricError("per-class FID needs one label per sample on both sides.")
    classes = np.unique(ref_labels)
    counts = {int(c): (int((gen_labels == c).sum()), int((ref_labels == c).sum())) for c in classes}
    thin = [c for c, (g, r) in counts.items() if min(g, r) < 2]
    if thin:
        raise MetricError(
            f"class {thin[0]} has fewer than 2 samples on one side; per-class FID needs more "
            "samples per class: use a larger --n."
        )
    warn_if_few(min(min(pair) for pair in counts.values()), "per-class FID")
    rows: list[dict[str, object]] = []
    for c in classes:
        fid = fid_from_stats(
            *feature_stats(gen_features[gen_labels == c]),
            *feature_stats(ref_features[ref_labels == c]),
        )
        n_gen, n_ref = counts[int(c)]
        rows.append({"class": int(c), "fid": fid, "n_gen": n_gen, "n_ref": n_ref})
    fids = [float(row["fid"]) for row in rows]  # type: ignore[arg-type]
    worst = int(np.argmax(fids))
    return {
        "ifid": float(np.mean(fids)),
        "ifid_max": fids[worst],
        "ifid_worst_class": rows[worst]["class"],
        "ifid_classes": rows,
    }


@register_metric("ifid", needs_labels=True)
def ifid_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    """Per-class FID of the generated features (by drawn label) against the reference's."""
    assert ref is not None
    if gen.labels is None or ref.labels is None:
        raise MetricError("ifid needs class labels on both sides: score a conditional generator.")
    return per_class_fid(gen.features, gen.labels, ref.features, ref.labels)
