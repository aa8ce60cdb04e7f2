"""Training animation: the fixed-noise epoch grids as one looping GIF.

Because the grids use the same latent vectors every epoch, playing them in order shows each
sample sharpening as training progresses. Long runs are subsampled (evenly, always keeping the
first and last grid) so the GIF stays small enough to inline in a report.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from gankit.atomic import atomic_write_bytes
from gankit.errors import RunDirError
from gankit.viz.runs import sample_grids

DEFAULT_MAX_FRAMES = 100


def subsample_indices(n: int, max_frames: int | None) -> list[int]:
    """At most ``max_frames`` evenly spread indices of ``range(n)``, keeping first and last."""
    if max_frames is None or n <= max_frames:
        return list(range(n))
    if max_frames < 2:
        return [n - 1]
    step = (n - 1) / (max_frames - 1)
    return sorted({round(i * step) for i in range(max_frames)})


def _load_frame(path: Path, size: tuple[int, int] | None, mode: str | None) -> Image.Image:
    try:
        with Image.open(path) as img:
            img.load()
            frame = img.copy()
    except FileNotFoundError:
        msg = f"Sample grid {path} is missing; regenerate the samples or drop it."
        raise RunDirError(msg) from None
    except OSError:
        msg = f"Sample grid {path} is not a readable image; delete or regenerate it."
        raise RunDirError(msg) from None
    if frame.mode not in ("L", "RGB"):
        frame = frame.convert("RGB")
    if mode is not None and frame.mode != mode:
        frame = frame.convert(mode)
    if size is not None and frame.size != size:
        # A grid of another size (e.g. the batch changed on resume): fit it, keep the GIF valid.
        frame = frame.resize(size, Image.Resampling.NEAREST)
    return frame


def build_gif(
    frame_paths: Sequence[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    duration_ms: int = 300,
    *,
    last_frame_ms: int | None = None,
    max_frames: int | None = DEFAULT_MAX_FRAMES,
    loop: int = 0,
) -> Path:
    """Write an animated GIF of ``frame_paths`` (in the given order) to ``path`` atomically.

    One GIF frame per grid (when there are at most ``max_frames``; otherwise an even subsample
    that keeps the first and last). Every frame shows for ``duration_ms`` except the last,
    held for ``last_frame_ms`` (default: 5x, at least 1.5 s) so the final result can be seen
    before the loop restarts. Note: GIF encoders merge pixel-identical consecutive frames.
    """
    paths = [Path(p) for p in frame_paths]
    if not paths:
        raise RunDirError("No sample grids to animate; train for at least one epoch first.")
    chosen = [paths[i] for i in subsample_indices(len(paths), max_frames)]
    first = _load_frame(chosen[0], None, None)
    frames = [first] + [_load_frame(p, first.size, first.mode) for p in chosen[1:]]
    hold = last_frame_ms if last_frame_ms is not None else max(5 * duration_ms, 1500)
    durations = [int(duration_ms)] * (len(frames) - 1) + [int(hold)]
    buffer = io.BytesIO()
    if len(frames) == 1:
        first.save(buffer, format="GIF", duration=durations[0], loop=loop)
    else:
        first.save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=loop,
            disposal=1,
            optimize=False,
        )
    target = Path(path)
    atomic_write_bytes(target, buffer.getvalue())
    return target


def build_run_gif(
    run_dir: str | os.PathLike[str], *, duration_ms: int = 300, max_frames: int | None = 100
) -> Path:
    """Animate ``run_dir/samples/epoch_*.png`` into ``run_dir/animation.gif``."""
    return build_gif(
        sample_grids(run_dir),
        Path(run_dir) / "animation.gif",
        duration_ms,
        max_frames=max_frames,
    )
