"""bf16 on CPUs without native support: computed correctly, but the user is told it is slow."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import torch

from gankit import cpu
from gankit.errors import ConfigError
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


def test_cpu_model_is_the_model_name_line_of_proc_cpuinfo():
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        pytest.skip("no /proc/cpuinfo on this system")
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    if not names:
        pytest.skip("this /proc/cpuinfo names no model")
    assert cpu.cpu_model() == names[0] and cpu.cpu_model()


def test_usable_cores_follows_omp_num_threads_then_the_affinity_mask(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu.usable_cores() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert cpu.usable_cores() == len(os.sched_getaffinity(0))


def test_pick_device_refuses_cuda_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cpu.pick_device("auto") == torch.device("cpu")
    assert cpu.pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match=r"train\.device=cuda:1 but no CUDA device"):
        cpu.pick_device("cuda:1")
