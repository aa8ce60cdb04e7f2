"""Decoded images of a folder, cached on disk so the second load takes seconds, not minutes.

Decoding 50,000 JPEGs costs about a minute on two cores; reading the same pixels back from one
uncompressed ``.npz`` costs well under a second. The cache lives in
``$GANKIT_CACHE/images/<label>-<fingerprint>.npz`` and holds only plain arrays (no pickles).

The fingerprint covers everything that changes the decoded pixels: the reader's kind and
version, its parameters (target size, crop, split, ...) and, for every source file, its path,
size in bytes and modification time in nanoseconds. A changed, added or removed file therefore
gives a new fingerprint and a fresh decode; stale entries of the same label are deleted after
the new one is written, so the cache does not grow with every edit of a folder. Files are
written atomically, so an interrupted write never leaves a half entry. Set
``GANKIT_IMAGE_CACHE=0`` to bypass the cache (always decode, never write).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from gankit.atomic import atomic_write_with
from gankit.cachedir import cache_root

CACHE_VERSION = 1
ENV_SWITCH = "GANKIT_IMAGE_CACHE"

Arrays = dict[str, np.ndarray]


def enabled() -> bool:
    """False when ``GANKIT_IMAGE_CACHE`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def cache_folder() -> Path:
    """``$GANKIT_CACHE/images`` (default ``~/.cache/gankit/images``)."""
    return cache_root() / "images"


def fingerprint(kind: str, files: Sequence[Path], params: Mapping[str, object]) -> str:
    """Hash of the reader kind, its parameters and every file's path, size and mtime.

    ``os.stat`` of 50,000 files takes a fraction of a second, so the check is cheap enough to
    run on every load.
    """
    digest = hashlib.sha256()
    header = {"kind": kind, "version": CACHE_VERSION, "params": params}
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"\n{os.fspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def _label_slug(label: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")[:60]
    return f"{slug}_{hashlib.sha1(label.encode()).hexdigest()[:8]}"


def _read(path: Path) -> Arrays | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing or damaged: decode again
    return arrays or None


def cached_arrays(
    label: str,
    kind: str,
    files: Sequence[Path],
    params: Mapping[str, object],
    decode: Callable[[], Arrays],
) -> Arrays:
    """``decode()``'s arrays, served from the cache when the files have not changed.

    ``label`` names the source (e.g. the folder and split) and groups its entries, so a new
    fingerprint replaces the old entry instead of adding to it. ``decode`` must return a dict
    of plain numpy arrays (no object dtype). A cache folder that cannot be written is reported
    once on stderr and the decoded arrays are returned all the same.
    """
    if not enabled():
        return decode()
    folder = cache_folder()
    slug = _label_slug(label)
    path = folder / f"{slug}-{fingerprint(kind, files, params)}.npz"
    hit = _read(path)
    if hit is not None:
        return hit
    arrays = decode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_with(path, lambda f: np.savez(f, **arrays))
    except OSError as err:
        print(
            f"gankit: warning: could not cache decoded images in {folder} ({err}); the next "
            "load decodes again.",
            file=sys.stderr,
        )
        return arrays
    for stale in folder.glob(f"{slug}-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return arrays
