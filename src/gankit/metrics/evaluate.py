"""Score a generator or an image set against a reference: the entry points of ``gankit eval/fid``.

Every result dict states what was measured: the values (``fid``, ``kid``, ``kid_std``,
``precision``, ``recall``, ``is``, ``is_std``), ``n_gen``, ``ref``, ``n_ref``, the protocol
version, the precision and the extractor hash.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.cache import load_split_images, reference_features, subset_order
from gankit.metrics.extractor import DEFAULT_BATCH_SIZE, FeatureExtractor, get_extractor
from gankit.metrics.features import FeatureSet
from gankit.metrics.inception_score import inception_score
from gankit.metrics.per_class import load_split_labels
from gankit.metrics.prefetch import prefetched
from gankit.metrics.preprocess import DEFAULT_PROTOCOL, protocol_version, to_uint8
from gankit.metrics.registry import GeneratorContext, Metric, get_metric
from gankit.metrics.stats_file import stats_result_fields, stats_side
from gankit.models.generation import seeded_batches

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
ARRAY_KEYS = ("images", "x", "arr_0")


# ---------------------------------------------------------------------------------- image sets


def _array_to_nchw(array: np.ndarray, source: str) -> torch.Tensor:
    """uint8 NHWC / NCHW / NHW array -> contiguous uint8 ``[N, C, H, W]`` with C in (1, 3)."""
    if array.dtype != np.uint8:
        integer = np.issubdtype(array.dtype, np.integer)
        if integer and array.size and 0 <= array.min() <= array.max() <= 255:
            array = array.astype(np.uint8)
        else:
            raise MetricError(
                f"{source} holds {array.dtype} values; save images as uint8 in [0, 255] "
                "(e.g. ((x + 1) * 127.5).round().astype('uint8'))."
            )
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise MetricError(
            f"{source} has shape {array.shape}; expected [N, H, W, C], [N, C, H, W] or [N, H, W]."
        )
    channels_first = array.shape[1] in (1, 3, 4)
    channels_last = array.shape[3] in (1, 3, 4)
    if channels_last and not (channels_first and array.shape[3] > array.shape[1]):
        array = array.transpose(0, 3, 1, 2)
    elif not channels_first:
        raise MetricError(
            f"{source} has shape {array.shape}: no axis of size 1 or 3 for the colour channels."
        )
    if array.shape[1] == 4:
        array = array[:, :3]  # drop alpha
    if len(array) == 0:
        raise MetricError(f"{source} holds no images.")
    return torch.from_numpy(np.ascontiguousarray(array))


def _read_array_file(path: Path) -> np.ndarray:
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if not names:
                raise MetricError(f"{path} holds no arrays; save the images with np.savez.")
            key = next((k for k in ARRAY_KEYS if k in names), names[0])
            return archive[key]
    except (OSError, ValueError) as exc:
        raise MetricError(f"cannot read {path} as a NumPy array file ({exc}).") from None


def _read_folder(folder: Path) -> np.ndarray:
    from PIL import Image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise MetricError(
            f"{folder} contains no images ({', '.join(sorted(IMAGE_SUFFIXES))}); point at a "
            "folder of image files."
        )
    pictures = []
    for file in files:
        try:
            with Image.open(file) as img:
                pictures.append(img.copy())
        except OSError as exc:
            raise MetricError(f"cannot read image {file} ({exc}); remove or fix it.") from None
    grey = all(p.mode in ("1", "L", "LA", "I", "I;16") for p in pictures)
    mode = "L" if grey else "RGB"
    arrays = [np.asarray(p.convert(mode), dtype=np.uint8) for p in pictures]
    sizes = {a.shape[:2] for a in arrays}
    if len(sizes) > 1:
        raise MetricError(
            f"images in {folder} have different sizes {sorted(sizes)[:3]}; resize them to one "
            "size first."
        )
    return np.stack(arrays)


def looks_like_dataset_spec(arg: str) -> bool:
    """True for ``name`` / ``name:split`` strings that are not an existing path."""
    if Path(arg).exists() or arg.endswith((".npz", ".npy")):
        return False
    name = arg.split(":", 1)[0]
    return bool(name) and "/" not in name and os.sep not in name


def load_image_set(
    source: str | os.PathLike[str] | np.ndarray | torch.Tensor,
    n: int | None = None,
    *,
    data_root: str | os.PathLike[str] | None = None,
) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` images from a folder, ``.npz`` / ``.npy`` file, array or dataset spec.

    Arrays may be NHWC, NCHW or NHW, grey or RGB(A); ``.npz`` files use the array named
    ``images``, ``x`` or ``arr_0``, else the first one. ``n`` keeps the first ``n`` images;
    ``data_root`` is where dataset specs are looked up (default: ``gankit.data``'s search).
    """
    if isinstance(source, torch.Tensor):
        source = source.detach().cpu().numpy()
    if isinstance(source, np.ndarray):
        images = _array_to_nchw(source, "the image array")
    else:
        text = os.fspath(source)
        path = Path(text).expanduser()
        if path.is_dir():
            images = _array_to_nchw(_read_folder(path), str(path))
            if n is not None and n < len(images):  # files are sorted, often class by class
                images = images[subset_order(len(images))]
        elif path.is_file() and path.suffix in (".npz", ".npy"):
            images = _array_to_nchw(_read_array_file(path), str(path))
        elif path.is_file():
            raise MetricError(f"{path} is neither a folder nor a .npz/.npy array file.")
        elif looks_like_dataset_spec(text):
            images = load_split_images(text, n, data_root)
        else:
            raise MetricError(
                f"{text} does not exist; give a folder of images, a .npz/.npy file or a dataset "
                "spec such as fashion-mnist:test."
            )
    return images if n is None else images[:n]


