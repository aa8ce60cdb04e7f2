"""Reference features and statistics of a dataset split, computed once and cached on disk.

Layout under ``$GANKIT_CACHE`` (default ``~/.cache/gankit``, :func:`gankit.cachedir.cache_root`)::

    stats/<spec>-n<N|all>-<protocol>-<precision>-<extractor hash>.npy   features, float32 [N, 2048]
    stats/<spec>-n<N|all>-<protocol>-<precision>-<extractor hash>.npz   mu, sigma (float64), n

The key names everything that changes the numbers: the split, N, the protocol version, the
precision and the weights' content hash. Which N images a split contributes, and in which
order, is :mod:`gankit.metrics.splits`'s job; a smaller N is always a prefix of a larger one,
so a larger cached entry serves a smaller N. Files are written atomically, so an interrupted
run never leaves a half-written entry behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np

from gankit.atomic import atomic_write_with
from gankit.cachedir import cache_root
from gankit.data import parse_dataset_spec
from gankit.data.folder import content_fingerprint
from gankit.metrics.extractor import FeatureExtractor, gather_features
from gankit.metrics.features import FeatureSet
from gankit.metrics.options import DEFAULT_BATCH_SIZE, MetricOptions
from gankit.metrics.preprocess import DEFAULT_PROTOCOL, protocol_version
from gankit.metrics.splits import SUBSET_SEED, load_split_images, shuffles_subsets


def folder_content(spec: str, data_root: str | os.PathLike[str] | None) -> str | None:
    """The content fingerprint of an image-folder split (None for named datasets, whose files
    are fixed by their makers, and when no root is given: loading will say what is missing).

    Costs one ``os.stat`` per file (a fraction of a second for 10,000 images), so a cache hit
    still never decodes an image.
    """
    if not shuffles_subsets(spec) or data_root is None:
        return None
    _, split = parse_dataset_spec(spec)
    return content_fingerprint(data_root, split)


def reference_cache_key(
    spec: str,
    n: int | None,
    extractor_hash: str,
    precision: str,
    data_root: str | os.PathLike[str] | None = None,
    protocol: str = DEFAULT_PROTOCOL,
    content: str | None = None,
) -> str:
    """``<spec>-n<N|all>-<protocol version>-<precision>-<extractor hash>``; a spec that does not
    survive as a file name, an explicit data root or a content fingerprint (``content``, an
    image folder's :func:`~gankit.data.folder.content_fingerprint`) adds a short hash so
    distinct sources, and one folder before and after an edit, stay apart."""
    identity = spec if data_root is None else f"{spec}@{os.fspath(data_root)}"
    if shuffles_subsets(spec):
        identity += f"#shuffled{SUBSET_SEED}"  # not the class-sorted head of earlier versions
    if content is not None:
        identity += f"#content:{content}"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", spec).strip("_")
    if len(slug) > 48 or slug != spec.replace(":", "_") or identity != spec:
        slug = f"{slug[:40]}_{hashlib.sha1(identity.encode()).hexdigest()[:8]}"
    version = protocol_version(protocol)
    return f"{slug}-n{'all' if n is None else n}-{version}-{precision}-{extractor_hash}"


def _read(features_path: Path, stats_path: Path, label: str) -> FeatureSet | None:
    try:
        features = np.load(features_path, allow_pickle=False)
        with np.load(stats_path, allow_pickle=False) as stats:
            mu, sigma = stats["mu"], stats["sigma"]
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged: recompute
    if features.ndim != 2 or mu.shape != (features.shape[1],):
        return None
    return FeatureSet(features, label, stats=(mu, sigma))


def cached_features(
    spec: str, n: int | None, extractor: FeatureExtractor, options: MetricOptions
) -> FeatureSet:
    """Features and statistics of the first ``n`` images (all when None) of split ``spec``,
    computed at ``options.precision`` and cached under ``options.cache_dir``.

    A cache hit returns without loading the dataset or running the network. The dataset is read
    from ``options.data_root`` (:func:`gankit.data.load_dataset`).
    """
    root = options.data_root
    folder = Path(options.cache_dir) if options.cache_dir is not None else cache_root() / "stats"
    key = reference_cache_key(
        spec,
        n,
        extractor.hash,
        options.precision,
        root,
        options.protocol,
        content=folder_content(spec, root),
    )
    features_path, stats_path = folder / f"{key}.npy", folder / f"{key}.npz"
    cached = _read(features_path, stats_path, spec)
    if cached is not None:
        return cached
    if n is not None:
        larger = _head_of_larger_entry(folder, key, n, spec)
        if larger is not None:
            return larger
    images = load_split_images(spec, n, root)
    if options.progress:
        print(f"gankit: reference features of {spec}: {len(images)} images", file=sys.stderr)
    size = options.batch_size
    features = gather_features(
        extractor,
        (images[i : i + size] for i in range(0, len(images), size)),
        total=len(images),
        precision=options.precision,
        protocol=options.protocol,
        progress_label=spec if options.progress else None,
    )
    result = FeatureSet(features, spec)
    mu, sigma = result.mu_sigma()
    _store(features_path, stats_path, result, mu, sigma)
    return result


def _store(
    features_path: Path, stats_path: Path, result: FeatureSet, mu: np.ndarray, sigma: np.ndarray
) -> None:
    """Cache what was computed; a cache that cannot be written (read-only, full) costs the next
    run the Inception pass again, which is no reason to throw away this one's result."""
    try:
        atomic_write_with(features_path, lambda f: np.save(f, result.features))
        atomic_write_with(stats_path, lambda f: np.savez(f, mu=mu, sigma=sigma, n=len(result)))
    except OSError as exc:
        warnings.warn(
            f"could not cache the reference features of {result.label} in "
            f"{features_path.parent} ({exc.strerror or exc}); the score is unaffected, but the "
            "next one computes them again (set GANKIT_CACHE to a writable folder).",
            UserWarning,
            stacklevel=3,
        )


def reference_features(
    spec: str,
    n: int | None,
    extractor: FeatureExtractor,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str = "fp32",
    cache_dir: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    progress: bool = False,
    protocol: str = DEFAULT_PROTOCOL,
) -> FeatureSet:
    """:func:`cached_features` with the options as keywords (the public form)."""
    options = MetricOptions(
        protocol=protocol,
        precision=precision,
        batch_size=batch_size,
        data_root=data_root,
        cache_dir=cache_dir,
        progress=progress,
    )
    return cached_features(spec, n, extractor, options)


def _head_of_larger_entry(folder: Path, key: str, n: int, label: str) -> FeatureSet | None:
    """The first ``n`` rows of a cached entry of the same split with more images, if any.

    Entries hold the *first* N images of a split, so the first n rows of a larger entry are
    exactly the n-image reference: FID-2k after FID-10k costs no Inception pass.
    """
    # the split's name comes first and may itself hold "-n5-"; what follows N never does
    prefix, suffix = key.rsplit(f"-n{n}-", 1)
    for features_path in sorted(folder.glob(f"{glob_escape(prefix)}-n*-{glob_escape(suffix)}.npy")):
        size = features_path.name[len(prefix) + 2 : -len(suffix) - 5]
        if size != "all" and not (size.isdigit() and int(size) > n):
            continue
        found = _read(features_path, features_path.with_suffix(".npz"), label)
        if found is not None and len(found) >= n:
            return found.head(n)
    return None


def glob_escape(text: str) -> str:
    """``text`` with glob metacharacters bracketed, so it matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def reference_stats(
    spec: str,
    n: int | None,
    extractor: FeatureExtractor,
    cache_dir: str | os.PathLike[str] | None = None,
    **kwargs: object,
) -> tuple[np.ndarray, np.ndarray]:
    """``(mu, sigma)`` of :func:`reference_features` (same cache)."""
    return reference_features(spec, n, extractor, cache_dir=cache_dir, **kwargs).mu_sigma()  # type: ignore[arg-type]
