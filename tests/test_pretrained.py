"""Exported and shipped generators: fp16 export round trip, ``pretrained:NAME`` sources, and the
generators that ship inside the package working with no data and no training."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from gankit import pretrained
from gankit.cli import main
from gankit.errors import CheckpointError
from gankit.export import export_generator
from gankit.training.generator_io import load_run
from tests.conftest import tiny_overrides


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-step class-conditional run (EMA on) on 10-class synthetic data."""
    run = tmp_path_factory.mktemp("cond") / "run"
    sets = tiny_overrides(**{"train.ema": "true", "train.ema_decay": 0.5})
    argv = ["train", "cgan-pd-fashion", "--out", str(run), "--quiet"]
    argv += [arg for s in sets for arg in ("--set", s)]
    with pytest.MonkeyPatch.context() as patch:
        threads = torch.get_num_threads()
        patch.setattr(os, "cpu_count", lambda: 1)
        assert main(argv) == 0
        torch.set_num_threads(threads)
    return run


def test_half_export_stores_fp16_and_loads_as_the_rounded_fp32_model(
    conditional_run: Path, tmp_path: Path
) -> None:
    full, half = tmp_path / "full.safetensors", tmp_path / "half.safetensors"
    export_generator(conditional_run, full)
    from gankit import api

    assert api.export(conditional_run, half, half=True, notes={"fid10k": "12.5"}) == half
    from safetensors import safe_open

    with safe_open(str(half), framework="pt") as handle:
        dtypes = {handle.get_tensor(k).dtype for k in handle.keys()}  # noqa: SIM118
        assert handle.metadata()["fid10k"] == "12.5"
        assert handle.metadata()["dtype"] == "float16"
    assert torch.float16 in dtypes and torch.float32 not in dtypes
    assert half.stat().st_size < 0.6 * full.stat().st_size

    original = load_run(conditional_run).generator
    loaded = load_run(half).generator
    for name, value in original.state_dict().items():
        got = loaded.state_dict()[name]
        assert got.dtype == value.dtype  # widened back: the model computes as it trained
        expected = value.half().float() if value.is_floating_point() else value
        assert torch.equal(got, expected), name
    z = torch.randn(8, original.z_dim, generator=torch.Generator().manual_seed(0))
    y = torch.arange(8) % 10
    with torch.no_grad():
        assert (loaded(z, y) - original(z, y)).abs().max() < 0.02


def test_pretrained_name_resolves_in_sample_and_eval_sources(
    conditional_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    export_generator(conditional_run, shelf / "tiny.safetensors", half=True)
    monkeypatch.setattr(pretrained, "FOLDER", shelf)
    assert pretrained.available() == ["tiny"]

    out = tmp_path / "grid.png"
    code = main(["sample", "pretrained:tiny", "--class-grid", "--n", "20", "--out", str(out)])
    assert code == 0
    from PIL import Image

    width, height = Image.open(out).size
    assert height > width / 2  # ten class rows of two samples: taller than half its width

    run = load_run("pretrained:tiny")
    assert run.num_classes == 10 and run.used_ema
    with pytest.raises(CheckpointError, match="holds a generator only"):
        run.discriminator()
    capsys.readouterr()
    code = main(["sample", "pretrained:tiny", "--best", "4", "--out", str(tmp_path / "b.png")])
    assert code != 0 and "holds a generator only" in capsys.readouterr().err


def test_unknown_pretrained_name_lists_the_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(pretrained, "FOLDER", tmp_path)
    (tmp_path / "alpha.safetensors").write_bytes(b"")
    expected = r"No pretrained generator 'nope'; shipped ones: alpha"
    with pytest.raises(CheckpointError, match=expected):
        pretrained.path_of("pretrained:nope")
    code = main(["sample", "pretrained:nope", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code != 0 and "shipped ones: alpha" in err and "Traceback" not in err


@pytest.mark.parametrize("name", pretrained.available())
def test_shipped_generator_samples_with_no_data(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What a fresh install can do: every shipped generator loads, names its provenance and
    draws a class grid of the image shape its config says, with no dataset present."""
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "no-data-here"))
    info = pretrained.describe(name)
    for field in ("recipe", "commit", "fid10k", "ref"):
        assert info.get(field), f"{name} lacks the header field {field}"
    run = load_run(f"pretrained:{name}")
    assert list(run.image_shape) == json.loads(info["image_shape"])
    z = torch.randn(run.num_classes or 4, run.generator.z_dim)
    y = torch.arange(run.num_classes) if run.num_classes else None
    with torch.no_grad():
        images = run.generator(z, y)
    assert images.shape[1:] == torch.Size(run.image_shape)
    assert images.min() >= -1 and images.max() <= 1 and images.std() > 0.05


def test_api_loads_and_samples_a_pretrained_generator(
    conditional_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gankit import api

    export_generator(conditional_run, tmp_path / "tiny.safetensors", notes={"fid10k": "9.9"})
    monkeypatch.setattr(pretrained, "FOLDER", tmp_path)
    assert api.pretrained_models()["tiny"]["fid10k"] == "9.9"
    g = api.load_pretrained("tiny")
    assert not g.training and g.num_classes == 10
    batch = api.sample("pretrained:tiny", 6, class_index=3, seed=2)
    assert batch.images.shape[0] == 6 and set(batch.labels.tolist()) == {3}
    again = api.sample("pretrained:tiny", 6, class_index=3, seed=2)
    assert torch.equal(batch.images, again.images)