# ---------------------------------------------------------------------------------- features


def _features_of(
    batches: Iterable[torch.Tensor],
    total: int,
    extractor: FeatureExtractor,
    *,
    label: str,
    precision: str,
    want_logits: bool,
    progress: bool,
    protocol: str = DEFAULT_PROTOCOL,
) -> FeatureSet:
    """Features of image batches (uint8 or [-1, 1] float), gathered into one float32 array."""
    chunks: list[np.ndarray] = []
    done = 0
    for batch in batches:
        chunks_of_batch = extractor.iter_features(
            batch, batch_size=len(batch), precision=precision, protocol=protocol
        )
        for chunk in chunks_of_batch:
            chunks.append(chunk.numpy())
            done += len(chunk)
        if progress:
            print(f"gankit: {label} features {done}/{total}", file=sys.stderr)
    if not chunks:
        raise MetricError(f"{label} produced no images to score.")
    features = np.concatenate(chunks).astype(np.float32, copy=False)
    logits = extractor.logits(features) if want_logits else None
    return FeatureSet(features, label, logits)


def image_features(
    images: torch.Tensor,
    extractor: FeatureExtractor,
    *,
    label: str = "images",
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str = "fp32",
    want_logits: bool = False,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
) -> FeatureSet:
    """:class:`FeatureSet` of an in-memory uint8 ``[N, C, H, W]`` image set."""
    batches = (images[i : i + batch_size] for i in range(0, len(images), batch_size))
    return _features_of(
        batches,
        len(images),
        extractor,
        label=label,
        precision=precision,
        want_logits=want_logits,
        progress=progress,
        protocol=protocol,
    )


def _generated_batches(
    generator: torch.nn.Module,
    n: int,
    batch_size: int,
    device: torch.device,
    seed: int,
    labels_out: list[np.ndarray] | None = None,
) -> Iterator[torch.Tensor]:
    """uint8 samples of ``generator``; noise and labels come from a CPU RNG seeded by ``seed``,
    so the same seed draws the same latents on any device. The drawn labels of a conditional
    generator are appended to ``labels_out`` when given (for per-class metrics)."""
    drawn: list[torch.Tensor] | None = [] if labels_out is not None else None
    for images in seeded_batches(
        generator, n, batch_size=batch_size, seed=seed, device=device, labels_out=drawn
    ):
        if labels_out is not None and drawn:
            labels_out.append(drawn.pop().cpu().numpy())
        yield to_uint8(images).cpu()


# ---------------------------------------------------------------------------------- metrics


def _resolve(metrics: str | Sequence[str]) -> list[Metric]:
    """Registered metrics for the names (a list or a comma-separated string)."""
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    names = [part.strip() for name in names for part in name.split(",") if part.strip()]
    if not names:
        raise MetricError("no metric requested; pass e.g. metrics=['fid', 'kid'].")
    return list({metric.name: metric for metric in map(get_metric, names)}.values())


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
) -> dict[str, object]:
    """Run each metric on the first N generated features and its reference set."""
    results: dict[str, object] = {}
    n_gen_used: set[int] = set()
    refs_used: dict[str, int] = {}
    kinds = [metric.kind.name for metric in requested]
    for metric in requested:
        sub = gen.head(metric.n)
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


