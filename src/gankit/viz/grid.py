"""Sample grids: many small images tiled into one picture, saved as PNG.

The tiling is our own vectorised numpy reshape (no torchvision): pad every image on its
bottom/right edge, lay the batch out as ``[rows, cols, H, W, C]``, fold that into one image and
add the top/left border. Labelled variants (class rows, scores) draw text with Pillow.

Inputs are uint8 ``[N, C, H, W]`` (torch tensor or numpy array, C = 1 or 3). Float input is
taken as generator output in [-1, 1] and quantised exactly as a saved PNG would be, so callers
can pass either.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gankit.atomic import atomic_write_with

PadValue = int | Sequence[int]


def as_uint8_nchw(images: Any) -> np.ndarray:
    """Return ``images`` as a uint8 numpy array ``[N, C, H, W]``.

    Accepts torch tensors (any device) or numpy arrays, ``[N, C, H, W]`` or channel-less
    ``[N, H, W]``. Float arrays are assumed to be generator output in [-1, 1].
    """
    if hasattr(images, "detach"):  # torch tensor, imported lazily to keep this module light
        images = images.detach().cpu().numpy()
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"expected images [N, C, H, W], got shape {tuple(arr.shape)}")
    if arr.shape[1] not in (1, 3, 4) and arr.shape[-1] in (1, 3, 4):
        raise ValueError(
            f"images look channels-last {tuple(arr.shape)}; "
            "pass [N, C, H, W] (e.g. x.permute(0, 3, 1, 2))"
        )
    if np.issubdtype(arr.dtype, np.floating):
        arr = np.clip(np.rint((arr.astype(np.float64) + 1.0) * 127.5), 0, 255)
    return np.ascontiguousarray(arr.astype(np.uint8, copy=False))


def _pad_color(pad_value: PadValue, channels: int) -> np.ndarray:
    color = np.asarray(pad_value, dtype=np.int64).reshape(-1)
    if color.size == 1:
        color = np.repeat(color, channels)
    if color.size != channels:
        raise ValueError(f"pad_value has {color.size} components for {channels}-channel images")
    return np.clip(color, 0, 255).astype(np.uint8)


def make_grid_uint8(
    images_uint8: Any, nrow: int | None = None, padding: int = 2, pad_value: PadValue = 0
) -> np.ndarray:
    """Tile ``[N, C, H, W]`` images into one ``[H', W', C]`` uint8 array.

    ``nrow`` is the number of images per row (torchvision's meaning; default: a near-square
    grid). The result is ``rows * (H + padding) + padding`` by ``nrow * (W + padding) + padding``
    with ``rows = ceil(N / nrow)``; empty trailing cells are filled with ``pad_value``.
    """
    imgs = as_uint8_nchw(images_uint8)
    n, c, h, w = imgs.shape
    if nrow is None:
        nrow = max(1, math.ceil(math.sqrt(n)))
    if nrow < 1 or padding < 0:
        raise ValueError("nrow must be >= 1 and padding >= 0")
    cols = min(nrow, n) if n else 1
    rows = max(1, math.ceil(n / cols)) if n else 1
    color = _pad_color(pad_value, c)
    cell = np.empty((rows * cols, h + padding, w + padding, c), dtype=np.uint8)
    cell[...] = color
    cell[:n, :h, :w, :] = imgs.transpose(0, 2, 3, 1)
    body = cell.reshape(rows, cols, h + padding, w + padding, c).transpose(0, 2, 1, 3, 4)
    body = body.reshape(rows * (h + padding), cols * (w + padding), c)
    out = np.empty((body.shape[0] + padding, body.shape[1] + padding, c), dtype=np.uint8)
    out[...] = color
    out[padding:, padding:] = body
    return out


def to_pil(grid_hwc: np.ndarray) -> Image.Image:
    """Wrap an ``[H, W, C]`` uint8 array (C = 1, 3 or 4) as a Pillow image."""
    if grid_hwc.shape[2] == 1:
        return Image.fromarray(grid_hwc[:, :, 0], mode="L")
    return Image.fromarray(grid_hwc, mode="RGB" if grid_hwc.shape[2] == 3 else "RGBA")


def save_png(image: Image.Image, path: str | os.PathLike[str]) -> Path:
    """Write ``image`` as PNG atomically and return the path."""
    target = Path(path)
    atomic_write_with(target, lambda buf: image.save(buf, format="PNG", optimize=False))
    return target


def save_grid(
    images_uint8: Any,
    path: str | os.PathLike[str],
    nrow: int | None = None,
    *,
    padding: int = 2,
    pad_value: PadValue = 0,
) -> Path:
    """Tile ``images_uint8`` with :func:`make_grid_uint8` and save it as a PNG (atomically)."""
    return save_png(to_pil(make_grid_uint8(images_uint8, nrow, padding, pad_value)), path)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _text_size(draw: ImageDraw.ImageDraw, text: str, font: Any) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    return math.ceil(right - left), math.ceil(bottom - top)


def _upscale(imgs: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale so labels stay legible next to 28-pixel images."""
    if factor <= 1:
        return imgs
    return imgs.repeat(factor, axis=2).repeat(factor, axis=3)


def _to_rgb(imgs: np.ndarray) -> np.ndarray:
    return imgs.repeat(3, axis=1) if imgs.shape[1] == 1 else imgs[:, :3]


