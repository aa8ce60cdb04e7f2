"""Reader for any folder of images.

A folder whose sub-folders are ``train/`` and ``test/`` (also ``valid/``, and the spellings in
:data:`SPLIT_DIRS`) is one dataset with those splits; any other folder is one split, ``train``
(= ``all``). Inside a split (or the whole folder), two layouts, decided by what it holds:

- class sub-folders (``root/cat/*.png``, ``root/dog/*.png``): each sub-folder that contains
  images (at any depth) is a class, labelled in sorted name order, like torchvision's
  ``ImageFolder``;
- flat (``root/*.png``): unlabelled, ``num_classes`` 0.

All images end up one size: ``image_size`` if given, else the first image's (in sorted order).
Others are centre-cropped to that aspect ratio and resized (antialiased bilinear), so nothing is
stretched; without ``image_size``, every load says on stderr how many images were cut so.
Channels: grey if every image is grey, else RGB (grey images are repeated). Hidden files and
folders are ignored; unreadable files are reported by name. Class names are the
union over all splits, so a class folder missing from ``test/`` does not shift the labels.

Decoded pixels are cached (:mod:`gankit.data.image_cache`), keyed by every file's path, size
and modification time and by the target size, so the second load of a folder takes seconds.

Registered as dataset ``folder`` (``data.root`` is the folder; aliases ``imagefolder``,
``image-folder``, ``images``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from gankit.data.dataset import ImageDataset
from gankit.data.decode import decode_files, load_image, oriented_size, unreadable_error
from gankit.data.image_cache import cached_arrays, fingerprint
from gankit.data.registry import DatasetSpec, Request, SplitRule, build_dataset, register_dataset
from gankit.errors import DataError

EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".webp",
    ".tif",
    ".tiff",
    ".ppm",
    ".pgm",
    ".pbm",
)
SPLIT_DIRS: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "test": ("test", "testing"),
    "valid": ("valid", "val", "validation"),
}


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
            "sub-folders, so it is unclear whether it is labelled; move the loose images into a "
            "class sub-folder, or use a folder with only one layout."
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


def split_folders(root: str | Path) -> dict[str, Path]:
    """``{"train": root/train, "test": root/test, ...}`` when ``root`` is split, else ``{}``.

    A folder is split when it has a ``train`` sub-folder and every other non-hidden entry is a
    split sub-folder too (a class called ``train`` beside ``cat`` and ``dog`` stays a class).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        return {}
    found: dict[str, Path] = {}
    with os.scandir(root) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            split = next(
                (s for s, names in SPLIT_DIRS.items() if entry.name.lower() in names), None
            )
            if split is None or not entry.is_dir() or split in found:
                return {}
            found[split] = Path(entry.path)
    return found if "train" in found else {}


def available_splits(root: str | Path) -> list[str]:
    """The splits a folder offers: its split sub-folders, or ``["train"]`` when it has none."""
    return [s for s in SPLIT_DIRS if s in split_folders(root)] or ["train"]


def scan_split(root: Path, split: str) -> tuple[list[Path], list[int], list[str]]:
    """Paths, labels and class names of ``split`` (``train``, ``test``, ``valid`` or ``all``).

    Labels index the class names of all splits together, so ``train`` and ``test`` agree.
    """
    splits = split_folders(root)
    if not splits:
        if split not in ("train", "all"):
            raise DataError(
                f"Image folder {root} has no {split}/ sub-folder, so it is one split; give a "
                f"folder with train/ and {split}/ sub-folders, or use split 'train'."
            )
        return scan(root)
    if split != "all" and split not in splits:
        raise DataError(
            f"Image folder {root} has no {split}/ sub-folder; its splits are "
            f"{', '.join(s for s in SPLIT_DIRS if s in splits)}."
        )
    scanned = {name: scan(folder) for name, folder in splits.items()}
    layouts = {name: bool(classes) for name, (_, _, classes) in scanned.items()}
    if len(set(layouts.values())) > 1:
        labelled = ", ".join(n for n, has in layouts.items() if has)
        flat = ", ".join(n for n, has in layouts.items() if not has)
        raise DataError(
            f"Image folder {root} has class sub-folders in {labelled} but loose images in "
            f"{flat}; give every split the same layout."
        )
    class_names = sorted({c for _, _, classes in scanned.values() for c in classes})
    index = {name: k for k, name in enumerate(class_names)}
    paths: list[Path] = []
    labels: list[int] = []
    for name in SPLIT_DIRS:
        if name not in scanned or split not in (name, "all"):
            continue
        split_paths, split_labels, split_classes = scanned[name]
        paths.extend(split_paths)
        labels.extend(index[split_classes[k]] if split_classes else 0 for k in split_labels)
    return paths, labels, class_names


def content_fingerprint(root: str | Path, split: str = "train") -> str:
    """Hash of a folder split's file list with every file's size and modification time.

    Caches of anything computed from the split's pixels (decoded images, reference Inception
    features) key on it, so a changed, added or removed file is never served stale.
    """
    paths, _, class_names = scan_split(Path(root).expanduser(), split)
    return fingerprint("folder-content", paths, {"classes": class_names})


