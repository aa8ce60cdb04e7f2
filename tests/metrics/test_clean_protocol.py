"""``--protocol clean``: clean-fid's PIL bicubic resize, checked against PIL itself, and the
protocol carried into results, statistics files and the reference cache keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.errors import MetricError
from gankit.metrics import cache as cache_module
from gankit.metrics import evaluate as evaluate_module
from gankit.metrics.cache import reference_cache_key
from gankit.metrics.evaluate import evaluate_images, save_source_stats
from gankit.metrics.preprocess import PROTOCOLS, inception_input
from gankit.metrics.resize import pil_bicubic_matrix, resize_clean
from gankit.metrics.stats_file import read_stats

from .conftest import pattern_images


def pil_resize(channel: np.ndarray, size: int) -> np.ndarray:
    """PIL's bicubic resize of one float32 channel (mode "F"), as clean-fid calls it."""
    image = Image.fromarray(channel.astype(np.float32))
    assert image.mode == "F"
    return np.asarray(image.resize((size, size), resample=Image.Resampling.BICUBIC))


def clean_fid_input(images: np.ndarray) -> np.ndarray:
    """clean-fid's 'clean' pipeline for uint8 [N, C, H, W]: RGB, per-channel PIL bicubic to 299
    as float, clip to [0, 255], then the network's (x - 128) / 128."""
    out = []
    for image in images:
        rgb = np.repeat(image, 3, axis=0) if image.shape[0] == 1 else image
        out.append(np.stack([np.clip(pil_resize(ch, 299), 0, 255) for ch in rgb]))
    return (np.stack(out).astype(np.float64) - 128.0) / 128.0


@pytest.mark.parametrize(
    ("h", "w", "size"), [(28, 28, 299), (32, 32, 299), (20, 13, 299), (600, 450, 299), (64, 9, 17)]
)
def test_matrices_reproduce_pil_including_antialiased_shrinking(h, w, size):
    x = np.random.default_rng(h * w).integers(0, 256, (h, w)).astype(np.float32)
    ours = pil_bicubic_matrix(h, size) @ x.astype(np.float64) @ pil_bicubic_matrix(w, size).T
    # PIL accumulates in double and stores float32 between its two passes
    np.testing.assert_allclose(ours, pil_resize(x, size), rtol=0, atol=2e-3)


def test_shrinking_is_antialiased_not_sampled():
    # A 1-pixel checkerboard shrunk 4x: point sampling keeps its contrast, an antialiased filter
    # averages it to grey.
    board = (np.indices((400, 400)).sum(0) % 2 * 255).astype(np.float64)
    small = pil_bicubic_matrix(400, 100) @ board @ pil_bicubic_matrix(400, 100).T
    assert np.abs(small[2:-2, 2:-2] - 127.5).max() < 1.0


def test_inception_input_clean_is_clean_fids_pipeline():
    images = torch.cat([pattern_images(2, 3, 28, 28), torch.zeros(1, 3, 28, 28, dtype=torch.uint8)])
    images[2, :, 10:18, 10:18] = 255  # a sharp square: bicubic overshoots, clipping matters
    got = inception_input(images, protocol="clean", channels_last=False).double().numpy()
    np.testing.assert_allclose(got, clean_fid_input(images.numpy()), rtol=0, atol=1e-4)
    grey = pattern_images(2, 1, 28, 28)
    got = inception_input(grey, protocol="clean", channels_last=False).double().numpy()
    np.testing.assert_allclose(got, clean_fid_input(grey.numpy()), rtol=0, atol=1e-4)
    tf1 = inception_input(grey, channels_last=False).double().numpy()
    assert np.abs(tf1 - got).max() > 0.05  # the protocols really differ


def test_resize_clean_clips_and_unknown_protocols_are_refused():
    x = torch.tensor([[[[0.0, 255.0], [255.0, 0.0]]]])
    out = resize_clean(x, 9)
    assert out.min() >= 0.0 and out.max() <= 255.0
    with pytest.raises(MetricError, match="unknown protocol 'legacy'"):
        inception_input(torch.zeros(1, 1, 8, 8, dtype=torch.uint8), protocol="legacy")


