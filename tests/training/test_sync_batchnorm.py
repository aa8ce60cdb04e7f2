"""train.sync_bn: converted only across CUDA processes, refused in one sentence on CPU ones
(before any process joins a group or writes into the run directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist
from torch import nn

import gankit
from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.training.distributed import (
    SYNC_BN_ON_CPU,
    DistContext,
    check_sync_batchnorm,
    convert_sync_batchnorm,
)
from gankit.training.trainer import Trainer
from tests.conftest import TORCHRUN_2, tiny_overrides


def _net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())


def test_single_process_keeps_plain_batch_norm() -> None:
    net = _net()
    assert convert_sync_batchnorm(net, DistContext()) is net
    assert isinstance(net[1], nn.BatchNorm2d) and not isinstance(net[1], nn.SyncBatchNorm)


def test_cpu_processes_are_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"train\.sync_bn=false") as excinfo:
        convert_sync_batchnorm(_net(), DistContext(rank=0, world_size=2, device="cpu"))
    assert str(excinfo.value).count(". ") == 0  # one sentence


def test_cuda_processes_get_sync_batch_norm() -> None:
    # Conversion only rewrites modules; it needs no GPU and no process group.
    net = convert_sync_batchnorm(_net(), DistContext(rank=1, world_size=2, device="cuda:1"))
    assert isinstance(net[1], nn.SyncBatchNorm)
    assert isinstance(net[0], nn.Conv2d)


@pytest.mark.parametrize(
    ("world", "device", "refused"),
    [("2", "cpu", True), ("1", "cpu", False), ("2", "cuda", False)],
)
def test_early_check_reads_torchruns_world_size(monkeypatch, world, device, refused) -> None:
    monkeypatch.setenv("WORLD_SIZE", world)
    if refused:
        with pytest.raises(ConfigError, match=r"train\.sync_bn=false"):
            check_sync_batchnorm(True, device)
    else:
        check_sync_batchnorm(True, device)
    check_sync_batchnorm(False, device)  # off is always fine


def test_trainer_refuses_before_joining_a_group_or_writing(monkeypatch, tmp_path) -> None:
    """As under torchrun (WORLD_SIZE=2): no process group is formed, no folder is made."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    cfg = load_config(
        "dcgan-fashion", tiny_overrides(**{"train.sync_bn": "true", "train.device": "cpu"})
    )
    with pytest.raises(ConfigError, match=r"train\.sync_bn needs CUDA"):
        Trainer(cfg, tmp_path / "run", progress=False)
    assert not dist.is_initialized()
    assert not (tmp_path / "run").exists()


@pytest.mark.ddp  # torchrun with two processes
@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed unavailable")
def test_torchrun_cli_gives_one_sentence_per_rank(tmp_path) -> None:
    """``torchrun -m gankit train ... sync_bn=true`` on CPU: the sentence, from each rank that
    gets to print it, and no gankit traceback (torchrun reports the failed workers itself)."""
    sets = tiny_overrides(**{"train.sync_bn": "true", "train.device": "cpu"})
    cmd = [
        *TORCHRUN_2,
        "-m",
        "gankit",
        "train",
        "dcgan-fashion",
        *[a for s in sets for a in ("--set", s)],
        "--out",
        str(tmp_path / "run"),
        "--quiet",
    ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    # torchrun stops the other worker as soon as one exits non-zero, so on a busy CPU only the
    # first may get to print: one or two lines, each the sentence.
    assert lines and set(lines) == {f"error: {SYNC_BN_ON_CPU}"} and len(lines) <= 2, proc.stderr[
        -2000:
    ]
    assert "SyncBatchNorm expected" not in proc.stderr
    package = str(Path(gankit.__file__).parent)
    assert package not in proc.stderr  # no frame of gankit's code in any traceback
    assert not (tmp_path / "run").exists()