def make_class_grid(
    images: Any,
    labels: Any,
    num_classes: int,
    per_class: int,
    *,
    class_names: Sequence[str] | None = None,
    padding: int = 2,
    pad_value: PadValue = 0,
    scale: int = 1,
) -> np.ndarray:
    """One row per class: the first ``per_class`` images whose label is that class.

    Classes with fewer images leave their remaining cells blank (``pad_value``). With
    ``class_names`` the rows get a white left margin holding each name, and the result is RGB.
    """
    imgs = _upscale(as_uint8_nchw(images), scale)
    labs = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels).reshape(-1)
    if labs.shape[0] != imgs.shape[0]:
        raise ValueError(f"{imgs.shape[0]} images but {labs.shape[0]} labels")
    if num_classes < 1 or per_class < 1:
        raise ValueError("num_classes and per_class must be >= 1")
    _, c, h, w = imgs.shape
    slots = np.zeros((num_classes * per_class, c, h, w), dtype=np.uint8)
    slots[...] = _pad_color(pad_value, c)[None, :, None, None]
    for k in range(num_classes):
        idx = np.flatnonzero(labs == k)[:per_class]
        slots[k * per_class : k * per_class + idx.size] = imgs[idx]
    if class_names is None:
        return make_grid_uint8(slots, per_class, padding, pad_value)
    grid = make_grid_uint8(_to_rgb(slots), per_class, padding, _rgb_pad(pad_value, c))
    return _add_row_labels(grid, [str(name) for name in class_names][:num_classes], h, padding)


def _rgb_pad(pad_value: PadValue, channels: int) -> np.ndarray:
    color = _pad_color(pad_value, channels)
    return np.repeat(color, 3) if color.size == 1 else color[:3]


def _add_row_labels(grid: np.ndarray, names: list[str], cell_h: int, padding: int) -> np.ndarray:
    font = _font(max(10, min(18, int(cell_h * 0.45))))
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max((_text_size(probe, name, font)[0] for name in names), default=0) + 8
    canvas = Image.new("RGB", (grid.shape[1] + width, grid.shape[0]), "white")
    canvas.paste(Image.fromarray(grid, mode="RGB"), (width, 0))
    draw = ImageDraw.Draw(canvas)
    for row, name in enumerate(names):
        text_h = _text_size(draw, name, font)[1]
        top = padding + row * (cell_h + padding) + (cell_h - text_h) // 2
        draw.text((4, top), name, fill=(0, 0, 0), font=font, anchor="lt")
    return np.asarray(canvas)


def save_class_grid(
    images: Any,
    labels: Any,
    num_classes: int,
    per_class: int,
    path: str | os.PathLike[str],
    *,
    class_names: Sequence[str] | None = None,
    padding: int = 2,
    pad_value: PadValue = 0,
    scale: int = 1,
) -> Path:
    """Save :func:`make_class_grid` as a PNG (atomically); one row per class."""
    grid = make_class_grid(
        images,
        labels,
        num_classes,
        per_class,
        class_names=class_names,
        padding=padding,
        pad_value=pad_value,
        scale=scale,
    )
    return save_png(to_pil(grid), path)


def best_k_indices(
    scores: Any, k: int | None = None, *, higher_is_better: bool = True
) -> np.ndarray:
    """Indices of the ``k`` best scores, best first (NaN scores rank last)."""
    vals = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores, np.float64)
    vals = vals.reshape(-1)
    key = np.where(np.isnan(vals), -np.inf, vals if higher_is_better else -vals)
    order = np.argsort(-key, kind="stable")
    return order if k is None else order[:k]


def make_scored_grid(
    images: Any,
    scores: Any,
    *,
    k: int | None = None,
    nrow: int | None = None,
    higher_is_better: bool = True,
    fmt: str = "{:.3f}",
    padding: int = 2,
) -> np.ndarray:
    """RGB grid of the best ``k`` images (best first), each score written under its image."""
    imgs = as_uint8_nchw(images)
    order = best_k_indices(scores, k, higher_is_better=higher_is_better)
    if order.size and order.max() >= imgs.shape[0]:
        raise ValueError(f"{imgs.shape[0]} images but more scores")
    flat = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores).reshape(-1)
    texts = [fmt.format(float(flat[i])) for i in order]
    chosen = imgs[order]
    font = _font(11)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_w = max((_text_size(probe, t, font)[0] for t in texts), default=0)
    text_h = _text_size(probe, "0.9g", font)[1] + 4
    chosen = _to_rgb(_upscale(chosen, max(1, math.ceil((text_w + 2) / max(1, imgs.shape[3])))))
    n, _, h, w = chosen.shape
    band = np.full((n, 3, text_h, w), 255, dtype=np.uint8)
    cells = np.concatenate([chosen, band], axis=2)
    cols = nrow or max(1, math.ceil(math.sqrt(max(n, 1))))
    grid = make_grid_uint8(cells, cols, padding, 255)
    canvas = Image.fromarray(grid, mode="RGB")
    draw = ImageDraw.Draw(canvas)
    for i, text in enumerate(texts):
        row, col = divmod(i, cols)
        x = padding + col * (w + padding) + w // 2
        y = padding + row * (h + text_h + padding) + h + 2
        draw.text((x, y), text, fill=(0, 0, 0), font=font, anchor="mt")
    return np.asarray(canvas)


def save_scored_grid(
    images: Any,
    scores: Any,
    path: str | os.PathLike[str],
    *,
    k: int | None = None,
    nrow: int | None = None,
    higher_is_better: bool = True,
    fmt: str = "{:.3f}",
) -> Path:
    """Save :func:`make_scored_grid` (best-``k`` images with their scores) as a PNG."""
    grid = make_scored_grid(
        images, scores, k=k, nrow=nrow, higher_is_better=higher_is_better, fmt=fmt
    )
    return save_png(to_pil(grid), path)
