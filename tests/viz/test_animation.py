from __future__ import annotations

import pytest
from PIL import Image

from gankit.errors import RunDirError
from gankit.viz.animation import build_gif, build_run_gif, subsample_indices

from .conftest import write_png


def _frames(tmp_path, n, **kw):
    return [write_png(tmp_path / "samples" / f"epoch_{i:03d}.png", 17 * i, **kw) for i in range(n)]


def _durations(path):
    out = []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            out.append(im.info["duration"])
    return out


@pytest.mark.parametrize("n", [1, 2, 7])
def test_gif_has_one_frame_per_grid(tmp_path, n):
    gif = build_gif(_frames(tmp_path, n), tmp_path / "animation.gif", duration_ms=200)
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.n_frames == n
        assert im.size == (62, 62)
    if n > 1:
        durations = _durations(gif)
        assert durations[:-1] == [200] * (n - 1)
        assert durations[-1] > 200  # the final result is held longer


def test_gif_rgb_and_mismatched_sizes(tmp_path):
    paths = _frames(tmp_path, 3, mode="RGB")
    paths.append(write_png(tmp_path / "odd.png", 5, size=(30, 40)))
    gif = build_gif(paths, tmp_path / "a.gif", last_frame_ms=900)
    with Image.open(gif) as im:
        assert im.n_frames == 4 and im.size == (62, 62)
    assert _durations(gif)[-1] == 900


def test_gif_subsamples_long_runs(tmp_path):
    assert subsample_indices(5, 10) == [0, 1, 2, 3, 4]
    idx = subsample_indices(250, 100)
    assert len(idx) == 100 and idx[0] == 0 and idx[-1] == 249
    gif = build_gif(_frames(tmp_path, 12), tmp_path / "a.gif", max_frames=5)
    with Image.open(gif) as im:
        assert im.n_frames == 5


def test_gif_errors(tmp_path):
    with pytest.raises(RunDirError):
        build_gif([], tmp_path / "a.gif")
    with pytest.raises(RunDirError, match="missing"):
        build_gif([tmp_path / "nope.png"], tmp_path / "a.gif")
    assert not (tmp_path / "a.gif").exists()


def test_build_run_gif_uses_epoch_order(make_run):
    run = make_run("r", epochs=3)
    write_png(run / "samples" / "epoch_1000.png", 99)  # numeric order: after epoch_003
    gif = build_run_gif(run)
    assert gif == run / "animation.gif"
    with Image.open(gif) as im:
        assert im.n_frames == 4
