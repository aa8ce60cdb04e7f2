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
