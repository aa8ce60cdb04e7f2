"""CelebA reader (aligned-and-cropped JPEGs, ``img_align_celeba``), dataset ``celeba``.

Layouts found under ``data.root`` = DIR (the first that holds JPEGs wins)::

    DIR/celeba/img_align_celeba/000001.jpg ...   torchvision's layout
    DIR/img_align_celeba/000001.jpg ...          the official img_align_celeba.zip extracted in DIR
    DIR/celeba/000001.jpg, DIR/celebA/...        a plain folder of aligned JPEGs inside DIR
    DIR/000001.jpg ...                           DIR itself is the folder of aligned JPEGs

``list_eval_partition.txt`` ("000001.jpg 0": 0/1/2 = train/valid/test) and
``list_attr_celeba.txt`` (count, 40 names, "000001.jpg -1 1 ...") may sit next to the image
folder, inside it, or in the official ``Anno/`` and ``Eval/`` folders.

Splits: with the partition file, the official train / valid / test. Without it (a partial
copy, such as the first 10,000 images), the last :data:`HELD_OUT` images in file-name order
(a tenth of them when there are fewer than 10,000) are held out as ``test`` and the rest are
``train``; ``valid`` then does not exist. ``gankit data check celeba`` says which rule applied.

Faces are centre-cropped to a 140-pixel square of the 178 x 218 original (the usual DCGAN
preprocessing, which keeps the face and drops most background), then resized to 64 pixels. A
copy stored at another scale (e.g. 89 x 109, half size) gets the same crop scaled to its width,
so it shows the same part of each face; images of another shape are only resized. Labels are
all zero (unconditional); the 40 binary attributes are returned separately when the attribute
file is present. Decoded splits are cached (:mod:`gankit.data.image_cache`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit.data.dataset import ImageDataset
from gankit.data.decode import decode_files, load_image, unreadable_error
from gankit.data.image_cache import cached_arrays
from gankit.data.registry import (
    DatasetSpec,
    Request,
    SplitRule,
    build_dataset,
    register_dataset,
    required_folder,
)
from gankit.errors import DataError

DEFAULT_CROP = 140
DEFAULT_SIZE = 64
ALIGNED_SIZE = (178, 218)  # width, height of the official img_align_celeba images
HELD_OUT = 1000  # test images held out when there is no partition file
CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
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
    for folder in (
        parent,
        image_dir,
        parent / "Anno",
        parent / "Eval",
        parent.parent / "Anno",
        parent.parent / "Eval",
    ):
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


def held_out_count(n: int) -> int:
    """Test images held out of ``n`` when there is no partition file: :data:`HELD_OUT`, or a
    tenth of the images when there are fewer than ten times that many."""
    return min(HELD_OUT, n // 10)


def split_names(image_dir: Path, split: str) -> list[str]:
    """Image file names belonging to ``split`` ("train", "valid", "test" or "all")."""
    present = list_images(image_dir)
    partition_path = find_annotation(image_dir, PARTITION_FILE)
    if partition_path is None:
        return _held_out_split(image_dir, present, split)
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


def _held_out_split(image_dir: Path, present: list[str], split: str) -> list[str]:
    """``split`` of a copy without partition file: the last images (by name) are the test."""
    if split == "all":
        return present
    if split == "valid":
        raise DataError(
            f"CelebA split 'valid' needs {PARTITION_FILE} next to {image_dir}; add that file or "
            "use split 'train' or 'test' (the last images held out)."
        )
    held = held_out_count(len(present))
    if held == 0 and split == "test":
        raise DataError(
            f"{image_dir} has {len(present)} CelebA images, too few to hold out a test split "
            f"(it takes at least 10); add images or {PARTITION_FILE}."
        )
    return present[len(present) - held :] if split == "test" else present[: len(present) - held]


def split_rule(image_dir: Path) -> SplitRule:
    """The splits a copy offers and one sentence saying where they come from."""
    partition_path = find_annotation(image_dir, PARTITION_FILE)
    if partition_path is not None:
        return ["train", "valid", "test"], f"official partition from {partition_path}"
    present = list_images(image_dir)
    held = held_out_count(len(present))
    if held == 0:
        return ["train"], (
            f"no {PARTITION_FILE} and only {len(present)} images: all are train, none held out"
        )
    first, last = present[len(present) - held], present[-1]
    return ["train", "test"], (
        f"no {PARTITION_FILE}: the last {held} of {len(present)} images by file name "
        f"({first}..{last}) are held out as test, the other {len(present) - held} are train"
    )


def crop_side(width: int, height: int, crop: int | None) -> int | None:
    """``crop`` (a side in pixels of the 178 x 218 original) at this copy's scale, or None
    when the image does not have the aligned images' shape (then it is only resized)."""
    if crop is None:
        return None
    aligned_w, aligned_h = ALIGNED_SIZE
    if abs(width * aligned_h - height * aligned_w) > 0.02 * aligned_w * height:
        return None
    return max(1, round(crop * width / aligned_w))


