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
tool) a one-line warning that its protocol is unknown (those checks, where a file stands in for
one side of a metric, are :mod:`gankit.metrics.stats_sets`'s; this module only reads and writes
the format).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gankit.atomic import atomic_write_with
from gankit.errors import MetricError

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
