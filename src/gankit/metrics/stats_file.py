"""FID statistics files: ``mu`` and ``sigma`` in the ``.npz`` layout pytorch-fid and TTUR use.

Why a file format of our own is not enough: published FIDs are often computed against a
statistics file (TTUR's ``fid_stats_cifar10_train.npz``, ``pytorch-fid --save-stats``,
clean-fid's reference statistics), and users hand statistics to colleagues instead of datasets.
Those tools read ``f["mu"][:]`` ([D], float64) and ``f["sigma"][:]`` ([D, D], float64, the
unbiased covariance), so gankit writes exactly these two arrays and reads any file that has them.

A file alone cannot tell how its features were made, and FIDs under different resizes or
weights differ by whole points. gankit therefore adds small scalar fields (``protocol``,
``extractor``, ``feature_precision``, ``n``, ``source``; strings and integers, readable without
pickle, ignored by the other tools) and checks them when the file is used: a different protocol
is an error, different weights a warning, and a file without these fields (written by another
tool) a one-line warning that its protocol is unknown.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gankit.atomic import atomic_write_with
from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet
from gankit.metrics.registry import KINDS, Metric

if TYPE_CHECKING:
    from gankit.metrics.extractor import FeatureExtractor

STATS_KEYS = ("mu", "sigma")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class StatsFile:
    """The contents of a statistics file; the protocol fields are None when it lacks them."""

    path: Path
    mu: np.ndarray
    sigma: np.ndarray
    n: int | None = None
    protocol: str | None = None
    extractor: str | None = None
    feature_precision: str | None = None
    source: str | None = None


def is_stats_file(source: object) -> bool:
    """True when ``source`` names an existing ``.npz`` file holding ``mu`` and ``sigma``.

    Only the archive's directory is read, so a large image archive is not loaded to find out.
    """
    if not isinstance(source, (str, os.PathLike)):
        return False
    path = Path(os.fspath(source)).expanduser()
    if path.suffix != ".npz" or not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as archive:
            return all(key in archive.files for key in STATS_KEYS)
    except (OSError, ValueError):
        return False


def _scalar(archive: np.lib.npyio.NpzFile, key: str) -> str | None:
    if key not in archive.files:
        return None
    value = archive[key]
    return str(value.item()) if value.ndim == 0 else None


def read_stats(path: PathLike) -> StatsFile:
    """Load a statistics file (ours or another tool's), checking shapes and values."""
    path = Path(os.fspath(path)).expanduser()
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in STATS_KEYS if key not in archive.files]
            if missing:
                raise MetricError(
                    f"{path} has no {' or '.join(missing)} array, so it is not a FID statistics "
                    "file; write one with `gankit stats SOURCE --out FILE.npz`."
                )
            mu = np.asarray(archive["mu"], dtype=np.float64)
            sigma = np.asarray(archive["sigma"], dtype=np.float64)
            n_text = _scalar(archive, "n")
            fields = {key: _scalar(archive, key) for key in ("protocol", "extractor")}
            precision = _scalar(archive, "feature_precision")
            source = _scalar(archive, "source")
    except (OSError, ValueError) as exc:
        raise MetricError(f"cannot read {path} as a statistics file ({exc}).") from None
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise MetricError(
            f"{path} holds mu of shape {mu.shape} and sigma of shape {sigma.shape}; a statistics "
            "file needs mu [D] and sigma [D, D]."
        )
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise MetricError(f"{path} holds NaN or Inf statistics; recompute the file.")
    n = int(float(n_text)) if n_text is not None else None
    return StatsFile(path, mu, sigma, n, fields["protocol"], fields["extractor"], precision, source)


def write_stats(
    path: PathLike,
    mu: np.ndarray,
    sigma: np.ndarray,
    *,
    n: int,
    protocol: str,
    extractor: str,
    feature_precision: str = "fp32",
    source: str = "",
) -> Path:
    """Write ``mu``/``sigma`` (float64) plus our protocol fields, atomically, as ``.npz``."""
    path = Path(os.fspath(path)).expanduser()
    if path.suffix != ".npz":
        raise MetricError(f"a statistics file must end in .npz, got '{path}'.")
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    sigma = np.ascontiguousarray(sigma, dtype=np.float64)
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
        raise MetricError(
            f"statistics need mu [D] and sigma [D, D], got {mu.shape} and {sigma.shape}."
        )
    fields = {
        "n": np.int64(n),
        "protocol": np.str_(protocol),
        "extractor": np.str_(extractor),
        "feature_precision": np.str_(feature_precision),
        "source": np.str_(source),
    }
    atomic_write_with(path, lambda handle: np.savez(handle, mu=mu, sigma=sigma, **fields))
    return path


class StatsSet(FeatureSet):
    """A :class:`FeatureSet` known only by its statistics: FID works, feature metrics do not.

    ``len()`` is the file's sample count, 0 when the file does not say; ``head()`` returns the
    set itself, since statistics cannot be cut to fewer samples.
    """

    def __init__(self, stats: StatsFile, label: str) -> None:
        empty = np.empty((0, stats.mu.shape[0]), dtype=np.float32)
        super().__init__(empty, label, None, (stats.mu, stats.sigma))
        self.file = stats

    def __len__(self) -> int:
        return self.file.n or 0

    def head(self, n: int | None) -> FeatureSet:
        return self


