"""Per-class FID: each class's samples against that class's reference, a collapsed class shows."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from gankit.cli import _print_result
from gankit.errors import MetricError
from gankit.metrics import cache as cache_module
from gankit.metrics import evaluate as evaluate_module
from gankit.metrics import extract as extract_module
from gankit.metrics.evaluate import evaluate_generator, evaluate_images
from gankit.metrics.per_class import per_class_fid

from .test_evaluate import TinyGenerator


def reference_fid(a: np.ndarray, b: np.ndarray) -> float:
    """pytorch-fid's formula with scipy's sqrtm, on float64 features."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def labelled(rng, n, shifts, d=6):
    labels = rng.integers(0, len(shifts), n)
    features = rng.standard_normal((n, d)) + np.asarray(shifts)[labels][:, None]
    return features, labels


def test_rows_match_per_class_reference_fids():
    rng = np.random.default_rng(0)
    gen, gen_y = labelled(rng, 300, [0.0, 1.0, 2.0])
    ref, ref_y = labelled(rng, 360, [0.1, 1.0, 1.8])
    with pytest.warns(UserWarning, match="per-class FID"):
        result = per_class_fid(gen, gen_y, ref, ref_y)
    rows = result["ifid_classes"]
    assert [row["class"] for row in rows] == [0, 1, 2]
    for row in rows:
        c = row["class"]
        expected = reference_fid(gen[gen_y == c], ref[ref_y == c])
        assert row["fid"] == pytest.approx(expected, rel=1e-7)
        assert (row["n_gen"], row["n_ref"]) == ((gen_y == c).sum(), (ref_y == c).sum())
    assert result["ifid"] == pytest.approx(np.mean([row["fid"] for row in rows]))


def test_a_collapsed_class_shows_though_the_overall_fid_hides_it():
    rng = np.random.default_rng(1)
    shifts = [0.0, 3.0, 6.0, 9.0]
    ref, ref_y = labelled(rng, 2000, shifts)
    gen, gen_y = labelled(rng, 2000, shifts)
    # class 2 collapses: every class-2 sample is the same point near its mode
    gen[gen_y == 2] = 6.0 + 0.01 * rng.standard_normal(((gen_y == 2).sum(), 6))
    with pytest.warns(UserWarning):
        result = per_class_fid(gen, gen_y, ref, ref_y)
    fids = [row["fid"] for row in result["ifid_classes"]]
    assert result["ifid_worst_class"] == 2 and result["ifid_max"] == max(fids)
    assert fids[2] > 5.0 and max(fids[:2] + fids[3:]) < 0.2
    assert reference_fid(gen, ref) < fids[2] / 2  # pooled over classes it looks much better


def test_too_few_samples_of_a_class_is_a_user_error():
    rng = np.random.default_rng(0)
    gen, gen_y = labelled(rng, 20, [0.0, 1.0])
    ref, ref_y = labelled(rng, 20, [0.0, 1.0, 2.0])
    gen_y[:] = 0
    with pytest.raises(MetricError, match="larger --n"):
        per_class_fid(gen, gen_y, ref, ref_y)


@pytest.fixture
def labelled_reference(monkeypatch):
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (90, 1, 8, 8), generator=g, dtype=torch.uint8)
    labels = np.arange(90) % 3
    monkeypatch.setattr(
        cache_module, "load_split_images", lambda spec, n=None, root=None: images[:n]
    )
    monkeypatch.setattr(
        evaluate_module, "load_split_labels", lambda spec, n=None, root=None: labels[:n]
    )
    return images, labels


def test_evaluate_generator_ifid_uses_the_drawn_labels(
    labelled_reference, stub_extractor, tmp_path
):
    images, labels = labelled_reference
    generator = TinyGenerator(num_classes=3)
    with pytest.warns(UserWarning):
        result = evaluate_generator(
            generator,
            metrics="fid,ifid",
            n=90,
            ref="toy:test",
            extractor=stub_extractor,
            cache_dir=tmp_path,
        )
    drawn: list[np.ndarray] = []
    batches = extract_module._generated_batches(generator, 90, 200, torch.device("cpu"), 0, drawn)
    gen = stub_extractor.features(torch.cat(list(batches)))
    gen_y = np.concatenate(drawn)
    ref = stub_extractor.features(images)
    for row in result["ifid_classes"]:
        c = row["class"]
        assert row["fid"] == pytest.approx(
            reference_fid(gen[gen_y == c], ref[labels == c]), rel=1e-6
        )
    assert result["fid"] == pytest.approx(reference_fid(gen, ref), rel=1e-6)
    assert result["n_gen"] == 90 and len(result["ifid_classes"]) == 3


def test_ifid_refuses_unconditional_generators_and_image_sets(stub_extractor):
    with pytest.raises(MetricError, match="class-conditional"):
        evaluate_generator(TinyGenerator(), metrics="ifid", n=10, extractor=stub_extractor)
    with pytest.raises(MetricError, match="gankit eval RUN --metrics ifid"):
        evaluate_images(
            np.zeros((4, 8, 8), np.uint8),
            np.zeros((4, 8, 8), np.uint8),
            metrics="ifid",
            extractor=stub_extractor,
        )
    assert stub_extractor.calls == 0


def test_text_output_prints_one_line_per_class(capsys):
    rows = [{"class": 0, "fid": 1.5, "name": "T-shirt"}, {"class": 1, "fid": 9.0}]
    _print_result({"ifid": 5.25, "ifid_classes": rows}, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "ifid: 5.25",
        "ifid_classes:",
        "  class: 0  fid: 1.5  name: T-shirt",
        "  class: 1  fid: 9.0",
    ]


def test_cli_eval_ifid_on_a_tiny_conditional_run(tmp_path, stub_extractor, monkeypatch, capsys):
    import json

    from gankit.cli import main
    from tests.conftest import tiny_overrides

    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    run = tmp_path / "run"
    overrides = [x for o in tiny_overrides() for x in ("--set", o)]
    assert main(["train", "cgan-fashion", *overrides, "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--metrics", "ifid", "--n", "300", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "warning: per-class FID from" in err  # ~30 samples per class
    result = json.loads(out)
    rows = result["ifid_classes"]
    assert all(row["name"] == f"class_{row['class']}" for row in rows)
    assert [row["class"] for row in rows] == list(range(10))
    assert sum(row["n_gen"] for row in rows) == 300 and result["ref"] == "synthetic:test"
    assert result["ifid"] == pytest.approx(np.mean([row["fid"] for row in rows]))
