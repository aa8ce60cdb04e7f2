"""A new loss, backbone, dataset, DiffAugment policy or metric is one new module: its package
imports every module it holds (gankit.registry.import_submodules), so nothing else lists it."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import gankit.data
import gankit.metrics
import gankit.models
import gankit.objectives
from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.objectives.diffaugment import POLICIES
from gankit.registry import import_submodules

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", [gankit.data, gankit.metrics, gankit.models, gankit.objectives])
def test_every_public_module_of_a_registering_package_is_imported(package) -> None:
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    assert names
    missing = [n for n in names if f"{package.__name__}.{n}" not in sys.modules]
    assert not missing, missing


def test_import_submodules_imports_a_new_module_in_name_order(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "demo_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("ORDER = []\n")
    for name in ("zeta", "alpha", "_private"):
        (pkg / f"{name}.py").write_text(f"from demo_pkg import ORDER\nORDER.append({name!r})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    demo = importlib.import_module("demo_pkg")
    try:
        import_submodules("demo_pkg")
        import_submodules("demo_pkg")  # a second call runs nothing again
        assert demo.ORDER == ["alpha", "zeta"]
    finally:
        for name in [m for m in sys.modules if m == "demo_pkg" or m.startswith("demo_pkg.")]:
            del sys.modules[name]


def test_the_contributing_guide_s_policy_example_registers_and_validates(tmp_path) -> None:
    """The DiffAugment example printed in CONTRIBUTING.md, run as the module it says it is."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    [code] = [c for c in re.findall(r"```python\n(.*?)```", text, re.S) if "register_policy" in c]
    with pytest.raises(ConfigError, match="flip"):
        load_config("best-cifar10", ["objective.diffaugment=translation,color,flip"])
    namespace: dict[str, object] = {}
    exec(compile(code, "diffaugment_flip.py", "exec"), namespace)
    try:
        cfg = load_config("best-cifar10", ["objective.diffaugment=translation,color,flip"])
        assert "flip" in str(cfg.objective.diffaugment)
        assert POLICIES.names()[-1] == "flip"  # applied after the built-ins
        import torch

        x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
        out = POLICIES.get("flip")(x)
        for i in range(2):  # each sample kept or mirrored as a whole
            assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(2))
    finally:
        POLICIES._entries.pop("flip")
