"""An image set to score, from wherever it is: a folder, a ``.npz`` / ``.npy`` file, an array or
a dataset spec, always as uint8 ``[N, C, H, W]``.

Folders are read by :func:`gankit.data.folder.read_folder`, the reader training uses: the same
image extensions, a threaded decode and the decoded-image cache (a second score of one folder
decodes nothing). Every image of the folder is read in any of the layouts training reads (flat,
class sub-folders, or train/test splits; loose images beside class sub-folders are refused, as
for training, since one of the two is usually a mistake); images of another size than the first
are centre-cropped and resized to it, as for training.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from gankit.data.folder import EXTENSIONS, read_folder
from gankit.errors import DataError, MetricError
from gankit.metrics.splits import load_split_images, subset_order

ARRAY_KEYS = ("images", "x", "arr_0")


def _array_to_nchw(array: np.ndarray, source: str) -> torch.Tensor:
    """uint8 NHWC / NCHW / NHW array -> contiguous uint8 ``[N, C, H, W]`` with C in (1, 3)."""
    if array.dtype != np.uint8:
        integer = np.issubdtype(array.dtype, np.integer)
        if integer and array.size and 0 <= array.min() <= array.max() <= 255:
            array = array.astype(np.uint8)
        else:
            raise MetricError(
                f"{source} holds {array.dtype} values; save images as uint8 in [0, 255] "
                "(e.g. ((x + 1) * 127.5).round().astype('uint8'))."
            )
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise MetricError(
            f"{source} has shape {array.shape}; expected [N, H, W, C], [N, C, H, W] or [N, H, W]."
        )
    channels_first = array.shape[1] in (1, 3, 4)
    channels_last = array.shape[3] in (1, 3, 4)
    if channels_last and not (channels_first and array.shape[3] > array.shape[1]):
        array = array.transpose(0, 3, 1, 2)
    elif not channels_first:
        raise MetricError(
            f"{source} has shape {array.shape}: no axis of size 1 or 3 for the colour channels."
        )
    if array.shape[1] == 4:
        array = array[:, :3]  # drop alpha
    if len(array) == 0:
        raise MetricError(f"{source} holds no images.")
    return torch.from_numpy(np.ascontiguousarray(array))


def _read_array_file(path: Path) -> np.ndarray:
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if not names:
                raise MetricError(f"{path} holds no arrays; save the images with np.savez.")
            key = next((k for k in ARRAY_KEYS if k in names), names[0])
            return archive[key]
    except (OSError, ValueError) as exc:
        raise MetricError(f"cannot read {path} as a NumPy array file ({exc}).") from None


def _read_folder(folder: Path) -> np.ndarray:
    """Every image below ``folder`` as uint8 ``[N, C, H, W]``, through the data reader."""
    walk = os.walk(folder, followlinks=True)
    if not any(name.lower().endswith(EXTENSIONS) for _, _, names in walk for name in names):
        raise MetricError(
            f"{folder} contains no images ({', '.join(EXTENSIONS)}); point at a folder of "
            "image files."
        )
    try:
        images, _, _ = read_folder(folder, split="all")
    except DataError as exc:
        raise MetricError(f"cannot score the images in {folder}: {exc}") from None
    return images


def looks_like_dataset_spec(arg: str) -> bool:
    """True for ``name`` / ``name:split`` strings that are not an existing path."""
    if Path(arg).exists() or arg.endswith((".npz", ".npy")):
        return False
    name = arg.split(":", 1)[0]
    return bool(name) and "/" not in name and os.sep not in name


def load_image_set(
    source: str | os.PathLike[str] | np.ndarray | torch.Tensor,
    n: int | None = None,
    *,
    data_root: str | os.PathLike[str] | None = None,
    shuffle_folder: bool = False,
) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` images from a folder, ``.npz`` / ``.npy`` file, array or dataset spec.

    Arrays may be NHWC, NCHW or NHW, grey or RGB(A); ``.npz`` files use the array named
    ``images``, ``x`` or ``arr_0``, else the first one. ``n`` keeps the first ``n`` images (of
    a folder: of the fixed permutation of :func:`~gankit.metrics.splits.subset_order`, since a
    folder is read class by class); ``data_root`` is where dataset specs are looked up
    (default: ``gankit.data``'s search). ``shuffle_folder`` puts a folder in that permutation
    whatever ``n`` (the scoring path: the first k images of any load are then the k-image
    subset, as for a ``folder:SPLIT`` spec, so one load serves every smaller N).
    """
    if isinstance(source, torch.Tensor):
        source = source.detach().cpu().numpy()
    if isinstance(source, np.ndarray):
        images = _array_to_nchw(source, "the image array")
    else:
        text = os.fspath(source)
        path = Path(text).expanduser()
        if path.is_dir():
            images = torch.from_numpy(np.ascontiguousarray(_read_folder(path)))
            # files are sorted, often class by class
            if shuffle_folder or (n is not None and n < len(images)):
                images = images[subset_order(len(images))]
        elif path.is_file() and path.suffix in (".npz", ".npy"):
            images = _array_to_nchw(_read_array_file(path), str(path))
        elif path.is_file():
            raise MetricError(f"{path} is neither a folder nor a .npz/.npy array file.")
        elif looks_like_dataset_spec(text):
            images = load_split_images(text, n, data_root)
        else:
            raise MetricError(
                f"{text} does not exist; give a folder of images, a .npz/.npy file or a dataset "
                "spec such as fashion-mnist:test."
            )
    return images if n is None else images[:n]