def read_split(
    image_dir: Path,
    split: str,
    *,
    image_size: int | tuple[int, int] | None = DEFAULT_SIZE,
    crop: int | None = DEFAULT_CROP,
    workers: int | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Decode ``split`` to uint8 ``[N, 3, H, W]``; also attribute names and ``[N, 40]`` 0/1.

    ``image_size`` None keeps the cropped size; an int means a square. ``crop`` is the side
    of the centre square in the 178 x 218 original (see :func:`crop_side`). The decoded split
    is cached (:mod:`gankit.data.image_cache`): a second load with unchanged files, crop and
    size reads one array instead of decoding 200,000 JPEGs again.
    """
    names = split_names(image_dir, split)
    if not names:
        raise DataError(f"CelebA split '{split}' in {image_dir} is empty; check the folder.")
    size = None
    if image_size is not None:
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    paths = [image_dir / name for name in names]
    with Image.open(paths[0]) as first:  # header only: the crop at this copy's scale
        side = crop_side(first.width, first.height, crop)
    attr_path = find_annotation(image_dir, ATTR_FILE)
    partition_path = find_annotation(image_dir, PARTITION_FILE)
    sources = [*paths, *(p for p in (attr_path, partition_path) if p is not None)]

    def decode_all() -> dict[str, np.ndarray]:
        images = _decode_split(image_dir, paths, size, side, workers)
        attr_names: list[str] = []
        attrs = np.zeros((0, 0), dtype=np.int8)
        if attr_path is not None:
            attr_names, table = read_attributes(attr_path)
            if all(name in table for name in names):
                attrs = np.stack([table[name] for name in names])
        return {"images": images, "attr_names": np.asarray(attr_names, dtype=str), "attrs": attrs}

    arrays = cached_arrays(
        f"celeba:{image_dir.resolve()}:{split}",
        "celeba",
        sources,
        {"size": size, "crop": side},
        decode_all,
    )
    attrs_out = arrays["attrs"] if len(arrays["attrs"]) else None
    return arrays["images"], [str(a) for a in arrays["attr_names"]], attrs_out


def _decode_split(
    image_dir: Path,
    paths: list[Path],
    size: tuple[int, int] | None,
    crop: int | None,
    workers: int | None,
) -> np.ndarray:
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


def read_celeba(request: Request) -> ImageDataset:
    """The ``DatasetSpec.read`` of CelebA: 64 px faces unless ``data.image_size`` says."""
    image_dir = required_folder(request)
    images, attr_names, attrs = read_split(
        image_dir, request.split, image_size=request.size or DEFAULT_SIZE
    )
    dataset = build_dataset(images, None, [], "celeba", request.split, image_dir)
    if attrs is not None:
        dataset.attributes = torch.from_numpy(attrs)
        dataset.attribute_names = attr_names
    return dataset


HOW_TO_GET = (
    "CelebA cannot be downloaded automatically (it is on Google Drive behind a confirmation "
    "page): download img_align_celeba.zip (Align&Cropped Images) and, for the official "
    f"splits, {PARTITION_FILE} from {CELEBA_PAGE}, extract the zip into DIR so that "
    "DIR/img_align_celeba/000001.jpg exists (or put the aligned JPEGs directly in DIR), then "
    "pass --root DIR"
)

SPEC = register_dataset(
    DatasetSpec(
        name="celeba",
        splits=("train", "valid", "test", "all"),
        read=read_celeba,
        how_to_get=HOW_TO_GET,
        aliases=("celeb-a", "celeba-64"),
        subdirs=(
            "celeba/img_align_celeba",
            "img_align_celeba",
            "CelebA/img_align_celeba",
            "CelebA/Img/img_align_celeba",
            "celeba",
            "celebA",
            "CelebA",
        ),
        is_complete=lambda folder, split: has_images(folder),
        check_splits=lambda request: split_rule(required_folder(request)),
        description="aligned faces, 64 px colour (official partition or the last images held out)",
    )
)
