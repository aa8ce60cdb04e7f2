"""Statistics files: written in pytorch-fid's layout, read from it, and used on either FID side."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import scipy.linalg
import torch

from gankit.cli import main
from gankit.errors import MetricError
from gankit.metrics import evaluate as evaluate_module
from gankit.metrics import extract as extract_module
from gankit.metrics.evaluate import evaluate_generator, evaluate_images, save_source_stats
from gankit.metrics.preprocess import PROTOCOL_VERSION
from gankit.metrics.stats_file import is_stats_file, read_stats, write_stats

from .conftest import pattern_images


def pytorch_fid_stats(act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pytorch-fid's calculate_activation_statistics: float64 activations, np.mean, np.cov."""
    act = np.asarray(act, dtype=np.float64)
    return np.mean(act, axis=0), np.cov(act, rowvar=False)


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2) -> float:
    """The reference formula with scipy's sqrtm (independent of gankit's eigenvalue route)."""
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    covmean = np.real(covmean)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


@pytest.fixture
def images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8)
    b = rng.integers(0, 160, (50, 1, 8, 8), dtype=np.uint8)
    return a, b


def test_file_in_pytorch_fids_exact_format_is_a_reference(tmp_path, images, stub_extractor):
    a, b = images
    act_b = stub_extractor.features(torch.from_numpy(b))
    mu, sigma = pytorch_fid_stats(act_b)
    path = tmp_path / "fid_stats.npz"
    np.savez_compressed(path, mu=mu, sigma=sigma)  # exactly what `pytorch-fid --save-stats` does
    assert is_stats_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_images(a, path, metrics="fid", extractor=stub_extractor)
    unknown = [w for w in caught if "protocol is unknown" in str(w.message)]
    assert len(unknown) == 1 and "\n" not in str(unknown[0].message)
    expected = pytorch_fid_distance(
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(a))), mu, sigma
    )
    assert result["fid"] == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert result["n_ref"] is None and result["ref_protocol"] == "unknown"
    assert result["n_a"] == 40 and result["ref"] == str(path)


def test_written_file_has_pytorch_fids_keys_and_our_protocol(tmp_path, images, stub_extractor):
    a, _ = images
    np.save(tmp_path / "a.npy", a)
    out = tmp_path / "a_stats.npz"
    with pytest.warns(UserWarning, match="2048"):
        info = save_source_stats(tmp_path / "a.npy", out, extractor=stub_extractor)
    assert info["n"] == 40 and info["protocol"] == PROTOCOL_VERSION
    # read it the way pytorch-fid and TTUR do
    with np.load(out) as f:
        mu, sigma = f["mu"][:], f["sigma"][:]
        assert str(f["protocol"]) == PROTOCOL_VERSION and int(f["n"]) == 40
        assert str(f["extractor"]) == stub_extractor.hash
    assert mu.dtype == sigma.dtype == np.float64
    ref_mu, ref_sigma = pytorch_fid_stats(stub_extractor.features(torch.from_numpy(a)))
    np.testing.assert_allclose(mu, ref_mu, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sigma, ref_sigma, rtol=1e-9, atol=1e-9)
    assert read_stats(out).n == 40


def test_fid_with_a_stats_file_on_either_side_equals_fid_from_features(
    tmp_path, images, stub_extractor
):
    a, b = images
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    with pytest.warns(UserWarning):
        save_source_stats(tmp_path / "a.npy", tmp_path / "sa.npz", extractor=stub_extractor)
        save_source_stats(tmp_path / "b.npy", tmp_path / "sb.npz", extractor=stub_extractor)
        direct = evaluate_images(tmp_path / "a.npy", tmp_path / "b.npy", extractor=stub_extractor)
        right = evaluate_images(tmp_path / "a.npy", tmp_path / "sb.npz", extractor=stub_extractor)
        left = evaluate_images(tmp_path / "sa.npz", tmp_path / "b.npy", extractor=stub_extractor)
        both = evaluate_images(tmp_path / "sa.npz", tmp_path / "sb.npz", extractor=stub_extractor)
    independent = pytorch_fid_distance(
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(a))),
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(b))),
    )
    assert direct["fid"] == pytest.approx(independent, rel=1e-6)
    for result in (right, left, both):
        assert abs(result["fid"] - direct["fid"]) <= 1e-6
    assert (right["n_a"], right["n_ref"], left["n_a"], left["n_ref"]) == (40, 50, 40, 50)
    assert "ref_protocol" not in right


