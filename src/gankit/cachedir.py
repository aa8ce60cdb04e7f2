"""Where gankit keeps what it computes once and reuses: ``$GANKIT_CACHE`` or ``~/.cache/gankit``.

One function so that the Inception weights, reference statistics, classifiers and decoded
images (data below metrics in the layering) always agree on the folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$GANKIT_CACHE``, or ``~/.cache/gankit`` when unset."""
    env = os.environ.get("GANKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gankit"
