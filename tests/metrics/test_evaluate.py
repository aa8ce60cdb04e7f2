from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.errors import MetricError
from gankit.metrics.evaluate import evaluate_generator, evaluate_images
from gankit.metrics.image_sets import load_image_set

from .conftest import StubExtractor, pattern_images


@pytest.fixture
def nchw():
    return pattern_images(5, 3, 6, 7).numpy()


# ------------------------------------------------------------------------------- load_image_set


def test_npy_nhwc_and_nchw_load_to_nchw(tmp_path, nchw):
    np.save(tmp_path / "nchw.npy", nchw)
    np.save(tmp_path / "nhwc.npy", nchw.transpose(0, 2, 3, 1))
    for name in ("nchw.npy", "nhwc.npy"):
        images = load_image_set(tmp_path / name)
        assert images.dtype == torch.uint8 and images.shape == (5, 3, 6, 7)
        np.testing.assert_array_equal(images.numpy(), nchw)


def test_npz_picks_the_images_key_or_the_first_array(tmp_path, nchw):
    np.savez(tmp_path / "a.npz", labels=np.zeros(5), images=nchw)
    np.savez(tmp_path / "b.npz", nchw)
    for name in ("a.npz", "b.npz"):
        np.testing.assert_array_equal(load_image_set(tmp_path / name).numpy(), nchw)


def test_grey_arrays_get_one_channel_and_rgba_loses_alpha(tmp_path):
    grey = np.arange(4 * 9 * 9, dtype=np.uint8).reshape(4, 9, 9)
    assert load_image_set(grey).shape == (4, 1, 9, 9)
    rgba = np.zeros((2, 5, 5, 4), dtype=np.uint8)
    assert load_image_set(rgba).shape == (2, 3, 5, 5)


def test_folder_of_pngs(tmp_path, nchw):
    (tmp_path / "sub").mkdir()
    for i, image in enumerate(nchw):
        Image.fromarray(image.transpose(1, 2, 0)).save(tmp_path / "sub" / f"{i:03d}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    images = load_image_set(tmp_path)
    np.testing.assert_array_equal(images.numpy(), nchw)
    assert load_image_set(tmp_path, n=2).shape == (2, 3, 6, 7)


def test_folder_of_grey_pngs_stays_grey(tmp_path):
    for i in range(3):
        Image.fromarray(np.full((4, 4), i * 50, dtype=np.uint8)).save(tmp_path / f"{i}.png")
    images = load_image_set(tmp_path)
    assert images.shape == (3, 1, 4, 4) and images[2, 0, 0, 0] == 100


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((2, 8, 8, 3), dtype=np.float32), "uint8"),
        (np.zeros((2, 8, 8, 5), dtype=np.uint8), "colour channels"),
        (np.zeros((8, 8), dtype=np.uint8), "shape"),
        (np.zeros((0, 3, 8, 8), dtype=np.uint8), "no images"),
    ],
)
def test_bad_arrays_name_the_problem(array, message):
    with pytest.raises(MetricError, match=message):
        load_image_set(array)


