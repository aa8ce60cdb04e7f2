"""CelebA reader (aligned-and-cropped JPEGs, ``img_align_celeba``).

Layout (torchvision's, also the official archive's)::

    <root>/celeba/img_align_celeba/000001.jpg ...      (178 x 218 JPEGs)
    <root>/celeba/list_eval_partition.txt              ("000001.jpg 0": 0/1/2 = train/valid/test)
    <root>/celeba/list_attr_celeba.txt                 (count, 40 names, "000001.jpg -1 1 ...")

The annotation files may also sit next to the images, or in the official ``Anno/`` and
``Eval/`` folders. Without the partition file every image is in ``train`` (and ``all``).

Faces are centre-cropped to a 140-pixel square, then resized to 64 pixels: the usual DCGAN
preprocessing, which keeps the face and drops most background. Both are parameters. Labels
are all zero (unconditional); the 40 binary attributes are returned separately when the
attribute file is present.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gankit.data.decode import decode_files, load_image, unreadable_error
from gankit.data.image_cache import cached_arrays
from gankit.errors import DataError

DEFAULT_CROP = 140
DEFAULT_SIZE = 64
PARTITION_FILE = "list_eval_partition.txt"
ATTR_FILE = "list_attr_celeba.txt"
SPLIT_CODES = {"train": 0, "valid": 1, "test": 2}
EXTENSIONS = (".jpg", ".jpeg", ".png")


def list_images(folder: Path) -> list[str]:
    """Sorted image file names directly inside ``folder``."""
    with os.scandir(folder) as entries:
        names = [
            e.name
            for e in entries
            if e.name.lower().endswith(EXTENSIONS) and not e.name.startswith(".") and e.is_file()
        ]
    return sorted(names)


def has_images(folder: Path) -> bool:
    """Whether ``folder`` directly contains at least one JPEG/PNG file."""
    with os.scandir(folder) as entries:
        return any(e.name.lower().endswith(EXTENSIONS) and e.is_file() for e in entries)


def find_annotation(image_dir: Path, filename: str) -> Path | None:
    """Where ``filename`` sits relative to the image folder, if anywhere."""
    parent = image_dir.parent
    for folder in (parent, image_dir, parent / "Anno", parent / "Eval",
                   parent.parent / "Anno", parent.parent / "Eval"):
        path = folder / filename
        if path.is_file():
            return path
    return None


def read_partition(path: Path) -> dict[str, int]:
    """File name -> split code (0 train, 1 valid, 2 test)."""
    out: dict[str, int] = {}
    for number, line in enumerate(_read_lines(path), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise DataError(
                f"{path} line {number} is not '<file> <0|1|2>'; replace it with the original "
                "list_eval_partition.txt."
            )
        out[parts[0]] = int(parts[1])
    return out


def read_attributes(path: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    """Attribute names and file name -> int8 vector of 0/1 (from the file's -1/1)."""
    lines = _read_lines(path)
    fix = "replace it with the original list_attr_celeba.txt."
    if len(lines) < 2:
        raise DataError(f"{path} is missing its header lines; {fix}")
    names = lines[1].split()
    table: dict[str, np.ndarray] = {}
    for number, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(names) + 1:
            raise DataError(
                f"{path} line {number} has {len(parts) - 1} values for {len(names)} attributes; "
                f"{fix}"
            )
        try:
            values = np.array([int(v) for v in parts[1:]], dtype=np.int8)
        except ValueError as exc:
            raise DataError(f"{path} line {number} has a non-integer value; {fix}") from exc
        table[parts[0]] = (values > 0).astype(np.int8)
    return names, table


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise DataError(f"Cannot read {path} ({exc}); check the file and its permissions.") from exc


def split_names(image_dir: Path, split: str) -> list[str]:
    """Image file names belonging to ``split`` ("train", "valid", "test" or "all")."""
    present = list_images(image_dir)
    partition_path = find_annotation(image_dir, PARTITION_FILE)
    if partition_path is None:
        if split in ("train", "all"):
            return present
        raise DataError(
            f"CelebA split '{split}' needs {PARTITION_FILE} next to {image_dir}; add that file "
            "or use split 'train' (all images)."
        )
    partition = read_partition(partition_path)
    if split == "all":
        wanted = sorted(partition)
    else:
        code = SPLIT_CODES[split]
        wanted = sorted(name for name, c in partition.items() if c == code)
    present_set = set(present)
    missing = [name for name in wanted if name not in present_set]
    if missing:
        raise DataError(
            f"{partition_path} lists {len(missing)} images of split '{split}' that are not in "
            f"{image_dir} (e.g. {missing[0]}); extract img_align_celeba.zip completely or "
            "remove the partition file."
        )
    return wanted


def read_split(
    image_dir: Path,
    split: str,
    *,
    image_size: int | tuple[int, int] | None = DEFAULT_SIZE,
    crop: int | None = DEFAULT_CROP,
    workers: int | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Decode ``split`` to uint8 ``[N, 3, H, W]``; also attribute names and ``[N, 40]`` 0/1.

    ``image_size`` None keeps the cropped size; an int means a square. The decoded split is
    cached (:mod:`gankit.data.image_cache`): a second load with unchanged files, crop and size
    reads one array instead of decoding 200,000 JPEGs again.
    """
    names = split_names(image_dir, split)
    if not names:
        raise DataError(f"CelebA split '{split}' in {image_dir} is empty; check the folder.")
    size = None
    if image_size is not None:
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    paths = [image_dir / name for name in names]
    attr_path = find_annotation(image_dir, ATTR_FILE)
    sources = [*paths, attr_path] if attr_path is not None else paths

    def decode_all() -> dict[str, np.ndarray]:
        images = _decode_split(image_dir, paths, size, crop, workers)
        attr_names: list[str] = []
        attrs = np.zeros((0, 0), dtype=np.int8)
        if attr_path is not None:
            attr_names, table = read_attributes(attr_path)
            if all(name in table for name in names):
                attrs = np.stack([table[name] for name in names])
        return {"images": images, "attr_names": np.asarray(attr_names, dtype=str),
                "attrs": attrs}

    arrays = cached_arrays(f"celeba:{image_dir.resolve()}:{split}", "celeba", sources,
                           {"size": size, "crop": crop}, decode_all)
    attrs_out = arrays["attrs"] if len(arrays["attrs"]) else None
    return arrays["images"], [str(a) for a in arrays["attr_names"]], attrs_out


def _decode_split(image_dir: Path, paths: list[Path], size: tuple[int, int] | None,
                  crop: int | None, workers: int | None) -> np.ndarray:
    """Decode, crop and resize ``paths`` into one preallocated ``[N, 3, H, W]`` array."""

    def decode(path: Path) -> np.ndarray:
        return load_image(path, size=size, crop=crop, mode="RGB")

    # Decode the first image alone to learn the output shape, then fill one preallocated
    # [N, 3, H, W] array in parallel chunks, so peak memory is the dataset itself.
    first_out, failed = decode_files(paths[:1], lambda i, p: decode(p), workers=1)
    if failed:
        raise unreadable_error(image_dir, failed, "re-extract them from img_align_celeba.zip.")
    first = first_out[0]
    assert first is not None
    height, width = first.shape[:2]
    images = np.empty((len(paths), 3, height, width), dtype=np.uint8)
    images[0] = first.transpose(2, 0, 1)
    wrong_size: list[Path] = []

    def decode_into(index: int, path: Path) -> None:
        array = decode(path)
        if array.shape[:2] != (height, width):
            wrong_size.append(path)
            return
        images[index + 1] = array.transpose(2, 0, 1)

    _, failed = decode_files(paths[1:], decode_into, workers=workers)
    if failed:
        raise unreadable_error(image_dir, failed, "re-extract them from img_align_celeba.zip.")
    if wrong_size:
        raise DataError(
            f"{len(wrong_size)} CelebA images in {image_dir} (e.g. {wrong_size[0].name}) are "
            f"smaller than the {height}x{width} crop; set data.image_size to resize them all."
        )
    return images
