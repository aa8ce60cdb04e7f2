"""Open the comparison report in headless Chromium: images decode, table renders, sorting works.

Skipped when Chromium is not installed. Each launch gets a fresh profile folder, no network
features, and its own process group that is killed afterwards so no renderer outlives the test.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gankit.viz.report import write_compare_report

from .conftest import build_run

pytestmark = pytest.mark.slow

TIMEOUT_S = 60


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed (no 'chromium' on PATH or /usr/bin/chromium); "
        "apt-get install chromium to run the browser test",
        allow_module_level=True,
    )


def _run_chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {TIMEOUT_S} s: {' '.join(cmd)}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # stray helper processes of this launch only
    assert proc.returncode == 0, err[-2000:]
    return out


def _body_data(dom: str) -> dict[str, str]:
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    a = build_run(root / "runs", "run-a", fids=[200.0, 42.25], best=True)
    b = build_run(root / "runs", "run-b", fids=[150.0, 55.5], recipe="wgan-gp-fashion")
    return write_compare_report([a, b], root / "report.html")


def test_report_images_load_and_table_renders(report, tmp_path):
    data = _body_data(_run_chromium(tmp_path, "--dump-dom", report.as_uri()))
    n_img = report.read_text().count("<img ")
    assert data["report-ready"] == "1"
    assert data["images-total"] == str(n_img) == "6"
    assert data["images-loaded"] == str(n_img)
    assert data["images-ok"] == "true"
    assert data["table-rows"] == "2"


def test_report_table_sorts_on_header_click(report, tmp_path):
    probe = """<script>
    (function () {
      var table = document.getElementById('runs');
      var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
      function th(name) { return heads.filter(function (h) { return h.textContent === name; })[0]; }
      function order() {
        return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
          return r.cells[0].textContent; }).join(',');
      }
      var d = document.body.dataset;
      th('FID').click(); d.fidAsc = order() + ':' + th('FID').getAttribute('aria-sort');
      th('FID').click(); d.fidDesc = order() + ':' + th('FID').getAttribute('aria-sort');
      th('recipe').click(); d.recipeAsc = order();
    })();
    </script></body>"""
    probed = tmp_path / "probe.html"
    probed.write_text(report.read_text().replace("</body>", probe))
    data = _body_data(_run_chromium(tmp_path, "--dump-dom", probed.as_uri()))
    assert data["fid-asc"] == "run-a,run-b:ascending"
    assert data["fid-desc"] == "run-b,run-a:descending"
    assert data["recipe-asc"] == "run-a,run-b"  # dcgan-fashion < wgan-gp-fashion


def test_report_screenshot(report, tmp_path):
    shot = tmp_path / "shot.png"
    _run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        rgb = np.asarray(im.convert("RGB"))
    non_white = (rgb < 240).any(axis=2).mean()
    assert non_white > 0.05  # table, plots and sample grids, not a blank page
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8)
    assert np.unique(packed | rgb[..., 2]).size > 50
