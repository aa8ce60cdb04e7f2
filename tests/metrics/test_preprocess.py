from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gankit.errors import MetricError
from gankit.metrics.preprocess import inception_input, to_uint8
from gankit.metrics.resize import resize_tf1, tf1_resize_matrix


def tf1_resize_loop(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Reference: TF1 resize_bilinear(align_corners=False, half_pixel_centers=False), [C, H, W]."""
    channels, in_h, in_w = image.shape
    out = np.empty((channels, out_h, out_w), dtype=np.float64)
    scale_y, scale_x = in_h / out_h, in_w / out_w
    for y in range(out_h):
        sy = y * scale_y
        y0 = math.floor(sy)
        y1 = min(y0 + 1, in_h - 1)
        fy = sy - y0
        for x in range(out_w):
            sx = x * scale_x
            x0 = math.floor(sx)
            x1 = min(x0 + 1, in_w - 1)
            fx = sx - x0
            top = image[:, y0, x0] * (1 - fx) + image[:, y0, x1] * fx
            bottom = image[:, y1, x0] * (1 - fx) + image[:, y1, x1] * fx
            out[:, y, x] = top * (1 - fy) + bottom * fy
    return out


@pytest.mark.parametrize(
    ("shape", "size"), [((1, 28, 28), 299), ((3, 20, 37), 299), ((2, 64, 50), 40)]
)
def test_matrix_resize_matches_the_tf1_loop(shape, size):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=shape).astype(np.float64)
    expected = tf1_resize_loop(image, size, size)
    got = resize_tf1(torch.from_numpy(image).float()[None], size)[0].double().numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


def test_resize_matrix_rows_are_convex_weights():
    matrix = tf1_resize_matrix(28, 299)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-15)
    assert (matrix >= 0).all()
    # No half-pixel centres: output pixel 0 copies input pixel 0 and the last rows clamp.
    assert matrix[0, 0] == 1.0 and matrix[-1, -1] == 1.0


def test_resize_is_not_the_half_pixel_rule():
    x = torch.arange(28.0).repeat(28, 1)[None, None]
    half_pixel = torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear")
    assert (resize_tf1(x) - half_pixel).abs().max() > 0.3


def test_resize_at_target_size_is_identity():
    x = torch.rand(2, 3, 299, 299)
    assert resize_tf1(x) is x


def test_to_uint8_quantises_like_a_saved_png():
    x = torch.tensor([-1.0, -0.999, 0.0, 0.5, 1.0, 1.7, -3.0])
    assert to_uint8(x).tolist() == [0, 0, 128, 191, 255, 255, 0]
    u = torch.tensor([0, 7, 255], dtype=torch.uint8)
    assert to_uint8(u) is u


def test_inception_input_repeats_grey_and_normalises():
    grey = torch.full((2, 1, 8, 8), 64, dtype=torch.uint8)
    x = inception_input(grey)
    assert x.shape == (2, 3, 299, 299) and x.dtype == torch.float32
    assert x.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(x, torch.full_like(x, -0.5))
    rgb = torch.stack([torch.full((4, 4), v, dtype=torch.uint8) for v in (0, 128, 255)])[None]
    assert inception_input(rgb)[0, :, 0, 0].tolist() == [-1.0, 0.0, 127 / 128]


def test_inception_input_rejects_other_channel_counts():
    with pytest.raises(MetricError, match="C = 1 or 3"):
        inception_input(torch.zeros(1, 4, 8, 8, dtype=torch.uint8))
