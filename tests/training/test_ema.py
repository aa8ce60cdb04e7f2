"""EMA of generator weights: closed-form update, copying, buffers, start, wrappers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.training.checkpoint import unwrap as unwrap_model
from gankit.training.ema import EMA


def make_net() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def perturb(net: nn.Module) -> None:
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    net.train()
    net(torch.randn(8, 3))  # moves BN running stats and num_batches_tracked


def test_copy_is_frozen_eval_and_independent():
    net = make_net()
    ema = EMA(net, decay=0.9)
    assert not ema.module.training
    assert all(not p.requires_grad for p in ema.module.parameters())
    assert ema.module[0].weight.data_ptr() != net[0].weight.data_ptr()


def test_one_step_equals_closed_form_and_buffers_copied():
    torch.manual_seed(0)
    net = make_net()
    ema = EMA(net, decay=0.9)
    before = {k: v.clone() for k, v in ema.module.state_dict().items()}
    perturb(net)
    ema.update(net)
    for (name, p_ema), (_, p) in zip(
        ema.module.named_parameters(), net.named_parameters(), strict=True
    ):
        expected = 0.9 * before[name] + 0.1 * p.detach()
        assert torch.allclose(p_ema, expected, atol=1e-6), name
    for (name, b_ema), (_, b) in zip(ema.module.named_buffers(), net.named_buffers(), strict=True):
        assert torch.equal(b_ema, b), name
    assert ema.module[1].num_batches_tracked.item() == 1


def test_decay_zero_copies_and_start_delays_averaging():
    torch.manual_seed(0)
    net = make_net()
    ema = EMA(net, decay=0.0)
    perturb(net)
    ema.update(net)
    for p_ema, p in zip(ema.module.parameters(), net.parameters(), strict=True):
        assert torch.equal(p_ema, p)

    delayed = EMA(net, decay=0.99, start_step=10)
    perturb(net)
    delayed.update(net, step=3)  # before start: plain copy
    assert torch.equal(delayed.module[0].weight, net[0].weight)
    old = delayed.module[0].weight.clone()
    perturb(net)
    delayed.update(net, step=10)  # from start on: averaging
    assert torch.allclose(delayed.module[0].weight, 0.99 * old + 0.01 * net[0].weight, atol=1e-6)


def test_state_dict_round_trip():
    torch.manual_seed(0)
    net = make_net()
    ema = EMA(net, decay=0.5, start_step=2)
    perturb(net)
    ema.update(net, step=5)
    state = ema.state_dict()
    other = EMA(make_net(), decay=0.1)
    other.load_state_dict(state)
    assert (other.decay, other.start_step, other.num_updates) == (0.5, 2, 1)
    for a, b in zip(
        other.module.state_dict().values(), ema.module.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    # after loading, updates still write into the module used for sampling
    perturb(net)
    other.update(net, step=5)
    assert torch.allclose(
        other.module[0].weight, 0.5 * state["module"]["0.weight"] + 0.5 * net[0].weight
    )


def test_unwraps_dataparallel_and_compiled_modules():
    net = make_net()
    compiled = torch.compile(net)  # lazily compiled: nothing is built until a forward call
    assert unwrap_model(compiled) is net
    assert unwrap_model(nn.DataParallel(net)) is net
    ema = EMA(compiled, decay=0.9)
    assert isinstance(ema.module, nn.Sequential)
    assert list(ema.module.state_dict()) == list(net.state_dict())
    ema.update(nn.DataParallel(net))


def test_rejects_bad_decay():
    with pytest.raises(ValueError):
        EMA(make_net(), decay=1.0)


class BNGenerator(nn.Module):
    """z -> Linear -> BatchNorm1d: the running statistics are the linear layer's output moments."""

    z_dim = 3

    def __init__(self, num_classes: int = 0) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4, momentum=0.1)
        self.num_classes = num_classes
        self.seen_labels: list[torch.Tensor] = []

    def sample_latent(self, n, generator=None, device=None):
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z, y=None):
        if y is not None:
            self.seen_labels.append(y)
        return self.bn(self.linear(z))


def test_recalibrate_batch_norm_fits_statistics_to_the_averaged_weights():
    torch.manual_seed(0)
    live = BNGenerator()
    ema = EMA(live, decay=0.5)
    with torch.no_grad():
        live.linear.weight.add_(1.0)
        live.bn.running_mean.fill_(7.0)  # statistics of the live weights, wrong for the average
    ema.update(live)
    assert torch.equal(ema.module.bn.running_mean, live.bn.running_mean)  # copied
    assert ema.recalibrate_batch_norm(batch_size=8, batches=5, seed=3) is True
    rng = torch.Generator().manual_seed(3)
    z = torch.cat([torch.randn(8, 3, generator=rng) for _ in range(5)])
    with torch.no_grad():
        h = ema.module.linear(z)
    per_batch_var = torch.stack([c.var(0, unbiased=True) for c in h.split(8)]).mean(0)
    torch.testing.assert_close(ema.module.bn.running_mean, h.mean(0), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ema.module.bn.running_var, per_batch_var, rtol=1e-5, atol=1e-6)
    assert not ema.module.training and ema.module.bn.momentum == 0.1


def test_recalibrate_draws_uniform_labels_and_skips_models_without_batch_norm():
    gen = BNGenerator(num_classes=5)
    ema = EMA(gen)
    ema.recalibrate_batch_norm(batch_size=200, num_classes=5, batches=1)
    labels = ema.module.seen_labels[0]
    assert labels.shape == (200,) and set(labels.tolist()) == set(range(5))
    plain = EMA(nn.Linear(3, 3))
    assert plain.recalibrate_batch_norm(batch_size=4) is False


def test_recalibration_runs_once_per_update_and_again_after_one():
    gen = BNGenerator(num_classes=5)
    ema = EMA(gen)
    ema.recalibrate_batch_norm(batch_size=4, num_classes=5, batches=2)
    ema.recalibrate_batch_norm(batch_size=4, num_classes=5, batches=2)  # same weights: no work
    assert len(ema.module.seen_labels) == 2
    ema.recalibrate_batch_norm(batch_size=8, num_classes=5, batches=2)  # other arguments: redo
    assert len(ema.module.seen_labels) == 4
    ema.update(gen)  # copies the live statistics back: the next call must recompute
    ema.recalibrate_batch_norm(batch_size=8, num_classes=5, batches=2)
    assert len(ema.module.seen_labels) == 6
    ema.load_state_dict(ema.state_dict())
    ema.recalibrate_batch_norm(batch_size=8, num_classes=5, batches=2)
    assert len(ema.module.seen_labels) == 8
