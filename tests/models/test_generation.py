"""One home for generation: latents then labels from one stream, batched uint8 output."""

from __future__ import annotations

import torch
from torch import nn

from gankit.models.generation import draw_inputs, generate, seeded_batches


class _Echo(nn.Module):
    """Image = latent mean (+ label / 10) everywhere: outputs reveal the inputs they got."""

    z_dim = 4
    num_classes = 3

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        self.calls.append(len(z))
        value = z.mean(dim=1).tanh() * 0.5 + (0 if y is None else y.float() / 10)
        return value.view(-1, 1, 1, 1).expand(-1, 1, 2, 2)


def test_draw_inputs_draws_z_then_uniform_labels_from_one_stream() -> None:
    z, y = draw_inputs(5, 4, 3, rng=torch.Generator().manual_seed(7))
    ref = torch.Generator().manual_seed(7)
    assert torch.equal(z, torch.randn(5, 4, generator=ref))
    assert y is not None and torch.equal(y, torch.randint(0, 3, (5,), generator=ref))
    assert draw_inputs(2, 4, 0, rng=torch.Generator())[1] is None
    fixed = torch.tensor([2, 0])
    z2, y2 = draw_inputs(2, 4, 3, rng=torch.Generator().manual_seed(7), labels=fixed)
    assert y2 is fixed
    assert torch.equal(z2, torch.randn(2, 4, generator=torch.Generator().manual_seed(7)))


def test_draw_inputs_without_rng_follows_the_global_seed() -> None:
    torch.manual_seed(3)
    a = draw_inputs(3, 2, 5)
    torch.manual_seed(3)
    b = draw_inputs(3, 2, 5)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_generate_batches_returns_uint8_and_restores_the_mode() -> None:
    g = _Echo().train()
    z, y = draw_inputs(7, 4, 3, rng=torch.Generator().manual_seed(0))
    out = generate(g, z, y, batch_size=3)
    assert g.calls == [3, 3, 1] and g.training
    assert out.dtype == torch.uint8 and out.shape == (7, 1, 2, 2)
    whole = generate(_Echo(), z, y, batch_size=100)
    assert torch.equal(out, whole)  # batching does not change the images


def test_seeded_batches_are_reproducible_and_per_batch() -> None:
    a = torch.cat(list(seeded_batches(_Echo(), 5, batch_size=2, seed=1, device="cpu")))
    b = torch.cat(list(seeded_batches(_Echo(), 5, batch_size=2, seed=1, device="cpu")))
    c = torch.cat(list(seeded_batches(_Echo(), 5, batch_size=2, seed=2, device="cpu")))
    assert a.shape == (5, 1, 2, 2) and torch.equal(a, b) and not torch.equal(a, c)
    rng = torch.Generator().manual_seed(1)
    z0, y0 = draw_inputs(2, 4, 3, rng=rng)  # the first batch's inputs, drawn the same way
    assert torch.equal(a[:2], _Echo()(z0, y0))
