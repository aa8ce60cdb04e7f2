"""Benchmark scripts are files, not a package: tests load them by path.

Run as ``python benchmarks/X.py``, a script finds its siblings (``benchlib``, ``peer_dcgan``)
because Python puts the script's folder first on ``sys.path``. Here each loaded file is
registered in ``sys.modules`` under its own name instead, so those same imports resolve to the
modules the tests hold (and monkeypatch) without touching ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
# imported by other scripts, so loaded first, in this order (results_table imports curve_points)
SIBLINGS = ("benchlib", "peer_dcgan", "curve_points", "results_table")


def _load(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / f"{name}.py"
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "")) == path:
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_benchmark(name: str) -> ModuleType:
    """The module ``benchmarks/<name>.py``, imported from its file (once per session)."""
    for sibling in SIBLINGS:  # in order: results_table imports benchlib
        _load(sibling)
    return _load(name)
