"""Metrics registered under names that state their protocol, as in StyleGAN2-ADA.

``fid10k`` = FID of 10,000 generated images against the first 10,000 images of the reference
split; ``fid50k_full`` = 50,000 generated against the whole split; plain ``fid`` / ``kid`` /
``pr`` / ``is`` take N from the caller. Most kinds map a generated and a reference
:class:`FeatureSet` to a dict of named values; a few (class accuracy, ``cas``) score the
generator itself and get it with a :class:`GeneratorContext`.

The registry owns the names: config validation (``train.eval_metrics``), ``gankit eval``,
in-training evaluation and ``gankit fid`` all look them up here. A metric is one module that
registers its kind where it computes it (``@register_metric("kid")`` above the function that
maps the two feature sets to ``{"kid": ..., "kid_std": ...}``); nothing else lists the kinds.
Importing :mod:`gankit.metrics` imports every module of the package
(:func:`load_metric_modules`, in name order after the built-ins), so a new module there needs no
other edit; a metric defined
elsewhere (a plugin, a test) is available once its module has run its registration.

This module imports no metric: the metric modules import it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import nn

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet
from gankit.registry import Registry, import_submodules

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


@dataclass(frozen=True)
class MetricKind:
    """One metric: its function, whether it compares against a reference set, and whether a
    statistics file (mean and covariance only) can stand in for the reference / generated side.

    A kind with ``generator_fn`` scores the generator itself (no Inception features), so it
    exists only where there is a generator: ``gankit eval`` and in-training evaluation.
    """

    name: str
    fn: MetricFn | None = None
    needs_reference: bool = True
    needs_logits: bool = False
    needs_labels: bool = False
    ref_stats_ok: bool = False
    gen_stats_ok: bool = False
    generator_fn: GeneratorMetricFn | None = None

    @property
    def takes_generator(self) -> bool:
        return self.generator_fn is not None


#: Every metric kind, filled by the modules that implement them.
METRIC_KINDS: Registry[MetricKind] = Registry("metric", key="train.eval_metrics")
_KIND_NAME = re.compile(r"^[a-z][a-z_]*$")  # no digits: ``<kind><N>k`` must parse back
_SIZES_LISTED = (1, 2, 5, 10, 50)  # thousands, for list_metrics and the did-you-mean hint


def _add(kind: MetricKind) -> None:
    if not _KIND_NAME.match(kind.name) or kind.name.endswith("_full"):
        raise ValueError(
            f"metric name {kind.name!r} must be lower-case letters and underscores, so that "
            "sized names such as fid10k parse"
        )
    METRIC_KINDS.add(kind.name, kind)


def register_metric(
    name: str,
    *,
    needs_reference: bool = True,
    needs_logits: bool = False,
    needs_labels: bool = False,
    ref_stats_ok: bool = False,
    gen_stats_ok: bool = False,
) -> Callable[[MetricFn], MetricFn]:
    """Decorator: register ``fn(gen, ref) -> {name: value}`` as metric kind ``name``.

    ``gen`` is the generated side's :class:`FeatureSet` (cut to the metric's N), ``ref`` the
    reference's (None when ``needs_reference`` is false). ``needs_logits`` / ``needs_labels``
    ask for the Inception logits / the samples' class labels; ``ref_stats_ok`` /
    ``gen_stats_ok`` say that the side may be a statistics file (mean and covariance only).
    """

    def decorate(fn: MetricFn) -> MetricFn:
        _add(
            MetricKind(
                name,
                fn,
                needs_reference=needs_reference,
                needs_logits=needs_logits,
                needs_labels=needs_labels,
                ref_stats_ok=ref_stats_ok,
                gen_stats_ok=gen_stats_ok,
            )
        )
        return fn

    return decorate


def register_generator_metric(name: str) -> Callable[[GeneratorMetricFn], GeneratorMetricFn]:
    """Decorator: register ``fn(generator, context) -> {name: value}``, a metric that scores
    the generator itself (no Inception features, no reference feature set)."""

    def decorate(fn: GeneratorMetricFn) -> GeneratorMetricFn:
        _add(MetricKind(name, needs_reference=False, generator_fn=fn))
        return fn

    return decorate


def load_metric_modules() -> None:
    """Import every public module of this package, so each registers the metrics it defines
    (called once at the end of ``gankit/metrics/__init__.py``)."""
    import_submodules(__package__)


@dataclass(frozen=True)
class Metric:
    """A registered protocol name: ``kind``, generated count ``n`` (None = caller's) and whether
    the reference is the full split."""

    name: str
    kind: MetricKind
    n: int | None = None
    full_reference: bool = False

    def compute(self, gen: FeatureSet, ref: FeatureSet | None) -> dict[str, object]:
        if self.kind.fn is None:
            raise MetricError(f"{self.name} scores a generator, not an image set.")
        return self.kind.fn(gen, ref)

    def score_generator(self, generator: nn.Module, ctx: GeneratorContext) -> dict[str, object]:
        """Score a generator-taking metric (``cas``) with this name's N, else the context's."""
        assert self.kind.generator_fn is not None
        return self.kind.generator_fn(generator, replace(ctx, n=self.n or ctx.n))


def metric_kinds() -> list[str]:
    """The registered metric kinds (``fid``, ``fid_inf``, ``kid``, ..., ``cas``), in
    registration order (``gankit/metrics/__init__.py`` imports the built-ins in that order)."""
    return list(METRIC_KINDS)


def _listed_names() -> list[str]:
    names: list[str] = []
    for kind in map(METRIC_KINDS.get, metric_kinds()):
        names.append(kind.name)
        for thousands in _SIZES_LISTED:
            names.append(f"{kind.name}{thousands}k")
            if kind.needs_reference:
                names.append(f"{kind.name}{thousands}k_full")
    return names


_PATTERN = re.compile(r"^(?P<kind>[a-z_]+?)(?P<k>\d+)k(?P<full>_full)?$")


def get_metric(name: str) -> Metric:
    """Look up a protocol name (``fid10k``, ``kid``, ``pr50k_full``, any ``<kind><N>k``)."""
    key = name.strip().lower()
    if key in METRIC_KINDS:
        return Metric(key, METRIC_KINDS.get(key))
    match = _PATTERN.match(key)
    if match and match["kind"] in METRIC_KINDS and int(match["k"]) > 0:
        kind = METRIC_KINDS.get(match["kind"])
        if kind.needs_reference or not match["full"]:
            return Metric(key, kind, int(match["k"]) * 1000, bool(match["full"]))
    close = difflib.get_close_matches(key, _listed_names(), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise MetricError(
        f"unknown metric {name!r}; {hint}use {', '.join(metric_kinds())}, optionally with a "
        "size such as fid10k or fid50k_full."
    )


def list_metrics() -> list[str]:
    """The registered kinds and their sizes 1k, 2k, 5k, 10k, 50k (``_full`` where a reference
    set is read); any other ``<kind><N>k`` is valid too."""
    return sorted(_listed_names())


def unknown_metric_sentence(key: str, names: list[str]) -> str | None:
    """None when every name is registered, else one sentence naming the first unknown one,
    under ``key`` (a config key), and listing the valid names (for config validation)."""
    for name in names:
        try:
            get_metric(name)
        except MetricError:
            return (
                f"'{key}' has unknown metric {name!r}; registered metrics are "
                f"{', '.join(metric_kinds())}, optionally sized like fid10k or fid50k_full."
            )
    return None