def read_folder(
    root: str | Path,
    *,
    split: str = "train",
    image_size: int | tuple[int, int] | None = None,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images uint8 ``[N, C, H, W]``, labels int64 ``[N]`` and class names of a folder split.

    Served from the decoded-image cache when no file changed since the last load.
    """
    root = Path(root).expanduser()
    paths, labels, class_names = scan_split(root, split)
    size: tuple[int, int] | None = None
    if image_size is not None:
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)

    def decode_all() -> dict[str, np.ndarray]:
        images, reshaped = _decode_folder(root, paths, size, workers)
        return {
            "images": images,
            "labels": np.asarray(labels, dtype=np.int64),
            "class_names": np.asarray(class_names, dtype=str),
            "reshaped": np.asarray(reshaped, dtype=np.int64),
        }

    # "sizes": entries made before the count of reshaped images existed are decoded again
    arrays = cached_arrays(
        f"folder:{root.resolve()}:{split}",
        "folder",
        paths,
        {"size": size, "classes": class_names, "sizes": 1},
        decode_all,
    )
    images = arrays["images"]
    reshaped = int(arrays["reshaped"])
    if reshaped:
        # Said on every load (a cached one too): a folder of mixed sizes is legal, but a user
        # scoring or training on it should know that some images were cut.
        print(
            f"gankit: warning: {reshaped:,} of {len(images):,} images in {root} ({split}) "
            f"are not {images.shape[2]}x{images.shape[3]} like the first; they were "
            "centre-cropped to its aspect ratio and resized. Set data.image_size to choose "
            "the size yourself.",
            file=sys.stderr,
        )
    return images, arrays["labels"], [str(c) for c in arrays["class_names"]]


def _decode_folder(
    root: Path, paths: list[Path], size: tuple[int, int] | None, workers: int | None
) -> tuple[np.ndarray, int]:
    """Decode ``paths`` to one uint8 ``[N, C, H, W]`` array (first image fixes the size), and
    count the images cropped and resized to the first one's size (0 when ``size`` was given:
    then resizing is what the user asked for)."""
    fix = "delete or replace them."
    inferred = size is None
    reshaped = np.zeros(len(paths), dtype=bool)

    def decode(path: Path, target: tuple[int, int] | None) -> np.ndarray:
        return load_image(path, size=target, exif=True)

    def decode_counting(index: int, path: Path) -> np.ndarray:
        assert size is not None
        if inferred and oriented_size(path) != (size[1], size[0]):
            reshaped[index] = True
        return decode(path, size)

    if size is None:
        # The first readable image fixes the size of all others.
        first_out, first_failed = decode_files(paths[:1], lambda i, p: decode(p, None), workers=1)
        if first_failed:
            _, rest_failed = decode_files(paths[1:], lambda i, p: decode(p, None), workers=workers)
            raise unreadable_error(root, first_failed + rest_failed, fix)
        first = first_out[0]
        assert first is not None
        size = (first.shape[0], first.shape[1])
    arrays, failed = decode_files(paths, decode_counting, workers=workers)
    if failed:
        raise unreadable_error(root, failed, fix)
    colour = any(a is not None and a.ndim == 3 for a in arrays)
    n = len(arrays)
    out = np.empty((n, 3 if colour else 1, size[0], size[1]), dtype=np.uint8)
    for i, array in enumerate(arrays):
        assert array is not None
        out[i] = array.transpose(2, 0, 1) if array.ndim == 3 else array[None]  # grey -> repeat
        arrays[i] = None  # free as we go
    return out, int(reshaped.sum())


def _root_of(request: Request) -> Path:
    if request.root is None:
        raise DataError(
            "The folder dataset needs a root; set data.root (or --root) to a folder "
            "of images, or one with train/ and test/ sub-folders."
        )
    return request.root


def read_folder_dataset(request: Request) -> ImageDataset:
    """The ``DatasetSpec.read`` of ``folder``: ``request.root`` is the folder."""
    root = _root_of(request)
    images, labels, class_names = read_folder(root, split=request.split, image_size=request.size)
    source = split_folders(root).get(request.split, root)
    return build_dataset(images, labels, class_names, "folder", request.split, source)


def folder_split_rule(request: Request) -> SplitRule:
    """The splits ``gankit data check folder`` verifies, and why."""
    root = _root_of(request)
    splits = available_splits(root)
    if split_folders(root):
        return splits, f"split sub-folders of {root}: {', '.join(splits)}"
    return splits, f"{root} has no train/ and test/ sub-folders, so every image is in train"


SPEC = register_dataset(
    DatasetSpec(
        name="folder",
        splits=("train", "test", "valid", "all"),  # test/valid only in a split folder
        read=read_folder_dataset,
        how_to_get="set data.root (or --root) to a folder of images or of class sub-folders",
        aliases=("imagefolder", "image-folder", "images"),
        locate_by="root",
        check_splits=folder_split_rule,
        description="your own images: data.root, flat or class sub-folders, optional train/ test/",
    )
)