def test_feature_metrics_with_a_stats_file_fail_before_any_work(tmp_path, images, stub_extractor):
    a, _ = images
    path = tmp_path / "s.npz"
    write_stats(path, np.zeros(16), np.eye(16), n=10, protocol=PROTOCOL_VERSION, extractor="x")
    with pytest.raises(MetricError, match=r"kid needs image features.*statistics file"):
        evaluate_images(a, path, metrics="fid,kid", extractor=stub_extractor)
    with pytest.raises(MetricError, match="statistics file"):
        evaluate_images(path, a, metrics="fid,pr", extractor=stub_extractor)
    assert stub_extractor.calls == 0


def test_another_protocol_is_an_error_and_other_weights_a_warning(tmp_path, images, stub_extractor):
    a, _ = images
    path = tmp_path / "s.npz"
    write_stats(path, np.zeros(16), np.eye(16), n=10, protocol="clean-v0", extractor="x")
    with pytest.raises(MetricError, match="protocol clean-v0"):
        evaluate_images(a, path, extractor=stub_extractor)
    write_stats(path, np.zeros(16), np.eye(16), n=3000, protocol=PROTOCOL_VERSION, extractor="x")
    with pytest.warns(UserWarning, match="Inception weights x"):
        evaluate_images(a, path, extractor=stub_extractor)


def test_a_stats_file_of_the_other_inception_precision_warns(tmp_path, images, stub_extractor):
    # bf16 features read FID 1-2% off fp32 ones: the file says which it holds, the score warns
    a, _ = images
    path = tmp_path / "s.npz"
    mu, sigma = pytorch_fid_stats(stub_extractor.features(torch.from_numpy(a)))
    write_stats(
        path,
        mu,
        sigma,
        n=40,
        protocol=PROTOCOL_VERSION,
        extractor=stub_extractor.hash,
        feature_precision="bf16",
    )
    with pytest.warns(UserWarning, match="holds bf16 Inception features.*extracts fp32"):
        evaluate_images(a, path, extractor=stub_extractor)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_images(a, path, extractor=stub_extractor, precision="bf16")
    assert not [w for w in caught if "Inception features" in str(w.message)]


def test_bad_stats_files_name_the_problem(tmp_path):
    np.savez(tmp_path / "bad.npz", mu=np.zeros(4), sigma=np.zeros((3, 3)))
    with pytest.raises(MetricError, match="mu \\[D\\] and sigma \\[D, D\\]"):
        read_stats(tmp_path / "bad.npz")
    np.savez(tmp_path / "nan.npz", mu=np.full(2, np.nan), sigma=np.eye(2))
    with pytest.raises(MetricError, match="NaN"):
        read_stats(tmp_path / "nan.npz")
    np.savez(tmp_path / "images.npz", images=np.zeros((2, 4, 4), np.uint8))
    assert not is_stats_file(tmp_path / "images.npz")
    with pytest.raises(MetricError, match="not a FID statistics file"):
        read_stats(tmp_path / "images.npz")


def test_evaluate_generator_against_a_stats_file(tmp_path, stub_extractor):
    from .test_evaluate import TinyGenerator

    generator = TinyGenerator()
    ref_images = pattern_images(30, 1, 8, 8)
    mu, sigma = pytorch_fid_stats(stub_extractor.features(ref_images))
    path = tmp_path / "ref.npz"
    write_stats(path, mu, sigma, n=30, protocol=PROTOCOL_VERSION, extractor=stub_extractor.hash)
    with pytest.warns(UserWarning, match="2048"):
        result = evaluate_generator(
            generator, metrics="fid", n=25, ref=str(path), extractor=stub_extractor
        )
    # the same 25 samples (same seed), scored independently
    batches = extract_module._generated_batches(generator, 25, 200, torch.device("cpu"), 0)
    images = torch.cat(list(batches))
    expected = pytorch_fid_distance(*pytorch_fid_stats(stub_extractor.features(images)), mu, sigma)
    assert result["fid"] == pytest.approx(expected, rel=1e-6)
    assert (result["n_gen"], result["n_ref"], result["ref"]) == (25, 30, str(path))


