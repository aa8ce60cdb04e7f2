"""`gankit compare` over two tiny real runs: two table rows, every image inlined."""

from __future__ import annotations

import base64
import re

import pytest

from gankit.cli import main
from gankit.config import load_config
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides


@pytest.mark.slow  # trains two runs
def test_compare_two_tiny_runs(tmp_path) -> None:
    runs = []
    for recipe in ("dcgan-fashion", "mlp-gan-fashion"):
        run = tmp_path / recipe
        Trainer(
            load_config(recipe, tiny_overrides(**{"train.steps": 10})), run, progress=False
        ).fit()
        assert (run / "report.html").exists()
        runs.append(str(run))
    out = tmp_path / "report.html"
    assert main(["compare", *runs, "--out", str(out)]) == 0
    html = out.read_text()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr") == 2
    assert "dcgan-fashion" in body and "mlp-gan-fashion" in body
    sources = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert len(sources) >= 4  # a loss curve and a sample grid per run at least
    for src in sources:
        assert src.startswith("data:image/"), src[:40]
        payload = base64.b64decode(src.split(",", 1)[1])
        assert payload[:4] in (b"\x89PNG", b"GIF8")
    assert "http://" not in html and "https://" not in html
