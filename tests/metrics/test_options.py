"""The one options object every metric call passes down."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from gankit.errors import MetricError
from gankit.metrics import cache as cache_module
from gankit.metrics.evaluate import evaluate_generator
from gankit.metrics.options import MetricOptions

from .test_evaluate import TinyGenerator


def test_options_are_frozen_validated_and_the_reference_side_is_fp32():
    options = MetricOptions(protocol="clean", precision="bf16", batch_size=8, progress=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.precision = "fp32"  # type: ignore[misc]
    reference = options.for_reference()
    assert reference.precision == "fp32" and options.precision == "bf16"
    assert dataclasses.replace(reference, precision="bf16") == options
    assert options.version == "clean-pilbicubic299-v1"
    with pytest.raises(MetricError, match="unknown protocol 'tf2'"):
        MetricOptions(protocol="tf2")
    with pytest.raises(MetricError, match="batch size"):
        MetricOptions(batch_size=0)


def test_keywords_reach_the_extractor_through_the_options(stub_extractor, monkeypatch, tmp_path):
    images = torch.randint(
        0, 256, (30, 1, 8, 8), generator=torch.Generator().manual_seed(2), dtype=torch.uint8
    )
    monkeypatch.setattr(
        cache_module,
        "load_split_images",
        lambda spec, n=None, root=None: images if n is None else images[:n],
    )
    result = evaluate_generator(
        TinyGenerator(),
        metrics="kid",
        n=20,
        ref="toy:test",
        precision="bf16",
        protocol="clean",
        batch_size=7,
        extractor=stub_extractor,
        cache_dir=tmp_path,
    )
    # generated side: 3 batches of <= 7 at bf16; reference side: the 20 images of the cached
    # split, also in batches of <= 7, at fp32
    assert stub_extractor.precisions == ["bf16"] * 3 + ["fp32"] * 3
    assert stub_extractor.protocols == ["clean"] * 6
    assert result["feature_precision"] == "bf16" and result["protocol"] == "clean-pilbicubic299-v1"
    assert len(list(tmp_path.glob("*-clean-pilbicubic299-v1-fp32-*.npy"))) == 1
