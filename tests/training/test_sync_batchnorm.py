"""train.sync_bn: converted only across CUDA processes, refused in one sentence on CPU ones."""

from __future__ import annotations

import pytest
from torch import nn

from gankit.errors import ConfigError
from gankit.training.distributed import DistContext, convert_sync_batchnorm


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
