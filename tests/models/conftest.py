"""Layer / model tests run tiny tensors on one thread with a fixed seed (see tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_thread: None) -> None:
    """Apply the shared single-thread fixture to every test in this folder."""


@pytest.fixture(autouse=True)
def _seed(seeded: None) -> None:
    """Apply the shared seed fixture to every test in this folder."""


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
