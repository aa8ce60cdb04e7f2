"""Sampling tools on a tiny trained conditional run: formats, classes, best-K, interpolation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gankit import sampling
from gankit.cli import main
from gankit.config import load_config
from gankit.data.transforms import to_float
from gankit.errors import ConfigError
from gankit.training.generator_io import load_run
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides


@pytest.fixture(scope="module")
def cond_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cond") / "run"
    cfg = load_config("cgan-fashion", tiny_overrides(**{"data.synthetic_classes": 4}))
    Trainer(cfg, root, progress=False).fit()
    return root


def test_npz_round_trip_with_labels(cond_run, tmp_path) -> None:
    out = tmp_path / "s.npz"
    assert main(["sample", str(cond_run), "--n", "12", "--class", "2", "--out", str(out)]) == 0
    data = np.load(out)
    assert data["images"].shape == (12, 28, 28, 1) and data["images"].dtype == np.uint8
    assert data["labels"].shape == (12,) and (data["labels"] == 2).all()


def test_same_seed_same_images(cond_run) -> None:
    run = load_run(cond_run)
    a, _ = sampling.sample_images(run, 6, seed=3)
    b, _ = sampling.sample_images(run, 6, seed=3)
    c, _ = sampling.sample_images(run, 6, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_class_out_of_range_is_clear(cond_run) -> None:
    run = load_run(cond_run)
    with pytest.raises(ConfigError, match=r"--class must be in 0\.\.3"):
        sampling.sample_images(run, 2, class_index=7)


def test_best_k_is_sorted_discriminator_scores(cond_run) -> None:
    run = load_run(cond_run)
    best, scores = sampling.best_of(run, 5, pool=40, seed=1)
    pool, labels = sampling.sample_images(run, 40, seed=1)
    d = run.discriminator()
    with torch.no_grad():
        all_scores = d(to_float(pool), labels)[0].float()
    expected = torch.sort(all_scores, descending=True).values[:5]
    assert torch.allclose(scores, expected, atol=1e-5)
    assert scores.tolist() == sorted(scores.tolist(), reverse=True)
    assert best.shape == (5, 1, 28, 28)


def test_grid_class_grid_interpolate_and_best_files(cond_run, tmp_path) -> None:
    grid = tmp_path / "grid.png"
    assert main(["sample", str(cond_run), "--n", "16", "--out", str(grid)]) == 0
    assert Image.open(grid).size[0] > 28 * 3
    cg = tmp_path / "classes.png"
    assert main(["sample", str(cond_run), "--class-grid", "--n", "12", "--out", str(cg)]) == 0
    interp = tmp_path / "interp.png"
    assert (
        main(
            [
                "sample",
                str(cond_run),
                "--interpolate",
                "--rows",
                "2",
                "--steps",
                "5",
                "--out",
                str(interp),
            ]
        )
        == 0
    )
    width, height = Image.open(interp).size
    assert width > height  # 5 columns, 2 rows
    best = tmp_path / "best.png"
    assert main(["sample", str(cond_run), "--best", "4", "--n", "20", "--out", str(best)]) == 0
    assert best.exists()


def test_folder_output_and_bad_suffix(cond_run, tmp_path, capsys) -> None:
    assert main(["sample", str(cond_run), "--n", "3", "--out", str(tmp_path / "pngs")]) == 0
    files = sorted((tmp_path / "pngs").glob("*.png"))
    assert len(files) == 3 and np.asarray(Image.open(files[0])).shape == (28, 28)
    assert main(["sample", str(cond_run), "--out", str(tmp_path / "x.jpg")]) == 2
    assert "output must be a folder, a .npz file or a .png grid" in capsys.readouterr().err


@pytest.mark.slow  # 10,000 images
def test_ten_thousand_images_are_batched(cond_run) -> None:
    run = load_run(cond_run)
    images, labels = sampling.sample_images(run, 10_000, seed=0)
    assert images.shape == (10_000, 1, 28, 28) and labels is not None
    assert set(labels.unique().tolist()) == {0, 1, 2, 3}