def test_results_name_the_protocol_and_the_cache_keys_on_it(monkeypatch, stub_extractor, tmp_path):
    assert reference_cache_key("cifar10:train", None, "h", "fp32", protocol="clean") != (
        reference_cache_key("cifar10:train", None, "h", "fp32")
    )
    assert PROTOCOLS["clean"] in reference_cache_key("x:test", 5, "h", "fp32", protocol="clean")
    images = pattern_images(30, 1, 8, 8)
    monkeypatch.setattr(cache_module, "load_split_images", lambda spec, n=None, root=None: images)
    a = np.flip(pattern_images(30, 1, 8, 8).numpy(), axis=3).copy()
    kwargs = dict(metrics="kid", extractor=stub_extractor, cache_dir=tmp_path)
    tf1 = evaluate_images(a, "toy:test", **kwargs)
    clean = evaluate_images(a, "toy:test", protocol="clean", **kwargs)
    assert (tf1["protocol"], clean["protocol"]) == (PROTOCOLS["tf1"], PROTOCOLS["clean"])
    assert stub_extractor.protocols == ["tf1", "tf1", "clean", "clean"]  # A and reference each
    assert len(list(tmp_path.glob("*.npy"))) == 2  # one cache entry per protocol
    again = evaluate_images(a, "toy:test", protocol="clean", **kwargs)
    assert len(stub_extractor.protocols) == 5  # the clean reference came from its cache entry
    assert again == clean and tf1["kid"] != clean["kid"]


def test_stats_files_carry_the_protocol(tmp_path, stub_extractor):
    np.save(tmp_path / "a.npy", pattern_images(20, 1, 8, 8).numpy())
    with pytest.warns(UserWarning):
        save_source_stats(
            tmp_path / "a.npy", tmp_path / "s.npz", extractor=stub_extractor, protocol="clean"
        )
    assert read_stats(tmp_path / "s.npz").protocol == PROTOCOLS["clean"]
    b = pattern_images(20, 1, 8, 8).numpy()
    with pytest.raises(MetricError, match="pass the matching --protocol"):
        evaluate_images(b, tmp_path / "s.npz", extractor=stub_extractor)
    with pytest.warns(UserWarning):
        same = evaluate_images(b, tmp_path / "s.npz", extractor=stub_extractor, protocol="clean")
    assert same["fid"] == pytest.approx(0.0, abs=1e-6)


def test_cli_protocol_option(tmp_path, stub_extractor, monkeypatch, capsys):
    import json

    monkeypatch.setattr(evaluate_module, "get_extractor", lambda *a, **k: stub_extractor)
    np.save(tmp_path / "a.npy", pattern_images(20, 1, 8, 8).numpy())
    a = str(tmp_path / "a.npy")
    assert main(["fid", a, a, "--protocol", "clean", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["protocol"] == PROTOCOLS["clean"]
    assert stub_extractor.protocols == ["clean", "clean"]
    with pytest.raises(SystemExit):
        main(["fid", a, a, "--protocol", "legacy"])


@pytest.mark.slow
def test_real_inception_features_under_clean_are_the_network_on_clean_fids_input(inception):
    # The network itself is checked against the TorchScript file in test_extractor.py; here the
    # clean protocol must reach it: features == network(clean-fid's input built in this file).
    images = pattern_images(2, 1, 28, 28)
    net = inception._net(torch.float32)
    with torch.inference_mode():
        x = torch.from_numpy(clean_fid_input(images.numpy())).float()
        expected = net(x.contiguous(memory_format=torch.channels_last)).double().numpy()
    got = inception.features(images, protocol="clean")
    assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()
    tf1 = inception.features(images)
    assert np.abs(tf1 - got).max() > 1e-2 * np.abs(got).max()
