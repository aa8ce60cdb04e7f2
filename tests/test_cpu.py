"""bf16 on CPUs without native support: computed correctly, but the user is told it is slow."""

from __future__ import annotations

import warnings

import pytest
import torch

from gankit import cpu
from gankit.training import precision


def test_native_bf16_probe_agrees_with_onednn():
    assert cpu.has_native_bf16() is bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@pytest.mark.parametrize("native", [True, False])
def test_bf16_training_warns_only_where_it_is_emulated(monkeypatch, native):
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        factory = precision.autocast_factory("bf16", torch.device("cpu"))
    assert any("no native bf16" in str(w.message) for w in caught) is not native
    with factory():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


def test_fp32_training_never_warns(monkeypatch):
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision.autocast_factory("fp32", torch.device("cpu"))
