"""A statistics file standing in for one side of a metric: checked, then used like features.

A file holds only ``mu`` and ``sigma``, so it serves the metrics that need no more (FID, and
FID_inf's reference); the others need the features themselves, and asking for them with a file
is refused before any image is generated. A file measured under another protocol is refused
(the numbers would not be comparable); one computed with other Inception weights warns, and
one written by another tool (no protocol fields) warns that its protocol is unknown.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gankit.errors import MetricError
from gankit.metrics.features import FeatureSet
from gankit.metrics.registry import METRIC_KINDS, Metric, metric_kinds
from gankit.metrics.stats_file import PathLike, StatsFile, is_stats_file, read_stats


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
    if stats.feature_precision is not None and stats.feature_precision != feature_precision:
        # bf16 Inception features read about 1-2% off fp32 ones: comparable to each other, not
        # to a number computed the other way, so the user must know which side is which
        warnings.warn(
            f"{name} holds {stats.feature_precision} Inception features and this run extracts "
            f"{feature_precision} ones; their FID is off by the difference between the two "
            "(about 1-2%). Recompute the file with the same --precision for an exact score.",
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
    feature_precision: str = "fp32",
) -> StatsSet | None:
    """``source`` as a :class:`StatsSet` if it is a statistics file, else None.

    Checks first that every requested metric can use statistics on that side (FID can; KID,
    precision/recall and the like need the features themselves), so the user learns this
    before any image is generated.
    """
    if not is_stats_file(source):
        return None
    if reference:
        usable = [name for name in metric_kinds() if METRIC_KINDS.get(name).ref_stats_ok]
        bad = [m.name for m in requested if m.kind.needs_reference and not m.kind.ref_stats_ok]
    else:
        usable = [name for name in metric_kinds() if METRIC_KINDS.get(name).gen_stats_ok]
        bad = [m.name for m in requested if not m.kind.gen_stats_ok]
    label = os.fspath(source)  # type: ignore[arg-type]
    check_stats_usable(bad, label, usable)
    return load_stats_set(
        label, protocol=protocol, extractor_hash=extractor_hash, feature_precision=feature_precision
    )


def stats_result_fields(stats: StatsSet, prefix: str) -> dict[str, object]:
    """What a result says about a side given as a statistics file: its N (None when the file
    does not say) and, for another tool's file, that its protocol is unknown."""
    fields: dict[str, object] = {f"n_{prefix}": stats.file.n}
    if stats.file.protocol is None:
        fields[f"{prefix}_protocol"] = "unknown"
    return fields
