"""Image decoding: mode normalisation, aspect-preserving crops, parallel chunks, failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gankit.data import decode
from gankit.data.decode import decode_files, fit_box, load_image, normalize_mode, unreadable_error


def test_normalize_mode_scales_16_bit_grey_and_drops_alpha() -> None:
    deep = Image.fromarray(np.array([[0, 65535], [32768, 1000]], dtype=np.uint16))
    out = normalize_mode(deep)
    assert out.mode == "L"
    assert np.asarray(out).tolist() == [[0, 255], [128, 4]]
    rgba = Image.new("RGBA", (2, 2), (10, 20, 30, 0))
    assert normalize_mode(rgba).mode == "RGB"
    assert np.asarray(normalize_mode(rgba))[0, 0].tolist() == [10, 20, 30]
    assert normalize_mode(Image.new("LA", (1, 1))).mode == "L"


@pytest.mark.parametrize(
    ("size", "target", "box"),
    [
        ((40, 20), (10, 10), (10, 0, 30, 20)),  # too wide: crop the sides
        ((20, 40), (10, 10), (0, 10, 20, 30)),  # too tall: crop top and bottom
        ((30, 20), (20, 30), (0, 0, 30, 20)),  # same aspect: untouched
    ],
)
def test_fit_box_keeps_the_target_aspect(size, target, box) -> None:
    assert fit_box(*size, *target) == box


def test_load_image_crops_then_resizes_without_stretching(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, 10:30] = 200  # the centre square is bright, the sides are black
    path = tmp_path / "wide.png"
    Image.fromarray(pixels).save(path)
    out = load_image(path, size=(8, 8))
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    assert (out == 200).all()  # the black sides were cropped away, not squeezed in
    grey = load_image(path, mode="L", crop=10)
    assert grey.shape == (10, 10) and (grey == grey[0, 0]).all()


def test_decode_files_keeps_order_and_reports_failures(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(decode, "CHUNK", 2)  # several chunks through the thread pool
    paths = []
    for i in range(7):
        path = tmp_path / f"{i}.png"
        if i == 3:
            path.write_bytes(b"not an image")
        else:
            Image.fromarray(np.full((2, 2), i, dtype=np.uint8)).save(path)
        paths.append(path)
    results, failed = decode_files(paths, lambda _i, p: load_image(p), workers=3)
    assert failed == [paths[3]]
    assert results[3] is None
    assert [int(r[0, 0]) for i, r in enumerate(results) if i != 3] == [0, 1, 2, 4, 5, 6]
    serial, _ = decode_files(paths, lambda _i, p: load_image(p), workers=1)
    assert all(
        (a is None and b is None) or np.array_equal(a, b)
        for a, b in zip(results, serial, strict=True)
    )


def test_unreadable_error_names_five_files_and_counts_the_rest(tmp_path: Path) -> None:
    failed = [tmp_path / f"f{i}.png" for i in range(7)]
    msg = str(unreadable_error(tmp_path, failed, "remove them."))
    assert "Could not read 7 image files" in msg
    assert "f0.png, f1.png, f2.png, f3.png, f4.png and 2 more" in msg
    assert msg.endswith("remove them.")
    one = str(unreadable_error(tmp_path, failed[:1], "fix it."))
    assert "1 image file in" in one
