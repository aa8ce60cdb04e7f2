from __future__ import annotations

import numpy as np
import pytest

from gankit.errors import MetricError
from gankit.metrics.precision_recall import precision_recall


def _line(xs):
    return np.stack([np.asarray(xs, float), np.zeros(len(xs))], axis=1)


def test_identical_sets_have_full_precision_and_recall():
    x = np.random.default_rng(0).normal(size=(50, 8))
    assert precision_recall(x, x, k=3) == (1.0, 1.0)


def test_disjoint_sets_have_zero_precision_and_recall():
    x = np.random.default_rng(1).normal(size=(50, 8))
    assert precision_recall(x, x + 100.0, k=3) == (0.0, 0.0)


def test_known_answer_on_points_on_a_line():
    real = _line(range(10))  # 0..9; 3rd-nearest-neighbour radii are 2 or 3
    fake = _line([0, 1, 2, 3, 4, 100, 101, 102, 103, 104])
    # Precision: 0..4 fall inside real balls, 100..104 do not -> 0.5.
    # Recall: fake ball radii: 0->3, 1->2, 2->2, 3->2, 4->3, so the fake manifold covers [0, 7]:
    # real points 0..7 are inside, 8 and 9 are not -> 0.8.
    precision, recall = precision_recall(real, fake, k=3, batch_size=3)
    assert precision == pytest.approx(0.5)
    assert recall == pytest.approx(0.8)


def test_batching_does_not_change_the_answer():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(120, 6)), rng.normal(size=(90, 6)) * 1.5
    small, large = (precision_recall(real, fake, batch_size=b) for b in (7, 500))
    assert small == large


def test_precision_recall_needs_more_than_k_samples():
    with pytest.raises(MetricError, match="at least 4"):
        precision_recall(np.ones((3, 2)), np.ones((10, 2)), k=3)