def load_stats_set(
    path: PathLike, *, protocol: str, extractor_hash: str, feature_precision: str = "fp32"
) -> StatsSet:
    """A statistics file as a :class:`StatsSet`, checked against the protocol of this run.

    A different protocol raises (the numbers would not be comparable); different Inception
    weights or precision warn (the two weight files gankit finds hold the same network, so
    their features agree to rounding); missing protocol fields warn once.
    """
    stats = read_stats(path)
    name = Path(os.fspath(path)).name
    if stats.protocol is None:
        warnings.warn(
            f"{name} has only mu and sigma (written by another tool), so its protocol is "
            f"unknown; its FID is comparable only if it used the {protocol} protocol.",
            UserWarning,
            stacklevel=2,
        )
    elif stats.protocol != protocol:
        raise MetricError(
            f"{name} was computed under protocol {stats.protocol}, this run uses {protocol}; "
            "pass the matching --protocol or recompute the file with `gankit stats`."
        )
    elif stats.extractor is not None and stats.extractor != extractor_hash:
        warnings.warn(
            f"{name} was computed with Inception weights {stats.extractor}, this run uses "
            f"{extractor_hash}; values agree only if both files hold the same network.",
            UserWarning,
            stacklevel=2,
        )
    return StatsSet(stats, os.fspath(path))


def check_stats_usable(metric_names: list[str], label: str, usable: list[str]) -> None:
    """Raise if a metric that needs features is asked for with a statistics file ``label``."""
    bad = [name for name in metric_names if name not in usable]
    if bad:
        raise MetricError(
            f"{', '.join(bad)} need{'s' if len(bad) == 1 else ''} image features, but {label} is "
            f"a statistics file with only mu and sigma; use {' or '.join(usable)} with it, or "
            "pass the images."
        )


def stats_side(
    source: object,
    requested: Sequence[Metric],
    *,
    reference: bool,
    protocol: str,
    extractor_hash: str,
) -> StatsSet | None:
    """``source`` as a :class:`StatsSet` if it is a statistics file, else None.

    Checks first that every requested metric can use statistics on that side (FID can; KID,
    precision/recall and the like need the features themselves), so the user learns this
    before any image is generated.
    """
    if not is_stats_file(source):
        return None
    if reference:
        usable = [name for name, kind in KINDS.items() if kind.ref_stats_ok]
        bad = [m.name for m in requested if m.kind.needs_reference and not m.kind.ref_stats_ok]
    else:
        usable = [name for name, kind in KINDS.items() if kind.gen_stats_ok]
        bad = [m.name for m in requested if not m.kind.gen_stats_ok]
    label = os.fspath(source)  # type: ignore[arg-type]
    check_stats_usable(bad, label, usable)
    return load_stats_set(label, protocol=protocol, extractor_hash=extractor_hash)


def stats_result_fields(stats: StatsSet, prefix: str) -> dict[str, object]:
    """What a result says about a side given as a statistics file: its N (None when the file
    does not say) and, for another tool's file, that its protocol is unknown."""
    fields: dict[str, object] = {f"n_{prefix}": stats.file.n}
    if stats.file.protocol is None:
        fields[f"{prefix}_protocol"] = "unknown"
    return fields


def save_source_stats(
    source: str | os.PathLike[str],
    out: PathLike,
    *,
    n: int | None = None,
    device: str = "cpu",
    precision: str = "fp32",
    extractor: FeatureExtractor | None = None,
    cache_dir: PathLike | None = None,
    data_root: PathLike | None = None,
    progress: bool = False,
    protocol: str = "tf1",
) -> dict[str, object]:
    """``gankit stats``: write the FID statistics of an image source to ``out``.

    ``source`` is anything ``gankit fid`` accepts (folder, ``.npz`` / ``.npy`` images, dataset
    spec; a spec goes through the reference cache in fp32). ``n`` keeps the first
    ``n`` images.
    Returns what was written (path, N, protocol fields) for the command to print.
    """
    from gankit.metrics.cache import reference_features
    from gankit.metrics.evaluate import image_features, load_image_set, looks_like_dataset_spec
    from gankit.metrics.extractor import get_extractor
    from gankit.metrics.fid import warn_if_few
    from gankit.metrics.preprocess import protocol_version

    version = protocol_version(protocol)

    if is_stats_file(source):
        raise MetricError(f"{os.fspath(source)} is already a statistics file; copy it instead.")
    if Path(os.fspath(out)).suffix != ".npz":
        raise MetricError(f"--out must name a .npz file, got '{os.fspath(out)}'.")
    extractor = extractor or get_extractor(device=device)
    label = os.fspath(source)
    if looks_like_dataset_spec(label):
        features = reference_features(
            label,
            n,
            extractor,
            cache_dir=cache_dir,
            data_root=data_root,
            progress=progress,
            protocol=protocol,
        )
        precision = "fp32"
    else:
        images = load_image_set(label, n, data_root=data_root)
        features = image_features(
            images,
            extractor,
            label=label,
            precision=precision,
            progress=progress,
            protocol=protocol,
        )
    if len(features) < 2:
        raise MetricError(f"{label} has {len(features)} image(s); statistics need at least 2.")
    warn_if_few(len(features), "FID against statistics")
    mu, sigma = features.mu_sigma()
    fields = {
        "n": len(features),
        "protocol": version,
        "extractor": extractor.hash,
        "feature_precision": precision,
        "source": label,
    }
    path = write_stats(out, mu, sigma, **fields)  # type: ignore[arg-type]
    return {"out": os.fspath(path), **fields}
