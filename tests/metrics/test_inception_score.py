from __future__ import annotations

import numpy as np
import pytest

from gankit.errors import MetricError
from gankit.metrics.inception_score import inception_score


def test_uniform_predictions_score_one():
    mean, std = inception_score(np.zeros((100, 7)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_confident_predictions_spread_over_classes_score_the_class_count():
    k = 10
    logits = np.full((200, k), -1e4)
    logits[np.arange(200), np.arange(200) % k] = 0.0  # one-hot, each class equally often
    mean, std = inception_score(logits, splits=10)
    assert mean == pytest.approx(k, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_confident_but_identical_predictions_score_one():
    logits = np.full((40, 5), -1e4)
    logits[:, 2] = 0.0
    assert inception_score(logits, splits=2)[0] == pytest.approx(1.0, abs=1e-9)


def test_inception_score_needs_logits_and_enough_samples():
    with pytest.raises(MetricError, match="logits"):
        inception_score(None)
    with pytest.raises(MetricError, match="at least 20"):
        inception_score(np.zeros((5, 3)), splits=10)
