"""TrainState round trip through a checkpoint file, and the stop flag of SIGINT / SIGTERM."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from torch import nn

from gankit.training.batches import InMemoryBatches
from gankit.training.checkpoint import save_checkpoint
from gankit.training.ema import EMA
from gankit.training.state import TrainState
from gankit.training.stop import StopRequest


def _state(seed: int) -> TrainState:
    torch.manual_seed(seed)
    g = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    d = nn.Linear(4, 1)
    return TrainState(
        g,
        d,
        torch.optim.Adam(g.parameters()),
        torch.optim.Adam(d.parameters()),
        None,
        EMA(g, decay=0.9, start_step=0),
        InMemoryBatches(32, 4, seed=seed),
    )


def _advance(state: TrainState) -> None:
    for net, opt in ((state.g, state.opt_g), (state.d, state.opt_d)):
        net(torch.randn(8, 4)).square().mean().backward()
        opt.step()
    assert state.ema is not None
    state.ema.update(state.g, 1)
    state.batches.next()
    state.step, state.wall_time, state.best_fid, state.lr_scale = 7, 12.5, 30.25, 0.5


def test_checkpoint_round_trip_restores_every_part(tmp_path: Path) -> None:
    saved = _state(0)
    _advance(saved)
    path = tmp_path / "last.pt"
    meta = {"config": {}, "image_shape": [4], "num_classes": 0}
    save_checkpoint(saved.state_dict(meta), path)

    loaded = _state(1)  # other weights, fresh optimizers, counters at zero
    loaded.load(path, torch.device("cpu"))
    for a, b in ((saved.g, loaded.g), (saved.d, loaded.d)):
        for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(x, y), name
    assert saved.ema is not None and loaded.ema is not None
    assert loaded.ema.num_updates == saved.ema.num_updates == 1
    ema_pairs = zip(
        saved.ema.module.state_dict().values(), loaded.ema.module.state_dict().values(), strict=True
    )
    assert all(torch.equal(x, y) for x, y in ema_pairs)
    for a, b in ((saved.opt_g, loaded.opt_g), (saved.opt_d, loaded.opt_d)):
        sa, sb = a.state_dict()["state"], b.state_dict()["state"]
        assert sa.keys() == sb.keys() and sa
        for key in sa:
            for k in ("step", "exp_avg", "exp_avg_sq"):
                assert torch.equal(sa[key][k], sb[key][k]), (key, k)
    assert loaded.batches.state_dict() == {"epoch": 0, "position": 1}
    counters = (loaded.step, loaded.wall_time, loaded.best_fid, loaded.lr_scale)
    assert counters == (7, 12.5, 30.25, 0.5)


def test_first_signal_sets_the_flag_and_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopRequest() as stop:
        assert stop.signal is None
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signal == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):  # a second signal stops at once
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) is before
