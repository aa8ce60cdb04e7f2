"""Shared fixtures: tiny configs and isolated cache/data folders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors run faster on one intra-op thread (no OpenMP hand-off)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def seeded() -> None:
    torch.manual_seed(0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that loads the real Inception network is marked ``inception``; one marked
    with a reason to be slow (``inception``, ``ddp``, ``network``) is also ``slow``, the one
    switch ``make test-fast`` skips by."""
    for item in items:
        if "inception" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.inception)
        if any(item.get_closest_marker(why) for why in ("inception", "ddp", "network")):
            item.add_marker(pytest.mark.slow)


FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

# ``torchrun --standalone --nproc_per_node=2`` from this interpreter: two CPU ranks on one host.
TORCHRUN_2 = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep every test's reference-statistics cache away from the user's."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path_factory.mktemp("cache")))


def tiny_overrides(**extra: object) -> list[str]:
    """Overrides that make any recipe train in well under a second per step."""
    base = {
        "data.name": "synthetic",
        "data.synthetic_n": 64,
        "data.synthetic_shape": "[1, 28, 28]",
        "model.generator.width": 8,
        "model.discriminator.width": 8,
        "model.z_dim": 16,
        "train.batch_size": 8,
        "train.steps": 4,
        "train.epochs": "null",
        "train.log_every": 2,
        "train.sample_n": 16,
        # auto's probe decides by timing, so two runs of one test could resolve differently;
        # tests of auto itself (tests/training/test_precision_auto.py) override this.
        "train.precision": "fp32",
    }
    base.update(extra)
    return [f"{k}={v}" for k, v in base.items()]


needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").exists(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)
