"""Layer / model tests run tiny tensors on one thread with a fixed seed (see tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_thread(one_thread: None) -> None:
    """Apply the shared single-thread fixture to every test in this folder."""


@pytest.fixture(autouse=True)
def _seed(seeded: None) -> None:
    """Apply the shared seed fixture to every test in this folder."""
