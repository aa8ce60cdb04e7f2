"""Score a generator or an image set against a reference, or write an image set's statistics:
the entry points of ``gankit eval``, ``gankit fid`` and ``gankit stats``.

Each public function takes its settings as keywords, builds one
:class:`~gankit.metrics.options.MetricOptions` and passes that down. Every result dict states
what was measured: the values (``fid``, ``kid``, ``kid_std``, ``precision``, ``recall``, ``is``,
``is_std``), ``n_gen``, ``ref``, ``n_ref``, the protocol version, the precision and the
extractor hash.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.cache import cached_features
from gankit.metrics.extract import image_features, sample_features
from gankit.metrics.extractor import FeatureExtractor, get_extractor
from gankit.metrics.features import FeatureSet
from gankit.metrics.fid import warn_if_few
from gankit.metrics.image_sets import load_image_set, looks_like_dataset_spec
from gankit.metrics.inception_score import inception_score
from gankit.metrics.options import DEFAULT_BATCH_SIZE, MetricOptions
from gankit.metrics.preprocess import DEFAULT_PROTOCOL
from gankit.metrics.registry import GeneratorContext, Metric, get_metric
from gankit.metrics.splits import load_split_labels
from gankit.metrics.stats_file import is_stats_file, write_stats
from gankit.metrics.stats_sets import stats_result_fields, stats_side

PathLike = str | os.PathLike[str]
ImageSource = PathLike | np.ndarray | torch.Tensor


def _resolve(metrics: str | Sequence[str]) -> list[Metric]:
    """Registered metrics for the names (a list or a comma-separated string)."""
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    names = [part.strip() for name in names for part in name.split(",") if part.strip()]
    if not names:
        raise MetricError("no metric requested; pass e.g. metrics=['fid', 'kid'].")
    return list({metric.name: metric for metric in map(get_metric, names)}.values())


def _check_n(n: int | None, name: str = "n") -> None:
    """Refuse an image count below 1 (``images[:-5]`` would silently drop the last five)."""
    if n is not None and n < 1:
        raise MetricError(f"{name} must be at least 1, got {n}; it is how many images to use.")


def _check_extractor(requested: list[Metric], extractor: FeatureExtractor) -> None:
    """Fail before any image is generated when a metric needs what the extractor lacks."""
    if any(m.kind.needs_logits for m in requested) and not extractor.has_logits:
        inception_score(None)  # raises the MetricError that says how to enable IS


def _rename(key: str, metric: Metric) -> str:
    """``fid`` -> ``fid5k``, ``kid_std`` -> ``kid5k_std``, ``precision`` -> ``pr5k_precision``."""
    kind = metric.kind.name
    return metric.name + key[len(kind) :] if key.startswith(kind) else f"{metric.name}_{key}"


def _score(
    requested: list[Metric],
    gen: FeatureSet,
    reference: Callable[[int | None], FeatureSet],
    default_n_ref: int | None,
    default_n_gen: int | None,
) -> dict[str, object]:
    """Run each metric on the first N generated features and its reference set: N is the
    metric's size (``fid10k``) or, for an unsized name, the caller's ``default_n_gen`` (None:
    every feature), never the largest size another requested metric asked for."""
    results: dict[str, object] = {}
    n_gen_used: set[int] = set()
    refs_used: dict[str, int] = {}
    kinds = [metric.kind.name for metric in requested]
    for metric in requested:
        sub = gen.head(metric.n or default_n_gen)
        ref = None
        if metric.kind.needs_reference:
            n_ref = None if metric.full_reference else (metric.n or default_n_ref)
            ref = reference(n_ref)
            refs_used[ref.label] = max(len(ref), refs_used.get(ref.label, 0))
        values = metric.compute(sub, ref)
        if kinds.count(metric.kind.name) > 1:  # fid5k and fid10k together: key each by name
            values = {_rename(key, metric): value for key, value in values.items()}
        results.update(values)
        n_gen_used.add(len(sub))
    results["n_gen"] = max(n_gen_used)
    if refs_used:
        ref_label, n_ref = max(refs_used.items(), key=lambda item: item[1])
        results["ref"], results["n_ref"] = ref_label, n_ref
    return results


def _protocol_fields(extractor: FeatureExtractor, options: MetricOptions) -> dict[str, object]:
    return {
        "protocol": options.version,
        "feature_precision": options.precision,
        "extractor": extractor.hash,
    }


def generator_features(
    generator: torch.nn.Module,
    n: int,
    extractor: FeatureExtractor,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str = "cpu",
    precision: str = "fp32",
    seed: int = 0,
    want_logits: bool = False,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
    overlap: bool | None = None,
) -> FeatureSet:
    """:func:`~gankit.metrics.extract.sample_features` with the options as keywords: the
    features of ``n`` seeded samples of ``generator`` (``overlap``: see there)."""
    options = MetricOptions(
        protocol=protocol,
        precision=precision,
        device=device,
        batch_size=batch_size,
        progress=progress,
    )
    return sample_features(
        generator, n, extractor, options, seed=seed, want_logits=want_logits, overlap=overlap
    )


def evaluate_generator(
    generator: torch.nn.Module,
    *,
    metrics: str | Sequence[str] = ("fid", "kid"),
    n: int = 10_000,
    ref: str = "fashion-mnist:test",
    n_ref: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    precision: str = "fp32",
    seed: int = 0,
    extractor: FeatureExtractor | None = None,
    cache_dir: PathLike | None = None,
    data_root: PathLike | None = None,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
    overlap: bool | None = None,
) -> dict[str, object]:
    """Score ``generator`` (``forward(z, y=None)`` in [-1, 1], attributes ``z_dim``,
    ``num_classes``) against the first ``n_ref`` (default ``n``) images of ``ref``.

    Metric names carrying a size (``fid50k``) override ``n``; class-conditional generators get
    uniformly drawn labels. The generator is put in eval mode and restored afterwards.
    ``precision`` (``fp32`` exact, ``bf16`` fast where native) applies to the generated images;
    reference features are always fp32 (computed once and cached, and closer to the all-fp32
    FID than a bf16 reference, see :meth:`MetricOptions.for_reference`). ``protocol``
    picks the resize (``tf1``, the default, or clean-fid's ``clean``); results name it.
    Metrics that score the generator itself (``cas``) get ``n``, ``seed``, the device and the
    dataset named by ``ref``; they load no Inception network. ``device`` defaults to the
    generator's. ``overlap``: see :func:`~gankit.metrics.extract.sample_features` (the scores
    do not depend on it).
    """
    params = next(generator.parameters(), None)
    gen_device = (
        torch.device(device)
        if device is not None
        else (params.device if params is not None else torch.device("cpu"))
    )
    options = MetricOptions(
        protocol=protocol,
        precision=precision,
        device=gen_device,
        batch_size=batch_size,
        data_root=data_root,
        cache_dir=cache_dir,
        progress=progress,
    )
    _check_n(n_ref, "n_ref")
    requested = _resolve(metrics)
    on_features = [m for m in requested if not m.kind.takes_generator]
    on_generator = [m for m in requested if m.kind.takes_generator]
    results: dict[str, object] = {}
    if on_features:
        results.update(
            _score_generator_features(
                generator,
                on_features,
                extractor or get_extractor(device=gen_device),
                options,
                n=n,
                ref=ref,
                n_ref=n_ref,
                seed=seed,
                overlap=overlap,
            )
        )
    if on_generator:
        context = GeneratorContext(
            n=n,
            seed=seed,
            device=gen_device,
            dataset=ref.split(":", 1)[0] if looks_like_dataset_spec(ref) else None,
            data_root=None if data_root is None else os.fspath(data_root),
        )
        kinds = [m.kind.name for m in on_generator]
        for metric in on_generator:
            values = metric.score_generator(generator, context)
            if kinds.count(metric.kind.name) > 1:  # cas1k and cas10k together
                values = {_rename(key, metric): value for key, value in values.items()}
            results.update(values)
        results.setdefault("n_gen", max(m.n or n for m in on_generator))
    return results


def _score_generator_features(
    generator: torch.nn.Module,
    requested: list[Metric],
    extractor: FeatureExtractor,
    options: MetricOptions,
    *,
    n: int,
    ref: str,
    n_ref: int | None,
    seed: int,
    overlap: bool | None,
) -> dict[str, object]:
    """The Inception-feature metrics of :func:`evaluate_generator`."""
    _check_extractor(requested, extractor)
    ref_stats = stats_side(
        ref,
        requested,
        reference=True,
        protocol=options.version,
        extractor_hash=extractor.hash,
        feature_precision=options.precision,
    )
    n_gen = max(metric.n or n for metric in requested)
    if n_gen < 2:
        raise MetricError(f"cannot score {n_gen} generated image(s); use n >= 2.")
    want_labels = any(m.kind.needs_labels for m in requested)
    if want_labels and not int(getattr(generator, "num_classes", 0) or 0):
        raise MetricError("ifid needs a class-conditional generator; this one has no classes.")
    gen = sample_features(
        generator,
        n_gen,
        extractor,
        options,
        seed=seed,
        want_logits=any(m.kind.needs_logits for m in requested),
        overlap=overlap,
    )
    if not want_labels:
        gen.labels = None
    refs: dict[int | None, FeatureSet] = {}
    ref_options = options.for_reference()

    def reference(count: int | None) -> FeatureSet:
        if ref_stats is not None:
            return ref_stats
        if count not in refs:
            refs[count] = cached_features(ref, count, extractor, ref_options)
            if want_labels:
                refs[count].labels = load_split_labels(ref, len(refs[count]), options.data_root)
        return refs[count]

    results = _score(requested, gen, reference, n if n_ref is None else n_ref, n)
    if ref_stats is not None:
        results.update(stats_result_fields(ref_stats, "ref"))
    return {**results, **_protocol_fields(extractor, options)}


def _label(source: object, fallback: str) -> str:
    """How a result names an image source: its spec or path, else ``fallback``."""
    if isinstance(source, str):
        return source
    return os.fspath(source) if isinstance(source, os.PathLike) else fallback


def _source_features(
    source: object,
    count: int | None,
    extractor: FeatureExtractor,
    options: MetricOptions,
    *,
    label: str,
    want_logits: bool = False,
) -> FeatureSet:
    """Features of an image source: a dataset spec through the reference cache (in fp32, when
    no logits are wanted), anything else read by :func:`load_image_set` and extracted."""
    if isinstance(source, str) and looks_like_dataset_spec(source) and not want_logits:
        return cached_features(source, count, extractor, options.for_reference())
    images = load_image_set(  # a folder in its subset order: every smaller N is a prefix
        source,
        count,
        data_root=options.data_root,
        shuffle_folder=True,  # type: ignore[arg-type]
    )
    return image_features(images, extractor, options, label=label, want_logits=want_logits)


def evaluate_images(
    a: ImageSource,
    b: ImageSource,
    *,
    metrics: str | Sequence[str] = ("fid",),
    n: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str = "cpu",
    precision: str = "fp32",
    extractor: FeatureExtractor | None = None,
    cache_dir: PathLike | None = None,
    data_root: PathLike | None = None,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
) -> dict[str, object]:
    """Score image set ``a`` against reference set ``b`` (``gankit fid A B``).

    Each side is a folder, ``.npz`` / ``.npy`` file, uint8 array or dataset spec; a dataset spec
    uses the reference cache (in fp32, like :func:`evaluate_generator`). ``n`` keeps
    the first ``n`` images of each side. Either side may be a statistics file (``mu`` and
    ``sigma``, see :mod:`gankit.metrics.stats_file`) for the metrics that need no more (FID).
    """
    options = MetricOptions(
        protocol=protocol,
        precision=precision,
        device=device,
        batch_size=batch_size,
        data_root=data_root,
        cache_dir=cache_dir,
        progress=progress,
    )
    _check_n(n)
    requested = _resolve(metrics)
    if any(m.kind.takes_generator for m in requested):
        names = ", ".join(m.name for m in requested if m.kind.takes_generator)
        raise MetricError(
            f"{names} scores a generator, not an image set; use `gankit eval RUN --metrics "
            f"{names}`."
        )
    extractor = extractor or get_extractor(device=device)
    _check_extractor(requested, extractor)
    if any(m.kind.needs_labels for m in requested):
        raise MetricError(
            "ifid needs the class of every image; score a conditional run with "
            "`gankit eval RUN --metrics ifid`."
        )
    stats = {
        key: stats_side(
            source,
            requested,
            reference=key == "ref",
            protocol=options.version,
            extractor_hash=extractor.hash,
            feature_precision=options.precision,
        )
        for key, source in (("a", a), ("ref", b))
    }
    label_a, label_b = _label(a, "A"), _label(b, "B")
    sizes = [m.n or n for m in requested]  # an unsized metric with no n reads every image
    n_a = max(size for size in sizes if size is not None) if None not in sizes else None
    found_a = stats["a"]
    gen = (
        found_a
        if found_a is not None
        else _source_features(
            a,
            n_a,
            extractor,
            options,
            label=label_a,
            want_logits=any(m.kind.needs_logits for m in requested),
        )
    )
    ref_sets: dict[int | None, FeatureSet] = {}

    def reference(count: int | None) -> FeatureSet:
        found = stats["ref"]
        if found is not None:
            return found
        if count not in ref_sets:
            if None in ref_sets and count is not None and len(ref_sets[None]) >= count:
                ref_sets[count] = ref_sets[None].head(count)
            else:
                ref_sets[count] = _source_features(b, count, extractor, options, label=label_b)
        return ref_sets[count]

    results = _score(requested, gen, reference, n, n)
    results["a"], results["n_a"] = label_a, len(gen)
    for key, found in stats.items():
        if found is not None:
            results.update(stats_result_fields(found, key))
    return {**results, **_protocol_fields(extractor, options)}


def save_source_stats(
    source: PathLike,
    out: PathLike,
    *,
    n: int | None = None,
    device: str = "cpu",
    precision: str = "fp32",
    extractor: FeatureExtractor | None = None,
    cache_dir: PathLike | None = None,
    data_root: PathLike | None = None,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
) -> dict[str, object]:
    """``gankit stats``: write the FID statistics of an image source to ``out``.

    ``source`` is anything ``gankit fid`` accepts (folder, ``.npz`` / ``.npy`` images, dataset
    spec; a spec goes through the reference cache in fp32). ``n`` keeps the first
    ``n`` images.
    Returns what was written (path, N, protocol fields) for the command to print.
    """
    options = MetricOptions(
        protocol=protocol,
        precision=precision,
        device=device,
        data_root=data_root,
        cache_dir=cache_dir,
        progress=progress,
    )
    _check_n(n)
    if is_stats_file(source):
        raise MetricError(f"{os.fspath(source)} is already a statistics file; copy it instead.")
    if Path(os.fspath(out)).suffix != ".npz":
        raise MetricError(f"--out must name a .npz file, got '{os.fspath(out)}'.")
    extractor = extractor or get_extractor(device=device)
    label = os.fspath(source)
    if looks_like_dataset_spec(label):
        options = options.for_reference()
    features = _source_features(label, n, extractor, options, label=label)
    if len(features) < 2:
        raise MetricError(f"{label} has {len(features)} image(s); statistics need at least 2.")
    warn_if_few(len(features), "FID against statistics")
    mu, sigma = features.mu_sigma()
    fields = {
        "n": len(features),
        "protocol": options.version,
        "extractor": extractor.hash,
        "feature_precision": options.precision,
        "source": label,
    }
    path = write_stats(out, mu, sigma, **fields)  # type: ignore[arg-type]
    return {"out": os.fspath(path), **fields}
