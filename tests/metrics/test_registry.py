from __future__ import annotations

import pytest

from gankit.errors import MetricError
from gankit.metrics.registry import get_metric, list_metrics


@pytest.mark.parametrize(
    ("name", "kind", "n", "full"),
    [
        ("fid", "fid", None, False),
        ("fid10k", "fid", 10_000, False),
        ("FID50k_full", "fid", 50_000, True),
        ("kid10k", "kid", 10_000, False),
        ("pr10k", "pr", 10_000, False),
        ("is10k", "is", 10_000, False),
        ("fid3k", "fid", 3_000, False),
    ],
)
def test_protocol_names(name, kind, n, full):
    metric = get_metric(name)
    assert (metric.kind.name, metric.n, metric.full_reference) == (kind, n, full)


def test_standard_names_are_listed():
    names = list_metrics()
    for name in ("fid", "kid", "pr", "is", "fid5k", "fid10k", "fid50k", "kid10k", "pr10k", "is10k"):
        assert name in names
    assert "is10k_full" not in names  # IS has no reference set


def test_unknown_metric_suggests_the_nearest_name():
    with pytest.raises(MetricError, match="did you mean 'fid10k'"):
        get_metric("fid10")


def test_class_accuracy_is_a_registered_metric_that_takes_a_generator():
    cas = get_metric("cas")
    assert cas.kind.takes_generator and not cas.kind.needs_reference
    assert get_metric("cas10k").n == 10_000
    assert "cas" in list_metrics() and "cas10k_full" not in list_metrics()
    assert not get_metric("fid").kind.takes_generator


def test_unknown_metric_sentence_lists_the_registered_names():
    from gankit.metrics.registry import metric_kinds, unknown_metric_sentence

    assert unknown_metric_sentence("train.eval_metrics", ["fid", "kid10k", "cas"]) is None
    sentence = unknown_metric_sentence("train.eval_metrics", ["fid", "fdi"])
    assert sentence is not None and sentence.startswith("'train.eval_metrics' has unknown")
    assert "'fdi'" in sentence and all(kind in sentence for kind in metric_kinds())
    assert sentence.endswith("fid50k_full.") and "\n" not in sentence
