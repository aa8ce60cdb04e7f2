"""The documentation site builds with `mkdocs build --strict`: a broken link, a broken anchor or
a page missing from the nav fails (make docs builds the same site into site/)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.docs.conftest import ROOT


def build(site_dir, config=ROOT / "mkdocs.yml") -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` into ``site_dir``. Not ``-q``: MkDocs 1.6 then stops counting
    warnings, and --strict passes a broken link."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(config),
            "-d",
            str(site_dir),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_site_builds_strictly(tmp_path):
    done = build(tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    # the README is the home page, its links rewritten to the site's pages and copied grids
    assert 'href="guide/#your-own-images"' in home
    assert 'src="benchmarks/grids/pretrained-best-fashion-classes.png"' in home
    grid = tmp_path / "site" / "benchmarks" / "grids" / "pretrained-best-fashion-classes.png"
    assert grid.is_file()
    for page in ("guide", "metrics", "reference", "results/cifar10", "contributing"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page
