"""User-facing errors.

Every mistake a user can make (bad path, bad key, missing data, wrong checkpoint) raises a
subclass of :class:`GankitError` whose message is one sentence that names the fix. The CLI
prints that sentence and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations


class GankitError(Exception):
    """Base class for errors caused by user input, printed without a traceback."""

    exit_code = 2


class ConfigError(GankitError):
    """A config file, recipe name, key or value is invalid."""


class DataError(GankitError):
    """A dataset is missing, truncated, corrupt or inconsistent."""


class CheckpointError(GankitError):
    """A checkpoint is missing, corrupt, untrusted or from another architecture."""


class MetricError(GankitError):
    """A metric cannot be computed as asked (no extractor, too few samples, ...)."""


class RunDirError(GankitError):
    """A run directory is missing, or holds another run and would be overwritten."""


class DivergenceError(GankitError):
    """Training produced NaN or Inf values."""
