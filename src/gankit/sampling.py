"""Generate images from a trained run: folders, .npz arrays, grids, best-K and interpolations.

All generation is batched on the device; 10,000 images is a handful of generator calls.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from gankit.atomic import atomic_write_with
from gankit.errors import ConfigError
from gankit.models.generation import draw_inputs, generate
from gankit.training.generator_io import LoadedRun


def make_labels(
    run: LoadedRun, n: int, class_index: int | None, gen: torch.Generator
) -> torch.Tensor | None:
    """Labels to condition on: all ``class_index``, or uniform; None for unconditional runs."""
    if run.num_classes == 0:
        if class_index is not None:
            raise ConfigError("--class needs a conditional run; this generator takes no labels.")
        return None
    if class_index is not None:
        if not 0 <= class_index < run.num_classes:
            raise ConfigError(f"--class must be in 0..{run.num_classes - 1}; got {class_index}.")
        return torch.full((n,), class_index, dtype=torch.long)
    return torch.randint(0, run.num_classes, (n,), generator=gen)


def sample_images(
    run: LoadedRun, n: int, *, seed: int = 0, class_index: int | None = None, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` uint8 images [N, C, H, W] and their labels (None when unconditional)."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1; got {n}.")
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, run.generator.z_dim, generator=gen)
    y = make_labels(run, n, class_index, gen)  # after z: the draw order of draw_inputs
    images = generate(run.generator, z.to(device), None if y is None else y.to(device))
    return images, y


def class_grid(
    run: LoadedRun, per_class: int, *, seed: int = 0, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` images of every class, class-major (one grid row per class), and labels."""
    if run.num_classes == 0:
        raise ConfigError("--class-grid needs a conditional run; this generator takes no labels.")
    gen = torch.Generator().manual_seed(seed)
    fixed = torch.arange(run.num_classes).repeat_interleave(per_class)
    z, y = draw_inputs(len(fixed), run.generator.z_dim, rng=gen, labels=fixed)
    assert y is not None
    return generate(run.generator, z.to(device), y.to(device)), y


@torch.no_grad()
def best_of(
    run: LoadedRun,
    k: int,
    *,
    pool: int,
    seed: int = 0,
    class_index: int | None = None,
    device: str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` images of a pool of ``pool`` that the discriminator scores as most real."""
    if not 1 <= k <= pool:
        raise ConfigError(f"--best K must be between 1 and the pool size {pool}; got {k}.")
    images, labels = sample_images(run, pool, seed=seed, class_index=class_index, device=device)
    d = run.discriminator().to(device)
    scale = run.config.data.scale
    from gankit.data.transforms import to_float

    scores = []
    for start in range(0, pool, 500):
        x = to_float(images[start : start + 500].to(device), scale=scale)
        y = None if labels is None else labels[start : start + 500].to(device)
        adv, _ = d(x, y)
        scores.append(adv.float().cpu())
    all_scores = torch.cat(scores)
    order = torch.argsort(all_scores, descending=True)[:k]
    return images[order], all_scores[order]


def interpolation(
    run: LoadedRun,
    *,
    rows: int = 6,
    steps: int = 10,
    seed: int = 0,
    class_index: int | None = None,
    device: str = "cpu",
) -> torch.Tensor:
    """Images [rows * steps, C, H, W]: each row walks on the sphere between two random latents.

    Gaussian latents live near a sphere, so spherical interpolation keeps intermediate points at
    a typical norm where a straight line would pass through the low-norm middle.
    """
    from gankit.viz.interpolate import interpolation_latents

    gen = torch.Generator().manual_seed(seed)
    z = interpolation_latents(run.generator.z_dim, rows, steps, gen)
    y = make_labels(run, rows, class_index, gen)
    if y is not None:
        y = y.repeat_interleave(steps)
    return generate(run.generator, z.to(device), None if y is None else y.to(device))


def write_npz(path: Path, images: torch.Tensor, labels: torch.Tensor | None) -> None:
    """uint8 NHWC images plus labels (-1 when unconditional), atomically."""
    nhwc = images.permute(0, 2, 3, 1).contiguous().numpy()
    lab = (
        (labels if labels is not None else torch.full((len(images),), -1)).numpy().astype(np.int64)
    )

    def writer(handle: io.BytesIO) -> None:
        np.savez(handle, images=nhwc, labels=lab)

    atomic_write_with(path, writer)


def write_folder(folder: Path, images: torch.Tensor) -> None:
    """One PNG per image, numbered, each written atomically."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    nhwc = images.permute(0, 2, 3, 1).numpy()
    width = max(5, len(str(len(images) - 1)))
    for i, array in enumerate(nhwc):
        img = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
        atomic_write_with(
            folder / f"{i:0{width}d}.png", lambda h, img=img: img.save(h, format="PNG")
        )
