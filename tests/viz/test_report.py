from __future__ import annotations

import base64
import io
import json
import re

import pytest
from PIL import Image

from gankit.errors import RunDirError
from gankit.viz.animation import build_run_gif
from gankit.viz.curves import plot_losses
from gankit.viz.report import write_compare_report, write_run_report
from gankit.viz.runs import read_metrics

from .conftest import train_rows, write_png

_IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*)\"")


def _table_rows(text: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", text, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]


def _check_images(text: str) -> list[str]:
    srcs = _IMG_SRC.findall(text)
    assert srcs and len(srcs) == text.count("<img ")
    formats = []
    for src in srcs:
        header, _, payload = src.partition(",")
        assert header in ("data:image/png;base64", "data:image/gif;base64"), header[:40]
        with Image.open(io.BytesIO(base64.b64decode(payload, validate=True))) as im:
            im.verify()
            formats.append(im.format)
    assert set(formats) <= {"PNG", "GIF"}
    return formats


def _assert_self_contained(text: str) -> None:
    assert "http://" not in text and "https://" not in text
    assert "<link" not in text and "<script src" not in text


def test_read_metrics_skips_torn_lines(make_run):
    rows = read_metrics(make_run("a") / "metrics.jsonl")
    assert len(rows) == 20 + 3 + 1
    assert read_metrics(make_run("b", metrics=False) / "metrics.jsonl") == []


def test_compare_report_two_runs(make_run, tmp_path):
    a = make_run("run-a", fids=[200.0, 42.25], best=True)
    b = make_run("run-b", fids=[150.0, 55.5, 61.0], recipe="wgan-gp-fashion")
    out = write_compare_report([a, b], tmp_path / "cmp" / "report.html")
    text = out.read_text()
    rows = _table_rows(text)
    assert len(rows) == 2
    assert rows[0][:3] == ["run-a", "dcgan-fashion", "fashion-mnist"]
    assert rows[1][1] == "wgan-gp-fashion"
    header = re.findall(r"<th[^>]*>(.*?)</th>", text)
    fid, best, kid, n, ref = (header.index(k) for k in ("FID", "best FID", "KID", "N", "ref"))
    assert rows[0][fid] == "42.25" and rows[1][fid] == "61.00" and rows[1][best] == "55.50"
    assert rows[0][kid] == "0.0423"  # 42.25 / 1000
    assert rows[0][n] == "2,048" and rows[0][ref] == "fashion-mnist:test (N=10000)"
    assert rows[0][header.index("steps")] == "200"
    assert rows[0][header.index("wall time")] == "40.0s"
    # FID curve + per run: loss curve, last grid; run-a also best grid
    assert _check_images(text) == ["PNG"] * 6
    assert text.count("<details>") >= 2
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in text and "<b>not bold" not in text
    assert "data-sort=" in text and "addEventListener('click'" in text
    _assert_self_contained(text)
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


def test_compare_report_degrades_for_runs_without_metrics(make_run, tmp_path):
    bare = make_run("config-only", metrics=False, epochs=0)
    metrics_only = make_run("metrics-only", config=False, epochs=0)
    out = write_compare_report([bare, metrics_only], tmp_path)  # a folder -> report.html in it
    assert out == tmp_path / "report.html"
    text = out.read_text()
    rows = _table_rows(text)
    assert rows[0][0] == "config-only" and rows[0][3:] == [""] * 10
    assert rows[1][1:3] == ["", ""] and rows[1][7] == "42.25"
    assert "No sample grids yet." in text and "No training rows logged yet." in text
    assert "No config.yaml." in text
    _check_images(text)


def test_compare_report_rejects_bad_run_dirs(make_run, tmp_path):
    good = make_run("good")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError, match="not a gankit run directory"):
        write_compare_report([good, tmp_path / "empty"], tmp_path / "r.html")
    with pytest.raises(RunDirError, match="does not exist"):
        write_compare_report([tmp_path / "missing"], tmp_path / "r.html")
    with pytest.raises(RunDirError):
        write_compare_report([], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_compare_report_same_names_are_told_apart(make_run, tmp_path):
    a = make_run("x")
    other = tmp_path / "elsewhere" / "x"
    other.parent.mkdir()
    a.rename(other)
    b = make_run("x")
    text = write_compare_report([other, b], tmp_path / "r.html").read_text()
    assert [r[0] for r in _table_rows(text)] == ["elsewhere/x", "runs/x"]


def test_run_report_inlines_existing_pictures(make_run):
    run = make_run("solo", best=True)
    plot_losses(train_rows(), run / "losses.png")
    build_run_gif(run)
    (run / "metrics.jsonl").write_text(
        (run / "metrics.jsonl").read_text() + '\n{"kind": "eval", "step": 400, "cas": 0.8125}\n'
    )
    out = write_run_report(run)
    assert out == run / "report.html"
    text = out.read_text()
    assert len(_table_rows(text)) == 1
    loss_b64 = base64.b64encode((run / "losses.png").read_bytes()).decode()
    assert loss_b64 in text  # the saved losses.png is reused, not re-plotted
    # losses, FID (plotted: no fid.png), last grid, best grid, animation
    assert sorted(_check_images(text)) == ["GIF"] + ["PNG"] * 4
    assert "81.2%" in text
    assert "events (1)" in text
    _assert_self_contained(text)


def test_run_report_bad_dir(tmp_path):
    write_png(tmp_path / "samples" / "epoch_001.png", 1)
    with pytest.raises(RunDirError):
        write_run_report(tmp_path)


def test_report_shows_final_samples_and_fractional_epochs(make_run):
    from gankit.viz.runs import latest_sample_grid

    run = make_run("short", epochs=0)
    (run / "metrics.jsonl").write_text(
        '{"kind": "train", "step": 40, "epoch": 0.085, "d_loss": 1.3, "g_loss": 0.7}\n'
    )
    write_png(run / "samples" / "epoch_000.png", 128)  # the grey grid before training
    assert latest_sample_grid(run).name == "epoch_000.png"
    write_png(run / "samples" / "step_0000040.png", 30)
    write_png(run / "samples" / "step_0000100.png", 40)
    assert latest_sample_grid(run).name == "step_0000100.png"
    write_png(run / "samples" / "final.png", 200)
    assert latest_sample_grid(run).name == "final.png"
    text = write_run_report(run).read_text()
    assert "last samples (final.png)" in text
    cells = _table_rows(text)[0]
    assert "0.09" in cells  # epochs: 0.085 with two decimals, not "0"


def test_run_report_lists_per_class_fid_worst_first(make_run):
    run = make_run("cond", fids=[80.0])
    classes = [
        {"class": 0, "name": "T-shirt/top", "fid": 31.5, "n_gen": 1000, "n_ref": 1000},
        {"class": 1, "name": "Trouser", "fid": 212.25, "n_gen": 990, "n_ref": 1000},
        {"class": 2, "fid": 40.0, "n_gen": 1010, "n_ref": 1000},
    ]
    row = {"kind": "eval", "step": 40, "ifid": 94.58, "ifid_classes": classes}
    with (run / "metrics.jsonl").open("a") as f:
        f.write("\n" + json.dumps(row) + "\n")  # after the fixture's torn last line
    text = write_run_report(run).read_text()
    table = re.search(r'<table class="per-class">.*?<tbody>(.*?)</tbody>', text, re.S).group(1)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table)]
    worst_first = [["Trouser", "212.25"], ["2", "40.00"], ["T-shirt/top", "31.50"]]
    assert [c[:2] for c in cells] == worst_first
    assert cells[0][2:] == ["990", "1000"]
    assert "Per-class FID (mean 94.58)" in text


def test_run_report_without_ifid_has_no_per_class_table(make_run):
    text = write_run_report(make_run("plain", fids=[80.0])).read_text()
    assert 'class="per-class"' not in text


def test_run_report_lists_every_value_of_the_last_evaluation(make_run):
    run = make_run("solo")
    with (run / "metrics.jsonl").open("a") as log:
        log.write('{"kind": "eval", "step": 10, "fid": 50.0}\n')
        log.write(
            '{"kind": "eval", "step": 20, "fid": 40.5, "new_metric": 0.123456789, '
            '"n_gen": 64, "ref": "x:test", "protocol": "tf1-v1"}\n'
        )
    text = write_run_report(run).read_text()
    table = re.search(r'<table class="evaluation">(.*?)</table>', text, re.S).group(1)
    assert "last evaluation (step 20)" in table
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table)
    assert cells == ["fid", "40.5", "new_metric", "0.123457"]  # measurement fields left out
