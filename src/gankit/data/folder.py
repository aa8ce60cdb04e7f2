"""Reader for any folder of images.

Two layouts, decided by what the folder holds:

- class sub-folders (``root/cat/*.png``, ``root/dog/*.png``): each sub-folder that contains
  images (at any depth) is a class, labelled in sorted name order, like torchvision's
  ``ImageFolder``;
- flat (``root/*.png``): unlabelled, ``num_classes`` 0.

All images end up one size: ``image_size`` if given, else the first image's (in sorted order).
Others are centre-cropped to that aspect ratio and resized (antialiased bilinear), so nothing is
stretched. Channels: grey if every image is grey, else RGB (grey images are repeated). Hidden
files and folders are ignored; unreadable files are reported by name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gankit.data.decode import decode_files, load_image, unreadable_error
from gankit.errors import DataError

EXTENSIONS = (
    ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm",
)


def _is_image(name: str) -> bool:
    return name.lower().endswith(EXTENSIONS) and not name.startswith(".")


def _images_below(folder: Path) -> list[Path]:
    """Every image file under ``folder`` (recursively, hidden entries skipped), sorted."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames) if _is_image(f))
    return found


def scan(root: Path) -> tuple[list[Path], list[int], list[str]]:
    """Image paths, their labels and the class names (empty when the folder is flat)."""
    if not root.is_dir():
        raise DataError(f"Image folder {root} does not exist; set data.root to a folder of images.")
    with os.scandir(root) as entries:
        entries_sorted = sorted(entries, key=lambda e: e.name)
    top_files = [Path(e.path) for e in entries_sorted if e.is_file() and _is_image(e.name)]
    classes: list[tuple[str, list[Path]]] = []
    for entry in entries_sorted:
        if entry.is_dir() and not entry.name.startswith("."):
            files = _images_below(Path(entry.path))
            if files:
                classes.append((entry.name, files))
    if classes and top_files:
        raise DataError(
            f"{root} mixes {len(top_files)} loose images (e.g. {top_files[0].name}) with class "
            "sub-folders; move the loose images into a class sub-folder or point data.root at "
            "a folder with only one layout."
        )
    if classes:
        paths = [p for _, files in classes for p in files]
        labels = [k for k, (_, files) in enumerate(classes) for _ in files]
        return paths, labels, [name for name, _ in classes]
    if not top_files:
        raise DataError(
            f"No images ({', '.join(EXTENSIONS[:5])}, ...) found in {root}; set data.root to a "
            "folder of images or of class sub-folders."
        )
    return top_files, [0] * len(top_files), []


def read_folder(
    root: str | Path,
    *,
    image_size: int | tuple[int, int] | None = None,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images uint8 ``[N, C, H, W]``, labels int64 ``[N]`` and class names of a folder."""
    root = Path(root).expanduser()
    paths, labels, class_names = scan(root)
    size: tuple[int, int] | None = None
    if image_size is not None:
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    fix = "delete or replace them."

    def decode(path: Path, target: tuple[int, int] | None) -> np.ndarray:
        return load_image(path, size=target, exif=True)

    if size is None:
        # The first readable image fixes the size of all others.
        first_out, first_failed = decode_files(paths[:1], lambda i, p: decode(p, None), workers=1)
        if first_failed:
            _, rest_failed = decode_files(paths[1:], lambda i, p: decode(p, None), workers=workers)
            raise unreadable_error(root, first_failed + rest_failed, fix)
        first = first_out[0]
        assert first is not None
        size = (first.shape[0], first.shape[1])
    arrays, failed = decode_files(paths, lambda i, p: decode(p, size), workers=workers)
    if failed:
        raise unreadable_error(root, failed, fix)
    colour = any(a is not None and a.ndim == 3 for a in arrays)
    n = len(arrays)
    out = np.empty((n, 3 if colour else 1, size[0], size[1]), dtype=np.uint8)
    for i, array in enumerate(arrays):
        assert array is not None
        out[i] = array.transpose(2, 0, 1) if array.ndim == 3 else array[None]  # grey -> repeat
        arrays[i] = None  # free as we go
    return out, np.asarray(labels, dtype=np.int64), class_names
