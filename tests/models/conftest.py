"""Layer / model tests run tiny tensors: one intra-op thread is faster than two (no OpenMP
hand-off) and keeps the shared CI machine responsive."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def tiny_config(
    arch: str = "dcgan",
    *,
    conditioning: str = "none",
    width: int = 8,
    z_dim: int = 16,
    embed_dim: int | None = None,
    **net_options,
):
    """A ModelConfig with both networks of ``arch`` at tiny width (options go to both)."""
    from gankit.config import ModelConfig, NetConfig

    return ModelConfig(
        z_dim=z_dim,
        conditioning=conditioning,
        embed_dim=z_dim if embed_dim is None else embed_dim,
        generator=NetConfig(arch=arch, width=width, **net_options),
        discriminator=NetConfig(arch=arch, width=width, activation="leaky_relu", **net_options),
    )


@pytest.fixture
def make_cfg():
    return tiny_config
