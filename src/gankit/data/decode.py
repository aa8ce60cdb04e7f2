"""Decoding image files with Pillow, in parallel chunks.

Shared by the CelebA and image-folder readers. Pillow releases the GIL while it decodes and
resizes, so a small thread pool over chunks of files scales on multi-core machines without
the pickling cost of processes. Every file is reduced to a uint8 array (``H x W`` for grey,
``H x W x 3`` for colour) of the requested size as soon as it is decoded, so memory holds only
the final pixels.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from gankit.errors import DataError

GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
CHUNK = 256


def default_workers() -> int:
    """Threads for decoding: the usable cores, capped at 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def normalize_mode(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to ``L`` (grey sources) or ``RGB`` (everything else).

    16-bit and float grey images are scaled to 8 bits instead of clipped; alpha is dropped.
    """
    mode = img.mode
    if mode in ("L", "RGB"):
        return img
    if mode.startswith("I") or mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        scaled = np.clip(np.rint(arr * (255.0 / top)), 0, 255).astype(np.uint8)
        return Image.fromarray(scaled, mode="L")
    if mode in GREY_MODES:
        return img.convert("L")
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    return img.convert("RGB")


def fit_box(width: int, height: int, target_h: int, target_w: int) -> tuple[int, int, int, int]:
    """Centred crop box of ``width x height`` with the target's aspect ratio (no distortion)."""
    if width * target_h == height * target_w:
        return (0, 0, width, height)
    if width * target_h > height * target_w:  # too wide: crop the sides
        new_w = max(1, round(height * target_w / target_h))
        left = (width - new_w) // 2
        return (left, 0, left + new_w, height)
    new_h = max(1, round(width * target_h / target_w))
    top = (height - new_h) // 2
    return (0, top, width, top + new_h)


EXIF_ORIENTATION = 0x0112
_SIDEWAYS = (5, 6, 7, 8)  # orientations that swap width and height


def oriented_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image as :func:`load_image` with ``exif=True`` sees it, read from
    the header alone (no pixel decode)."""
    with Image.open(path) as img:
        width, height = img.size
        if img.getexif().get(EXIF_ORIENTATION) in _SIDEWAYS:
            return height, width
    return width, height


def load_image(
    path: Path,
    *,
    size: tuple[int, int] | None = None,
    crop: int | None = None,
    mode: str | None = None,
    exif: bool = False,
) -> np.ndarray:
    """Decode one file to uint8 ``H x W`` (grey) or ``H x W x 3``.

    ``crop`` first takes a centred square of that side; ``size`` = (H, W) then resizes with
    Pillow's antialiased bilinear filter, cropping centrally to the target aspect ratio first
    so images are never stretched. ``mode`` forces ``"L"`` or ``"RGB"``; otherwise grey stays
    grey. ``exif`` applies the camera orientation tag (photos from phones).
    """
    with Image.open(path) as img:
        img.load()
        if exif:
            img = ImageOps.exif_transpose(img)
        img = normalize_mode(img)
        if mode is not None and img.mode != mode:
            img = img.convert(mode)
        width, height = img.size
        box = (0, 0, width, height)
        if crop is not None:
            side = min(crop, width, height)
            left, top = (width - side) // 2, (height - side) // 2
            box = (left, top, left + side, top + side)
        if size is not None:
            target_h, target_w = size
            bw, bh = box[2] - box[0], box[3] - box[1]
            inner = fit_box(bw, bh, target_h, target_w)
            box = (box[0] + inner[0], box[1] + inner[1], box[0] + inner[2], box[1] + inner[3])
            if box != (0, 0, width, height):
                # Crop first: resize(box=...) would let the filter reach pixels outside the box.
                img = img.crop(box)
            if img.size != (target_w, target_h):
                img = img.resize((target_w, target_h), Image.Resampling.BILINEAR)
        elif box != (0, 0, width, height):
            img = img.crop(box)
        return np.asarray(img, dtype=np.uint8).copy()


def decode_files(
    paths: Sequence[Path],
    decode: Callable[[int, Path], np.ndarray | None],
    *,
    workers: int | None = None,
) -> tuple[list[np.ndarray | None], list[Path]]:
    """Call ``decode(index, path)`` for every path using a thread pool over chunks.

    Returns what ``decode`` returned, in input order (None where decoding failed; a decoder
    that writes into a preallocated array may return None itself), and the failed paths.
    """
    results: list[np.ndarray | None] = [None] * len(paths)
    failed: list[Path] = []

    def run(start: int) -> list[Path]:
        bad = []
        for i in range(start, min(start + CHUNK, len(paths))):
            try:
                results[i] = decode(i, paths[i])
            except Exception:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
                bad.append(paths[i])
        return bad

    starts = range(0, len(paths), CHUNK)
    workers = workers or default_workers()
    if workers <= 1 or len(paths) <= CHUNK:
        for start in starts:
            failed.extend(run(start))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for bad in pool.map(run, starts):
                failed.extend(bad)
    return results, failed


def unreadable_error(root: Path, failed: Sequence[Path], fix: str) -> DataError:
    """DataError naming up to five unreadable files."""
    names = [str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in failed[:5]]
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    noun = "file" if len(failed) == 1 else "files"
    return DataError(
        f"Could not read {len(failed)} image {noun} in {root} ({', '.join(names)}{more}); {fix}"
    )
