from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.viz.grid import (
    best_k_indices,
    make_class_grid,
    make_grid_uint8,
    make_scored_grid,
    save_class_grid,
    save_grid,
    save_scored_grid,
)


def _constant_images(values, c=1, h=5, w=7) -> torch.Tensor:
    v = torch.as_tensor(values, dtype=torch.uint8)
    return v.view(-1, 1, 1, 1).expand(-1, c, h, w).contiguous()


@pytest.mark.parametrize(
    ("n", "nrow", "padding", "expected"),
    [
        (10, 4, 2, (3 * 7 + 2, 4 * 9 + 2)),  # rows = ceil(10/4) = 3
        (8, 4, 2, (2 * 7 + 2, 4 * 9 + 2)),
        (3, 8, 2, (1 * 7 + 2, 3 * 9 + 2)),  # fewer images than nrow: one short row
        (6, 3, 0, (2 * 5, 3 * 7)),
        (1, 1, 1, (7, 9)),
    ],
)
def test_grid_shape_arithmetic(n, nrow, padding, expected):
    grid = make_grid_uint8(_constant_images(range(n)), nrow, padding=padding)
    assert grid.dtype == np.uint8
    assert grid.shape == (*expected, 1)


def test_default_nrow_is_near_square():
    assert make_grid_uint8(_constant_images(range(16)), padding=0).shape == (20, 28, 1)


def test_grid_pixel_placement_and_padding():
    n, nrow, pad, h, w = 7, 3, 2, 5, 7
    grid = make_grid_uint8(_constant_images([10 * (i + 1) for i in range(n)]), nrow, pad, 255)
    for i in range(n):
        r, c = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        assert (grid[top : top + h, left : left + w, 0] == 10 * (i + 1)).all()
        # the padding strip right after each tile is the pad value
        assert (grid[top : top + h, left + w : left + w + pad, 0] == 255).all()
    assert (grid[:pad] == 255).all() and (grid[:, :pad] == 255).all()
    # the two empty cells of the last row are pad_value
    top = pad + 2 * (h + pad)
    assert (grid[top : top + h, pad + 1 * (w + pad) :, 0] == 255).all()


def test_grid_matches_naive_loop_rgb():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(5, 3, 4, 6), dtype=np.uint8)
    grid = make_grid_uint8(imgs, 2, padding=1, pad_value=(1, 2, 3))
    ref = np.empty((3 * 5 + 1, 2 * 7 + 1, 3), np.uint8)
    ref[...] = (1, 2, 3)
    for i in range(5):
        r, c = divmod(i, 2)
        ref[1 + r * 5 : 1 + r * 5 + 4, 1 + c * 7 : 1 + c * 7 + 6] = imgs[i].transpose(1, 2, 0)
    np.testing.assert_array_equal(grid, ref)


def test_float_input_is_quantised_like_a_png():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0]).view(4, 1, 1, 1)
    grid = make_grid_uint8(x, 4, padding=0)
    assert grid[0, :, 0].tolist() == [0, 128, 255, 255]


def test_channels_last_input_is_rejected():
    with pytest.raises(ValueError, match="channels-last"):
        make_grid_uint8(np.zeros((2, 8, 8, 3), np.uint8), 2)


def test_save_grid_round_trips(tmp_path):
    imgs = torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8)
    path = save_grid(imgs, tmp_path / "sub" / "g.png", nrow=3)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(im), make_grid_uint8(imgs, 3))
    assert [p.name for p in path.parent.iterdir()] == ["g.png"]  # no temp files left


def test_class_grid_one_row_per_class():
    labels = torch.tensor([2, 0, 1, 2, 0, 2, 2, 1, 0, 0])
    imgs = _constant_images((labels + 1) * 50, h=4, w=4)  # pixel value encodes the class
    grid = make_class_grid(imgs, labels, num_classes=3, per_class=3, padding=1, pad_value=7)
    assert grid.shape == (3 * 5 + 1, 3 * 5 + 1, 1)
    for k in range(3):
        for j in range(3):
            cell = grid[1 + k * 5 : 5 + k * 5, 1 + j * 5 : 5 + j * 5, 0]
            have = int((labels == k).sum())  # class 1 has only two images: third cell blank
            assert (cell == ((k + 1) * 50 if j < have else 7)).all()


def test_class_grid_short_class_left_blank_and_names(tmp_path):
    labels = torch.tensor([0, 0, 0, 1])
    imgs = _constant_images((labels + 1) * 100, h=6, w=6)
    grid = make_class_grid(imgs, labels, 2, 3, padding=2, pad_value=0)
    assert (grid[2 + 8 : 8 + 8, 2 + 8 :, 0] == 0).all()  # class 1 has 1 image, 2 blank cells
    assert (grid[2 + 8 : 8 + 8, 2:8, 0] == 200).all()
    named = make_class_grid(imgs, labels, 2, 3, class_names=["T-shirt", "Trouser"])
    assert named.shape[2] == 3 and named.shape[0] == grid.shape[0]
    margin = named.shape[1] - grid.shape[1]
    assert margin > 10
    assert (named[:, :margin] < 128).any()  # dark text drawn in the white margin
    path = save_class_grid(imgs, labels, 2, 3, tmp_path / "c.png", class_names=["a", "b"])
    with Image.open(path) as im:
        assert im.format == "PNG"


def test_best_k_indices_orders_and_puts_nan_last():
    scores = [0.2, float("nan"), 0.9, 0.5]
    assert best_k_indices(scores).tolist() == [2, 3, 0, 1]
    assert best_k_indices(scores, 2, higher_is_better=False).tolist() == [0, 3]


def test_scored_grid_best_first_with_text(tmp_path):
    imgs = _constant_images([10, 20, 30, 40], c=3, h=8, w=8)
    scores = torch.tensor([0.1, 0.7, 0.4, 0.9])
    grid = make_scored_grid(imgs, scores, k=2, nrow=2)
    # images are upscaled so the text fits under them; first cell = best (index 3, value 40)
    assert grid[3, 3].tolist() == [40, 40, 40]
    scale = None
    for x in range(2, grid.shape[1]):
        if grid[3, x, 0] != 40:
            scale = (x - 2) // 8
            break
    assert scale is not None and scale >= 1
    second_left = 2 + 8 * scale + 2
    assert grid[3, second_left + 1].tolist() == [20, 20, 20]  # second best: index 1
    band = grid[2 + 8 * scale :, :]  # text band under the first row holds dark pixels
    assert (band < 100).any()
    path = save_scored_grid(imgs, scores, tmp_path / "best.png", k=3)
    with Image.open(path) as im:
        assert im.format == "PNG"