def _protocol_fields(
    extractor: FeatureExtractor, precision: str, protocol: str
) -> dict[str, object]:
    return {
        "protocol": protocol_version(protocol),
        "feature_precision": precision,
        "extractor": extractor.hash,
    }


def _cached_reference(
    extractor: FeatureExtractor,
    batch_size: int,
    cache_dir: str | os.PathLike[str] | None,
    data_root: str | os.PathLike[str] | None,
    progress: bool,
    protocol: str = DEFAULT_PROTOCOL,
) -> Callable[[str, int | None], FeatureSet]:
    """``(spec, n) -> features`` through the reference cache, with one call's options bound.

    Reference sides are always extracted in fp32, whatever the precision of the scored side:
    a bf16 generated side scored against the fp32 reference measured 0.08% from the all-fp32
    FID, against a bf16 reference 0.63% (best-fashion, FID-2k; at FID-10k 0.36% and, on a
    weaker dcgan-fashion generator, 1.41%), and one cached set serves every caller.
    """

    def load(spec: str, count: int | None) -> FeatureSet:
        return reference_features(
            spec,
            count,
            extractor,
            batch_size=batch_size,
            cache_dir=cache_dir,
            data_root=data_root,
            progress=progress,
            protocol=protocol,
        )

    return load


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
    """:class:`FeatureSet` of ``n`` seeded samples of ``generator`` (with the drawn ``labels``
    of a conditional one), generated on ``device`` in eval mode (restored afterwards).

    ``overlap`` generates the next batch in a background thread while Inception runs on the
    current one (:mod:`gankit.metrics.prefetch`); the images, and so the features, are the same
    either way. ``None`` overlaps on accelerators only: on a CPU, Inception is over 99% of the
    work for the generators gankit trains and already uses every core, so a second busy thread
    measured 3% slower (``benchmarks/fid_speed.py`` times both).
    """
    gen_labels: list[np.ndarray] = []
    gen_device = torch.device(device)
    if overlap is None:
        overlap = gen_device.type != "cpu"

    def batches() -> Iterator[torch.Tensor]:
        return _generated_batches(generator, n, batch_size, gen_device, seed, gen_labels)

    was_training = generator.training
    generator.eval()
    try:
        with torch.inference_mode():
            gen = _features_of(
                prefetched(batches) if overlap else batches(),
                n,
                extractor,
                label="generator",
                precision=precision,
                want_logits=want_logits,
                progress=progress,
                protocol=protocol,
            )
    finally:
        generator.train(was_training)
    if gen_labels:
        gen.labels = np.concatenate(gen_labels)
    return gen


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
    cache_dir: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
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
    FID than a bf16 reference, see :func:`_cached_reference`). ``protocol``
    picks the resize (``tf1``, the default, or clean-fid's ``clean``); results name it.
    Metrics that score the generator itself (``cas``) get ``n``, ``seed``, the device and the
    dataset named by ``ref``; they load no Inception network.
    ``overlap``: see :func:`generator_features` (the scores do not depend on it).
    """
    params = next(generator.parameters(), None)
    gen_device = (
        torch.device(device)
        if device is not None
        else (params.device if params is not None else torch.device("cpu"))
    )
    requested = _resolve(metrics)
    on_features = [m for m in requested if not m.kind.takes_generator]
    on_generator = [m for m in requested if m.kind.takes_generator]
    results: dict[str, object] = {}
    if on_features:
        results.update(
            _score_generator_features(
                generator,
                on_features,
                n=n,
                ref=ref,
                n_ref=n_ref,
                batch_size=batch_size,
                device=gen_device,
                precision=precision,
                seed=seed,
                extractor=extractor or get_extractor(device=gen_device),
                cache_dir=cache_dir,
                data_root=data_root,
                progress=progress,
                protocol=protocol,
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
    *,
    n: int,
    ref: str,
    n_ref: int | None,
    batch_size: int,
    device: torch.device,
    precision: str,
    seed: int,
    extractor: FeatureExtractor,
    cache_dir: str | os.PathLike[str] | None,
    data_root: str | os.PathLike[str] | None,
    progress: bool,
    protocol: str,
    overlap: bool | None,
) -> dict[str, object]:
    """The Inception-feature metrics of :func:`evaluate_generator`."""
    gen_device = device
    _check_extractor(requested, extractor)
    version = protocol_version(protocol)
    ref_stats = stats_side(
        ref, requested, reference=True, protocol=version, extractor_hash=extractor.hash
    )
    n_gen = max(metric.n or n for metric in requested)
    if n_gen < 2:
        raise MetricError(f"cannot score {n_gen} generated image(s); use n >= 2.")
    want_labels = any(m.kind.needs_labels for m in requested)
    if want_labels and not int(getattr(generator, "num_classes", 0) or 0):
        raise MetricError("ifid needs a class-conditional generator; this one has no classes.")
    gen = generator_features(
        generator,
        n_gen,
        extractor,
        batch_size=batch_size,
        device=gen_device,
        precision=precision,
        seed=seed,
        want_logits=any(m.kind.needs_logits for m in requested),
        progress=progress,
        protocol=protocol,
        overlap=overlap,
    )
    if not want_labels:
        gen.labels = None
    refs: dict[int | None, FeatureSet] = {}

    cached = _cached_reference(extractor, batch_size, cache_dir, data_root, progress, protocol)

    def reference(count: int | None) -> FeatureSet:
        if ref_stats is not None:
            return ref_stats
        if count not in refs:
            refs[count] = cached(ref, count)
            if want_labels:
                refs[count].labels = load_split_labels(ref, len(refs[count]), data_root)
        return refs[count]

    results = _score(requested, gen, reference, n if n_ref is None else n_ref)
    if ref_stats is not None:
        results.update(stats_result_fields(ref_stats, "ref"))
    return {**results, **_protocol_fields(extractor, precision, protocol)}


def evaluate_images(
    a: str | os.PathLike[str] | np.ndarray | torch.Tensor,
    b: str | os.PathLike[str] | np.ndarray | torch.Tensor,
    *,
    metrics: str | Sequence[str] = ("fid",),
    n: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str = "cpu",
    precision: str = "fp32",
    extractor: FeatureExtractor | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
) -> dict[str, object]:
    """Score image set ``a`` against reference set ``b`` (``gankit fid A B``).

    Each side is a folder, ``.npz`` / ``.npy`` file, uint8 array or dataset spec; a dataset spec
    uses the reference cache (in fp32, like :func:`evaluate_generator`). ``n`` keeps
    the first ``n`` images of each side. Either side may be a statistics file (``mu`` and
    ``sigma``, see :mod:`gankit.metrics.stats_file`) for the metrics that need no more (FID).
    """
    requested = _resolve(metrics)
    if any(m.kind.takes_generator for m in requested):
        names = ", ".join(m.name for m in requested if m.kind.takes_generator)
        raise MetricError(
            f"{names} scores a generator, not an image set; use `gankit eval RUN --metrics "
            f"{names}`."
        )
    extractor = extractor or get_extractor(device=device)
    _check_extractor(requested, extractor)
    version = protocol_version(protocol)
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
            protocol=version,
            extractor_hash=extractor.hash,
        )
        for key, source in (("a", a), ("ref", b))
    }
    want_logits = any(m.kind.needs_logits for m in requested)
    n_a = max((m.n for m in requested if m.n), default=n)
    cached = _cached_reference(extractor, batch_size, cache_dir, data_root, progress, protocol)

    def side(source: object, count: int | None, logits: bool, label: str) -> FeatureSet:
        found = stats["a" if source is a else "ref"]
        if found is not None:
            return found
        if isinstance(source, str) and looks_like_dataset_spec(source) and not logits:
            return cached(source, count)
        images = load_image_set(source, count, data_root=data_root)  # type: ignore[arg-type]
        return image_features(
            images,
            extractor,
            label=label,
            batch_size=batch_size,
            precision=precision,
            want_logits=logits,
            progress=progress,
            protocol=protocol,
        )

    label_a = a if isinstance(a, str) else os.fspath(a) if isinstance(a, os.PathLike) else "A"
    label_b = b if isinstance(b, str) else os.fspath(b) if isinstance(b, os.PathLike) else "B"
    gen = side(a, n_a, want_logits, label_a)
    ref_sets: dict[int | None, FeatureSet] = {}

    def reference(count: int | None) -> FeatureSet:
        if count not in ref_sets:
            if None in ref_sets and count is not None and len(ref_sets[None]) >= count:
                ref_sets[count] = ref_sets[None].head(count)
            else:
                ref_sets[count] = side(b, count, False, label_b)
        return ref_sets[count]

    results = _score(requested, gen, reference, n)
    results["a"], results["n_a"] = label_a, len(gen)
    for key, found in stats.items():
        if found is not None:
            results.update(stats_result_fields(found, key))
    return {**results, **_protocol_fields(extractor, precision, protocol)}