def test_cli_stats_then_fid(tmp_path, images, stub_extractor, monkeypatch, capsys):
    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    a, b = images
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    out = tmp_path / "b_stats.npz"
    assert main(["stats", str(tmp_path / "b.npy"), "--out", str(out), "--n", "45", "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["n"] == 45 and read_stats(out).n == 45
    assert main(["fid", str(tmp_path / "a.npy"), str(out), "--json"]) == 0
    with_stats = json.loads(capsys.readouterr().out)
    assert main(["fid", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "--json"]) == 0
    capsys.readouterr()
    # FID from the features of the first 45 images of b, computed here
    expected = pytorch_fid_distance(
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(a))),
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(b[:45]))),
    )
    assert abs(with_stats["fid"] - expected) <= 1e-6 and with_stats["n_ref"] == 45
    assert main(["fid", str(tmp_path / "a.npy"), str(out), "--kid"]) == 2
    err = capsys.readouterr().err
    assert "statistics file" in err and len(err.strip().splitlines()) == 1
    assert main(["stats", str(out), "--out", str(tmp_path / "again.npz")]) == 2
    assert "already a statistics file" in capsys.readouterr().err


def test_cli_stats_reports_progress_unless_quiet(
    tmp_path, images, stub_extractor, monkeypatch, capsys
):
    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    np.save(tmp_path / "b.npy", images[1])
    out = tmp_path / "b_stats.npz"
    assert main(["stats", str(tmp_path / "b.npy"), "--out", str(out), "--n", "45"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert any(line.endswith("features 45/45") for line in err), err
    assert err[-1].startswith("Wrote FID statistics of 45 images")
    assert main(["stats", str(tmp_path / "b.npy"), "--out", str(out), "--n", "45", "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert not any("features" in line for line in err), err
    assert err[-1].startswith("Wrote FID statistics of 45 images")


@pytest.mark.slow
def test_real_inception_stats_file_holds_the_features_statistics(inception, tmp_path):
    # The FID arithmetic with a file is tested above to 1e-6; here the file written through the
    # real network must hold pytorch-fid's statistics of that network's features (a 2048-d FID
    # costs tens of seconds on this CPU, so none is computed).
    b = np.flip(pattern_images(24, 3, 20, 20).numpy(), axis=2).copy()
    np.save(tmp_path / "b.npy", b)
    with pytest.warns(UserWarning):
        save_source_stats(tmp_path / "b.npy", tmp_path / "b.npz", extractor=inception)
    stats = read_stats(tmp_path / "b.npz")
    mu, sigma = pytorch_fid_stats(inception.features(torch.from_numpy(b)))
    assert stats.mu.shape == (2048,) and stats.sigma.shape == (2048, 2048)
    np.testing.assert_allclose(stats.mu, mu, rtol=0, atol=1e-9)
    np.testing.assert_allclose(stats.sigma, sigma, rtol=0, atol=1e-9)
    assert stats.extractor == inception.hash and stats.n == 24


def test_api_save_stats_and_score_images_match_the_reference_formula(
    tmp_path, images, stub_extractor, monkeypatch
):
    from gankit import api

    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    a, b = images
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    written = api.save_stats(tmp_path / "b.npy", tmp_path / "b.npz", n=30)
    assert written["n"] == 30 and is_stats_file(tmp_path / "b.npz")
    expected = pytorch_fid_distance(
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(a))),
        *pytorch_fid_stats(stub_extractor.features(torch.from_numpy(b[:30]))),
    )
    from_file = api.score_images(tmp_path / "a.npy", tmp_path / "b.npz")
    assert abs(from_file["fid"] - expected) <= 1e-6
    with pytest.raises(MetricError, match="statistics file"):
        api.score_images(tmp_path / "a.npy", tmp_path / "b.npz", metrics=["fid", "kid"])
