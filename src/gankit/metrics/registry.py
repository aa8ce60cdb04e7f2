"""Metrics registered under names that state their protocol, as in StyleGAN2-ADA.

``fid10k`` = FID of 10,000 generated images against the first 10,000 images of the reference
split; ``fid50k_full`` = 50,000 generated against the whole split; plain ``fid`` / ``kid`` /
``pr`` / ``is`` take N from the caller. Most kinds map a generated and a reference
:class:`FeatureSet` to a dict of named values; a few (class accuracy, ``cas``) score the
generator itself and get it with a :class:`GeneratorContext`.

The registry owns the names: config validation (``train.eval_metrics``), ``gankit eval``,
in-training evaluation and ``gankit fid`` all look them up here, so a new metric is one new
entry in :data:`KINDS` plus its module and test.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import nn

from gankit.errors import MetricError
from gankit.metrics.density_coverage import density_coverage
from gankit.metrics.features import FeatureSet
from gankit.metrics.fid import fid_from_stats, warn_if_few
from gankit.metrics.fid_inf import fid_infinity
from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kid_from_features
from gankit.metrics.per_class import per_class_fid
from gankit.metrics.precision_recall import precision_recall

MetricFn = Callable[[FeatureSet, "FeatureSet | None"], dict[str, object]]


@dataclass(frozen=True)
class GeneratorContext:
    """What a metric that scores the generator itself may use besides the generator."""

    n: int  # images to generate
    seed: int  # seeds the latents and labels (same seed, same images)
    device: torch.device
    dataset: str | None  # the reference dataset's name (``fashion-mnist``), None for a stats file
    data_root: str | None  # where that dataset is read


GeneratorMetricFn = Callable[[nn.Module, GeneratorContext], dict[str, object]]


def _fid(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, float]:
    assert ref is not None
    known = [len(side) for side in (gen, ref) if len(side)]  # 0: a statistics file without n
    if known:
        warn_if_few(min(known))
    return {"fid": fid_from_stats(*gen.mu_sigma(), *ref.mu_sigma())}


def _fid_inf(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, float]:
    assert ref is not None
    return fid_infinity(gen.features, *ref.mu_sigma())


def _kid(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, float]:
    assert ref is not None
    mean, std = kid_from_features(gen.features, ref.features)
    return {"kid": mean, "kid_std": std}


def _pr(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, float]:
    assert ref is not None
    precision, recall = precision_recall(ref.features, gen.features, k=3)
    return {"precision": precision, "recall": recall}


def _dc(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, float]:
    assert ref is not None
    density, coverage = density_coverage(ref.features, gen.features)
    return {"density": density, "coverage": coverage}


def _ifid(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    assert ref is not None
    if gen.labels is None or ref.labels is None:
        raise MetricError("ifid needs class labels on both sides: score a conditional generator.")
    return per_class_fid(gen.features, gen.labels, ref.features, ref.labels)


def _is(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, float]:
    mean, std = inception_score(gen.logits, splits=10)
    return {"is": mean, "is_std": std}


def _cas(generator: nn.Module, ctx: GeneratorContext) -> dict[str, object]:
    from gankit.metrics.class_accuracy import class_accuracy, get_classifier

    if ctx.dataset is None:
        raise MetricError(
            "cas trains its classifier on the reference dataset; give the reference as a "
            "dataset split (NAME:SPLIT), not a statistics file."
        )
    clf = get_classifier(ctx.dataset, root=ctx.data_root, device=str(ctx.device))
    score = class_accuracy(generator, clf.model, n=ctx.n, seed=ctx.seed, device=str(ctx.device))
    return {"cas": score, "cas_n": ctx.n, "classifier_test_accuracy": clf.test_accuracy}


def _not_a_feature_metric(gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
    raise MetricError("this metric scores a generator, not an image set.")  # pragma: no cover


@dataclass(frozen=True)
class MetricKind:
    """One metric: its function, whether it compares against a reference set, and whether a
    statistics file (mean and covariance only) can stand in for the reference / generated side.

    A kind with ``generator_fn`` scores the generator itself (no Inception features), so it
    exists only where there is a generator: ``gankit eval`` and in-training evaluation.
    """

    name: str
    fn: MetricFn
    needs_reference: bool = True
    needs_logits: bool = False
    needs_labels: bool = False
    ref_stats_ok: bool = False
    gen_stats_ok: bool = False
    generator_fn: GeneratorMetricFn | None = None

    @property
    def takes_generator(self) -> bool:
        return self.generator_fn is not None


KINDS: dict[str, MetricKind] = {
    "fid": MetricKind("fid", _fid, ref_stats_ok=True, gen_stats_ok=True),
    "fid_inf": MetricKind("fid_inf", _fid_inf, ref_stats_ok=True),
    "kid": MetricKind("kid", _kid),
    "pr": MetricKind("pr", _pr),
    "dc": MetricKind("dc", _dc),
    "ifid": MetricKind("ifid", _ifid, needs_labels=True),
    "is": MetricKind("is", _is, needs_reference=False, needs_logits=True),
    "cas": MetricKind("cas", _not_a_feature_metric, needs_reference=False, generator_fn=_cas),
}


@dataclass(frozen=True)
class Metric:
    """A registered protocol name: ``kind``, generated count ``n`` (None = caller's) and whether
    the reference is the full split."""

    name: str
    kind: MetricKind
    n: int | None = None
    full_reference: bool = False

    def compute(self, gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
        return self.kind.fn(gen, ref)

    def score_generator(self, generator: nn.Module, ctx: GeneratorContext) -> dict[str, object]:
        """Score a generator-taking metric (``cas``) with this name's N, else the context's."""
        assert self.kind.generator_fn is not None
        return self.kind.generator_fn(generator, replace(ctx, n=self.n or ctx.n))


def _protocol_names() -> dict[str, Metric]:
    names: dict[str, Metric] = {}
    for kind in KINDS.values():
        names[kind.name] = Metric(kind.name, kind)
        for thousands in (1, 2, 5, 10, 50):
            name = f"{kind.name}{thousands}k"
            names[name] = Metric(name, kind, thousands * 1000)
            if kind.needs_reference:
                names[f"{name}_full"] = Metric(f"{name}_full", kind, thousands * 1000, True)
    return names


METRICS: dict[str, Metric] = _protocol_names()
_PATTERN = re.compile(r"^(?P<kind>[a-z_]+?)(?P<k>\d+)k(?P<full>_full)?$")


def get_metric(name: str) -> Metric:
    """Look up a protocol name (``fid10k``, ``kid``, ``pr50k_full``, any ``<kind><N>k``)."""
    key = name.strip().lower()
    if key in METRICS:
        return METRICS[key]
    match = _PATTERN.match(key)
    if match and match["kind"] in KINDS and int(match["k"]) > 0:
        kind = KINDS[match["kind"]]
        if kind.needs_reference or not match["full"]:
            return Metric(key, kind, int(match["k"]) * 1000, bool(match["full"]))
    close = difflib.get_close_matches(key, list(METRICS), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise MetricError(
        f"unknown metric {name!r}; {hint}use {', '.join(KINDS)}, optionally with a size such as "
        "fid10k or fid50k_full."
    )


def list_metrics() -> list[str]:
    """All registered protocol names."""
    return sorted(METRICS)


def metric_kinds() -> list[str]:
    """The registered metric kinds (``fid``, ``kid``, ..., ``cas``), in registry order."""
    return list(KINDS)


def unknown_metric_sentence(key: str, names: list[str]) -> str | None:
    """None when every name is registered, else one sentence naming the first unknown one,
    under ``key`` (a config key), and listing the valid names (for config validation)."""
    for name in names:
        try:
            get_metric(name)
        except MetricError:
            return (
                f"'{key}' has unknown metric {name!r}; registered metrics are "
                f"{', '.join(KINDS)}, optionally sized like fid10k or fid50k_full."
            )
    return None
