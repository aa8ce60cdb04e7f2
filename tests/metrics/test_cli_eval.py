"""``gankit eval`` reads a folder reference from ``--root`` and reports progress like ``stats``.

The shipped ``pretrained:best-fashion`` generator (28x28 grey) is scored against a tiny image
folder the test writes; the stub extractor stands in for Inception, so the test is fast.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from gankit.metrics import evaluate as evaluate_module
from gankit.metrics.evaluate import evaluate_generator
from gankit.training.generator_io import load_run


@pytest.fixture
def folder_root(tmp_path):
    """DIR with train/ and test/ splits of 28x28 grey PNGs in two class folders."""
    rng = np.random.default_rng(0)
    for split, count in (("train", 4), ("test", 10)):
        for cls in ("a", "b"):
            folder = tmp_path / "data" / split / cls
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, (28, 28), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return tmp_path / "data"


def _eval(root, *extra):
    args = [
        "eval",
        "pretrained:best-fashion",
        "--ref",
        "folder:test",
        "--metrics",
        "fid,kid",
        "--n",
        "16",
        "--json",
        *extra,
    ]
    return main(args if root is None else [*args, "--root", str(root)])


def test_eval_reads_a_folder_reference_from_root_and_reports_progress(
    folder_root, stub_extractor, monkeypatch, capsys
):
    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    assert _eval(folder_root) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["ref"] == "folder:test" and result["n_ref"] == 16 and result["n_gen"] == 16
    run = load_run("pretrained:best-fashion")
    with pytest.warns(UserWarning):
        direct = evaluate_generator(
            run.generator,
            metrics="fid,kid",
            n=16,
            ref="folder:test",
            data_root=folder_root,
            extractor=stub_extractor,
        )
    assert result["fid"] == direct["fid"] and result["kid"] == direct["kid"]
    lines = captured.err.strip().splitlines()
    assert "gankit: reference features of folder:test: 16 images" in lines
    assert "gankit: folder:test features 16/16" in lines  # the reference, batch by batch
    assert "gankit: generator features 16/16" in lines
    assert any(line.startswith("warning: FID from 16 samples") for line in lines)

    assert _eval(folder_root, "--quiet") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["fid"] == result["fid"]
    assert not any("features" in line for line in captured.err.splitlines()), captured.err


def test_eval_without_root_says_where_the_folder_is_missing(stub_extractor, monkeypatch, capsys):
    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    assert _eval(None, "--quiet") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "root" in err[0].lower(), err
