"""Writers for tiny files in each dataset's real on-disk format (shared by the data tests)."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from gankit.data.cifar import CIFAR10_CLASSES


def idx_bytes(array: np.ndarray) -> bytes:
    """Unsigned-byte IDX encoding: 0x0000, type 0x08, ndim, big-endian dims, data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, *, gz: bool) -> Path:
    data = idx_bytes(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def make_mnist_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def write_mnist(
    folder: Path,
    *,
    n_train: int = 12,
    n_test: int = 7,
    gz_train: bool = False,
    gz_test: bool = True,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Four IDX files in ``folder``; train raw and test gzipped by default (both code paths)."""
    out = {}
    for split, n, gz, seed in (("train", n_train, gz_train, 0), ("t10k", n_test, gz_test, 1)):
        images, labels = make_mnist_arrays(n, seed)
        write_idx(folder / f"{split}-images-idx3-ubyte", images, gz=gz)
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels, gz=gz)
        out["train" if split == "train" else "test"] = (images, labels)
    return out


# --- CIFAR-10 ---------------------------------------------------------------------------------


def cifar_batch(n: int, seed: int) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 3072), dtype=np.uint8), [
        int(v) for v in rng.integers(0, 10, n)
    ]


def write_cifar_py3(path: Path, data: np.ndarray, labels: list[int]) -> None:
    """A batch as Python 3 writes it with protocol 2 (bytes keys, numpy array)."""
    batch = {
        b"batch_label": b"testing batch",
        b"labels": labels,
        b"data": data,
        b"filenames": [f"img_{i}.png".encode() for i in range(len(labels))],
    }
    with open(path, "wb") as handle:
        pickle.dump(batch, handle, protocol=2)


def _str(b: bytes) -> bytes:
    """Python 2 ``str`` opcode (SHORT_BINSTRING / BINSTRING)."""
    if len(b) < 256:
        return b"U" + bytes([len(b)]) + b
    return b"T" + struct.pack("<I", len(b)) + b


def _int(i: int) -> bytes:
    return b"K" + bytes([i]) if 0 <= i < 256 else b"J" + struct.pack("<i", i)


def py2_cifar_pickle(data: np.ndarray, labels: list[int]) -> bytes:
    """Byte-for-byte the opcode stream Python 2's cPickle (protocol 2) wrote for the official
    CIFAR-10 batches: ``str`` keys, ``numpy.core.multiarray._reconstruct``, dtype state."""
    n, width = data.shape
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        + b"cnumpy\nndarray\n"
        + _int(0)
        + b"\x85"
        + _str(b"b")
        + b"\x87R"
        + b"("
        + _int(1)
        + _int(n)
        + _int(width)
        + b"\x86"
        + b"cnumpy\ndtype\n"
        + _str(b"u1")
        + _int(0)
        + _int(1)
        + b"\x87R"
        + b"("
        + _int(3)
        + _str(b"|")
        + b"NNN"
        + _int(-1)
        + _int(-1)
        + _int(0)
        + b"tb"
        + b"\x89"
        + _str(data.tobytes())
        + b"tb"
    )
    label_list = b"](" + b"".join(_int(v) for v in labels) + b"e"
    return (
        b"\x80\x02}("
        + _str(b"batch_label")
        + _str(b"training batch 1 of 5")
        + _str(b"labels")
        + label_list
        + _str(b"data")
        + array
        + b"u."
    )


def write_cifar(
    folder: Path, *, n: int = 4, n_test: int = 3, py2: bool = False
) -> dict[str, tuple[np.ndarray, list[int]]]:
    """Five training batches, a test batch and ``batches.meta`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for k, name in enumerate(names):
        data, labels = cifar_batch(n_test if name == "test_batch" else n, seed=k)
        if py2:
            (folder / name).write_bytes(py2_cifar_pickle(data, labels))
        else:
            write_cifar_py3(folder / name, data, labels)
        out[name] = (data, labels)
    meta = {
        b"num_cases_per_batch": n,
        b"num_vis": 3072,
        b"label_names": [c.encode() for c in CIFAR10_CLASSES],
    }
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump(meta, handle, protocol=2)
    return out


# --- images -----------------------------------------------------------------------------------


def save_image(path: Path, array: np.ndarray, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)
    return path


def celeba_face(seed: int) -> np.ndarray:
    """218 x 178 RGB: blue border, the central 140 x 140 square a solid colour per seed."""
    img = np.zeros((218, 178, 3), dtype=np.uint8)
    img[..., 2] = 255
    colour = np.array([200, 40 + 30 * seed, 20], dtype=np.uint8)
    img[39:179, 19:159] = colour
    return img


def write_celeba(base: Path, n: int = 6, *, partition: bool = True, attrs: bool = True) -> Path:
    """``base/celeba/img_align_celeba/00000K.jpg`` + annotation files; returns the image dir."""
    image_dir = base / "celeba" / "img_align_celeba"
    names = [f"{k:06d}.jpg" for k in range(1, n + 1)]
    for k, name in enumerate(names):
        save_image(image_dir / name, celeba_face(k), quality=95, subsampling=0)
    if partition:
        codes = ([0, 0, 0, 1, 2, 2] + [0] * max(0, n - 6))[:n]
        lines = [f"{name} {code}" for name, code in zip(names, codes, strict=True)]
        (base / "celeba" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    if attrs:
        rows = [f"{name} {'-1' if k % 2 else ' 1'}  1" for k, name in enumerate(names)]
        text = f"{n}\n5_o_Clock_Shadow Smiling \n" + "\n".join(rows) + "\n"
        (base / "celeba" / "list_attr_celeba.txt").write_text(text)
    return image_dir


def aligned_face(index: int, scale: int = 1) -> np.ndarray:
    """An aligned-CelebA-shaped image (218 x 178, or 109 x 89 at ``scale`` 2): blue border,
    the central 140-pixel square (scaled) a solid red whose level is ``6 * index``, so a test
    can read back which file an image came from."""
    img = celeba_face(0)
    img[39:179, 19:159, 0] = 6 * index
    if scale == 1:
        return img
    return np.asarray(Image.fromarray(img).resize((178 // scale, 218 // scale), Image.BILINEAR))


def write_aligned_folder(image_dir: Path, n: int, *, scale: int = 1) -> list[str]:
    """``n`` aligned faces 000001.jpg.. in ``image_dir`` (written in reverse order, so only a
    sort by name gives the file order); returns their names."""
    names = [f"{k:06d}.jpg" for k in range(1, n + 1)]
    for k in range(n, 0, -1):
        save_image(image_dir / names[k - 1], aligned_face(k, scale), quality=95, subsampling=0)
    return names
