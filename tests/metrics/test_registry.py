from __future__ import annotations

import numpy as np
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


# ----------------------------------------------------------------- metrics that register themselves


def mean_gap(gen, ref):
    """A toy metric defined (and registered, by the fixture below) in this test module: the gap
    between the two sides' mean feature values."""
    return {"mean_gap": float(abs(gen.features.mean() - ref.features.mean()))}


@pytest.fixture
def toy_metric(monkeypatch):
    """``mean_gap`` registered for one test; the registry is restored afterwards."""
    from gankit.metrics import registry

    monkeypatch.setattr(registry.METRIC_KINDS, "_entries", dict(registry.METRIC_KINDS._entries))
    registry.register_metric("mean_gap")(mean_gap)
    return mean_gap


def test_a_metric_registered_by_its_own_module_is_scored_by_name(
    toy_metric, stub_extractor, monkeypatch, tmp_path
):
    import torch

    from gankit.metrics import cache as cache_module
    from gankit.metrics.evaluate import evaluate_generator, generator_features
    from gankit.metrics.registry import metric_kinds

    from .test_evaluate import TinyGenerator

    images = torch.randint(
        0, 256, (50, 1, 8, 8), generator=torch.Generator().manual_seed(3), dtype=torch.uint8
    )
    monkeypatch.setattr(
        cache_module,
        "load_split_images",
        lambda spec, n=None, root=None: images if n is None else images[:n],
    )
    assert "mean_gap" in metric_kinds() and "mean_gap10k" in list_metrics()
    assert get_metric("mean_gap2k").n == 2000
    generator = TinyGenerator()
    result = evaluate_generator(
        generator,
        metrics="mean_gap",
        n=40,
        ref="toy:test",
        extractor=stub_extractor,
        cache_dir=tmp_path,
    )
    gen = generator_features(generator, 40, stub_extractor).features
    ref = stub_extractor.features(images[:40]).astype(np.float32)
    assert result["mean_gap"] == pytest.approx(abs(gen.mean() - ref.mean()), rel=1e-6)
    assert result["n_gen"] == 40 and result["n_ref"] == 40 and result["ref"] == "toy:test"


def test_every_builtin_metric_is_registered_by_the_module_that_computes_it():
    from gankit.metrics.registry import METRIC_KINDS

    homes = {
        name: (kind.fn or kind.generator_fn).__module__
        for name, kind in ((name, METRIC_KINDS.get(name)) for name in METRIC_KINDS)
    }
    assert homes == {
        "cas": "gankit.metrics.class_accuracy",
        "dc": "gankit.metrics.density_coverage",
        "fid": "gankit.metrics.fid",
        "fid_inf": "gankit.metrics.fid_inf",
        "ifid": "gankit.metrics.per_class",
        "is": "gankit.metrics.inception_score",
        "kid": "gankit.metrics.kid",
        "pr": "gankit.metrics.precision_recall",
    }


def test_registration_refuses_unparseable_and_duplicate_names(toy_metric):
    from gankit.metrics.registry import register_generator_metric, register_metric

    with pytest.raises(ValueError, match="lower-case"):
        register_metric("fid2")(mean_gap)  # fid2k would not parse back
    with pytest.raises(ValueError, match="lower-case"):
        register_generator_metric("Mean")(mean_gap)
    with pytest.raises(ValueError, match="twice"):
        register_metric("mean_gap")(mean_gap)