def test_bad_paths_name_the_problem(tmp_path):
    with pytest.raises(MetricError, match="does not exist"):
        load_image_set(tmp_path / "missing.npz")
    with pytest.raises(MetricError, match="no images"):
        load_image_set(tmp_path)
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(MetricError, match="neither a folder"):
        load_image_set(tmp_path / "x.txt")
    np.save(tmp_path / "bad.npy", np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(MetricError, match="cannot read"):
        load_image_set(tmp_path / "bad.npy")


def test_dataset_spec_goes_to_the_dataset_loader(monkeypatch):
    seen = []

    def fake(spec, n=None, root=None):
        seen.append((spec, n))
        return torch.zeros(3, 1, 4, 4, dtype=torch.uint8)

    monkeypatch.setattr("gankit.metrics.image_sets.load_split_images", fake)
    assert load_image_set("fashion-mnist:test", n=3).shape == (3, 1, 4, 4)
    assert seen == [("fashion-mnist:test", 3)]


# ------------------------------------------------------------------------------- evaluation


class TinyGenerator(torch.nn.Module):
    z_dim = 4

    def __init__(self, num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.linear = torch.nn.Linear(4 + max(num_classes, 1), 64)
        self.labels: list[torch.Tensor] = []

    def forward(self, z, y=None):
        if self.num_classes:
            assert y is not None
            self.labels.append(y)
            onehot = torch.nn.functional.one_hot(y, self.num_classes).float()
        else:
            assert y is None
            onehot = torch.zeros(len(z), 1)
        return torch.tanh(self.linear(torch.cat([z, onehot], 1))).view(-1, 1, 8, 8)


def test_evaluate_generator_reports_values_n_and_reference(
    fake_reference, stub_extractor, tmp_path
):
    generator = TinyGenerator(num_classes=3).train()
    with pytest.warns(UserWarning, match="2048"):
        result = evaluate_generator(
            generator,
            metrics=["fid", "kid", "pr", "is"],
            n=40,
            ref="toy:test",
            batch_size=16,
            extractor=stub_extractor,
            cache_dir=tmp_path,
        )
    for key in ("fid", "kid", "kid_std", "precision", "recall", "is", "is_std"):
        assert np.isfinite(result[key]), key
    assert result["fid"] > 0
    assert (result["n_gen"], result["ref"], result["n_ref"]) == (40, "toy:test", 40)
    assert generator.training  # mode restored
    labels = torch.cat(generator.labels)
    assert len(labels) == 40 and set(labels.tolist()) == {0, 1, 2}


def test_evaluate_generator_is_seeded(fake_reference, stub_extractor, tmp_path):
    generator = TinyGenerator()
    kwargs = dict(metrics="kid", n=30, ref="toy:test", extractor=stub_extractor, cache_dir=tmp_path)
    assert evaluate_generator(generator, **kwargs) == evaluate_generator(generator, **kwargs)
    other = evaluate_generator(generator, seed=1, **kwargs)
    assert other["kid"] != evaluate_generator(generator, **kwargs)["kid"]


def test_protocol_names_set_n_and_keep_both_sizes(fake_reference, stub_extractor, tmp_path):
    with pytest.warns(UserWarning):
        result = evaluate_generator(
            TinyGenerator(),
            metrics=["fid1k_full", "kid", "fid", "kid"],
            n=20,
            ref="toy:test",
            extractor=stub_extractor,
            cache_dir=tmp_path,
            batch_size=300,
        )
    assert result["n_gen"] == 1000 and result["n_ref"] == 60  # the full split
    assert {"fid1k_full", "fid", "kid", "kid_std"} <= set(result)
    assert result["fid1k_full"] != result["fid"]


def test_evaluate_generator_refuses_tiny_n(stub_extractor):
    with pytest.raises(MetricError, match="n >= 2"):
        evaluate_generator(TinyGenerator(), metrics="fid", n=1, extractor=stub_extractor)


def test_evaluate_images_on_arrays(stub_extractor):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (30, 8, 8, 1), dtype=np.uint8)
    b = rng.integers(0, 128, (30, 1, 8, 8), dtype=np.uint8)
    with pytest.warns(UserWarning):
        same = evaluate_images(
            a, a.transpose(0, 3, 1, 2), metrics=["fid", "kid"], extractor=stub_extractor
        )
        different = evaluate_images(a, b, metrics=["fid", "kid"], extractor=stub_extractor)
    assert same["fid"] == pytest.approx(0.0, abs=1e-6)
    assert different["fid"] > 1.0 and different["kid"] > same["kid"]
    assert (different["n_a"], different["n_ref"]) == (30, 30)


def test_real_inception_end_to_end(inception, tmp_path):
    a = pattern_images(4, 1, 28, 28)
    np.save(tmp_path / "b.npy", pattern_images(4, 3, 20, 20).numpy().transpose(0, 2, 3, 1))
    # FID is left out: the 2048x2048 eigenvalue problem alone takes seconds on this CPU, and its
    # maths is tested on small matrices in test_fid.py.
    result = evaluate_images(a, tmp_path / "b.npy", metrics=["kid", "pr"], extractor=inception)
    assert result["kid"] > 0.01 and 0.0 <= result["precision"] <= 1.0
    assert result["extractor"] == inception.hash and result["n_ref"] == 4


def test_is_without_logits_fails_before_generating(stub_extractor):
    stub_extractor.has_logits = False
    generator = TinyGenerator()
    with pytest.raises(MetricError, match=r"inception-2015-12-05\.pt"):
        evaluate_generator(generator, metrics="fid,is", n=10, extractor=stub_extractor)
    assert stub_extractor.calls == 0


def test_split_against_split_uses_the_cache_on_both_sides(fake_reference, stub_extractor, tmp_path):
    # e.g. FID of fashion-mnist:train vs fashion-mnist:test, 10k each
    kwargs = dict(metrics="fid10k", extractor=stub_extractor, cache_dir=tmp_path)
    with pytest.warns(UserWarning):
        first = evaluate_images("toy:train", "toy:test", **kwargs)
        assert stub_extractor.calls == 2
        second = evaluate_images("toy:train", "toy:test", **kwargs)
    assert stub_extractor.calls == 2 and first == second
    assert (first["a"], first["ref"], first["n_a"], first["n_ref"]) == (
        "toy:train",
        "toy:test",
        60,
        60,
    )


class _RecordingExtractor(StubExtractor):
    """The stub extractor, also keeping every image batch it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[torch.Tensor] = []

    def iter_features(self, images, **kwargs):
        self.images.append(torch.as_tensor(images).clone())
        return super().iter_features(images, **kwargs)


def test_overlapped_generation_scores_the_same_images_as_the_sequential_path(fake_reference):
    """A conditional DCGAN (oneDNN transposed convolutions, batch norm) generated in a producer
    thread gives bit-identical images, labels and scores."""
    from gankit.config import load_config
    from gankit.models import build_generator

    cfg = load_config("acgan-fashion", ["model.generator.width=8"])
    torch.manual_seed(0)
    generator = build_generator(cfg.model, image_shape=(1, 28, 28), num_classes=10)
    runs = {}
    for overlap in (False, True):
        extractor = _RecordingExtractor()
        with pytest.warns(UserWarning, match="2048"):
            result = evaluate_generator(
                generator,
                metrics=["fid", "kid"],
                n=50,
                batch_size=16,
                ref="toy:test",
                extractor=extractor,
                overlap=overlap,
            )
        generated = [batch for batch in extractor.images if batch.shape[-1] == 28]
        runs[overlap] = (result, torch.cat(generated))  # not the 8x8 reference
    (sequential, seq_images), (overlapped, ovl_images) = runs[False], runs[True]
    assert seq_images.shape == (50, 1, 28, 28)
    assert torch.equal(seq_images, ovl_images)
    assert overlapped == sequential


def test_bf16_scores_against_the_cached_fp32_reference(fake_reference, stub_extractor, tmp_path):
    kwargs = dict(metrics="kid", n=30, ref="toy:test", extractor=stub_extractor, cache_dir=tmp_path)
    bf16 = evaluate_generator(TinyGenerator(), precision="bf16", **kwargs)
    fp32 = evaluate_generator(TinyGenerator(), **kwargs)
    # bf16 generated side, fp32 reference (cached), then fp32 generated side from the cache
    assert stub_extractor.precisions == ["bf16", "fp32", "fp32"]
    assert (fp32["feature_precision"], bf16["feature_precision"]) == ("fp32", "bf16")
    assert not list(tmp_path.glob("*-bf16-*")) and len(list(tmp_path.glob("*-fp32-*.npy"))) == 1


def test_overlap_defaults_off_on_cpu_and_moves_generation_to_a_thread_when_on(stub_extractor):
    import threading

    from gankit.metrics.evaluate import generator_features

    class ThreadRecorder(TinyGenerator):
        def forward(self, z, y=None):
            self.threads.append(threading.get_ident())
            return super().forward(z, y)

    generator = ThreadRecorder()
    generator.threads = []
    default = generator_features(generator, 20, stub_extractor, batch_size=8)
    assert set(generator.threads) == {threading.get_ident()}
    generator.threads = []
    overlapped = generator_features(generator, 20, stub_extractor, batch_size=8, overlap=True)
    assert len(generator.threads) == 3 and threading.get_ident() not in generator.threads
    np.testing.assert_array_equal(default.features, overlapped.features)


# ------------------------------------------------------------------ folders through gankit.data


def test_folders_are_read_by_the_data_reader_with_its_decode_cache(tmp_path, monkeypatch):
    from gankit.data import folder as folder_module

    decoded = []
    real = folder_module._decode_folder
    monkeypatch.setattr(
        folder_module, "_decode_folder", lambda *args: decoded.append(1) or real(*args)
    )
    root = tmp_path / "images"
    for split in ("train", "test"):  # a split folder is scored whole
        (root / split).mkdir(parents=True)
        for i in range(2):
            value = 40 * i + (100 if split == "test" else 0)
            Image.fromarray(np.full((5, 5), value, np.uint8)).save(root / split / f"{i}.png")
    Image.fromarray(np.full((5, 5), 7, np.uint8)).save(root / "train" / "2.pgm")  # training's
    first = load_image_set(root)
    assert first.shape == (5, 1, 5, 5) and sorted(first[:, 0, 0, 0].tolist()) == [
        0,
        7,
        40,
        100,
        140,
    ]
    second = load_image_set(root)
    assert torch.equal(first, second) and len(decoded) == 1  # the second read hit the cache
