"""RunDir: creation rules, resume checks, the metrics log and its truncation on resume."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gankit.errors import RunDirError
from gankit.rundir import RunDir, read_jsonl


def test_prepare_creates_folders_and_paths_point_inside(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    run.prepare(resume=False, force=False)
    assert run.checkpoints.is_dir() and run.samples.is_dir()
    assert run.last == tmp_path / "r" / "checkpoints" / "last.pt"
    assert run.best.parent == run.checkpoints
    assert not run.holds_run()


def test_existing_run_needs_force_which_removes_only_gankit_files(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.prepare(resume=False, force=False)
    run.config.write_text("a: 1\n")
    run.last.write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="already holds a run; pass --resume"):
        run.prepare(resume=False, force=False)
    run.prepare(resume=False, force=True)
    assert not run.config.exists() and not run.last.exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_resume_errors_name_the_way_out(tmp_path: Path) -> None:
    with pytest.raises(RunDirError, match=r"has no checkpoints/last\.pt; start a new run"):
        RunDir(tmp_path / "empty").prepare(resume=True, force=False)
    started = RunDir(tmp_path / "started")
    started.prepare(resume=False, force=False)
    started.append_metrics({"kind": "train", "step": 1})
    with pytest.raises(RunDirError, match=r"stopped before its first checkpoint.*--force"):
        started.prepare(resume=True, force=False)


def test_resume_removes_temporaries_of_a_killed_save(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.prepare(resume=False, force=False)
    run.last.write_bytes(b"ok")
    stale = run.checkpoints / ".last.pt.x1y2.tmp"
    stale.write_bytes(b"half")
    run.prepare(resume=True, force=False)
    assert run.last.read_bytes() == b"ok"
    assert sorted(p.name for p in run.checkpoints.iterdir()) == ["last.pt"]


def test_metrics_round_trip_with_non_finite_as_null(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.prepare(resume=False, force=False)
    run.append_metrics({"kind": "train", "step": 1, "d_loss": 0.5})
    run.append_metrics({"kind": "train", "step": 2, "d_loss": math.nan, "g_loss": math.inf})
    rows = run.read_metrics()
    assert rows == [
        {"kind": "train", "step": 1, "d_loss": 0.5},
        {"kind": "train", "step": 2, "d_loss": None, "g_loss": None},
    ]
    for line in run.metrics.read_text().splitlines():
        json.loads(line)  # strict JSON: no NaN tokens


def test_truncate_after_keeps_rows_up_to_the_checkpoint(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.prepare(resume=False, force=False)
    for step in (10, 20, 30):
        run.append_metrics({"kind": "train", "step": step})
    run.append_metrics({"kind": "eval", "step": 20, "fid": 9.0})
    run.truncate_metrics_after(20)
    assert [(r["kind"], r["step"]) for r in run.read_metrics()] == [
        ("train", 10),
        ("train", 20),
        ("eval", 20),
    ]


def test_read_jsonl_skips_truncated_blank_and_non_object_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\n\n[1, 2]\n{"step": 2}\n{"step": 3, "d_lo')
    assert read_jsonl(path) == [{"step": 1}, {"step": 2}]
    assert read_jsonl(tmp_path / "missing.jsonl") == []


def test_a_second_writer_is_refused_naming_the_holder_then_admitted(tmp_path: Path) -> None:
    first = RunDir(tmp_path)
    first.prepare(resume=False, force=False)
    second = RunDir(tmp_path)  # flock conflicts between open files even within one process
    with pytest.raises(RunDirError, match=rf"being written by process {os.getpid()} "):
        second.prepare(resume=False, force=True)
    first.release_writer_lock()
    second.prepare(resume=False, force=False)
    assert first.lock_file.read_text().strip() == str(os.getpid())


def test_force_cannot_clear_a_run_another_writer_holds(tmp_path: Path) -> None:
    first = RunDir(tmp_path)
    first.prepare(resume=False, force=False)
    first.config.write_text("a: 1\n")
    with pytest.raises(RunDirError, match="being written by"):
        RunDir(tmp_path).prepare(resume=False, force=True)
    assert first.config.read_text() == "a: 1\n"
    first.release_writer_lock()


def test_readers_never_take_the_lock(tmp_path: Path) -> None:
    writer = RunDir(tmp_path)
    writer.prepare(resume=False, force=False)
    writer.append_metrics({"kind": "train", "step": 1})
    reader = RunDir(tmp_path)
    assert reader.read_metrics() == [{"kind": "train", "step": 1}]
    reader.append_metrics({"kind": "eval", "step": 1, "fid": 3.0})  # gankit eval's row
    assert len(writer.read_metrics()) == 2
    writer.release_writer_lock()


_HOLD = """
import sys, time
from gankit.rundir import RunDir
run = RunDir(sys.argv[1])
run.acquire_writer_lock()
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.slow  # a subprocess
def test_a_sigkilled_writer_leaves_no_stale_lock(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirError, match=rf"being written by process {holder.pid} "):
            RunDir(tmp_path).acquire_writer_lock()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    run = RunDir(tmp_path)
    run.acquire_writer_lock()  # the kernel released the dead process's lock
    assert run.lock_file.read_text().strip() == str(os.getpid())
    run.release_writer_lock()


def test_sample_grids_are_in_numeric_order_and_final_is_the_latest(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    assert run.sample_grids() == [] and run.latest_sample_grid() is None
    run.samples.mkdir()
    for name in ("epoch_999.png", "epoch_1000.png", "epoch_000.png", "best.png"):
        (run.samples / name).write_bytes(b"png")
    assert [p.name for p in run.sample_grids()] == [
        "epoch_000.png",
        "epoch_999.png",
        "epoch_1000.png",
    ]
    assert run.latest_sample_grid() == run.samples / "epoch_1000.png"
    (run.samples / "step_0000020.png").write_bytes(b"png")
    assert [p.name for p in run.sample_grids()] == ["step_0000020.png"]
    (run.samples / "final.png").write_bytes(b"png")
    assert run.latest_sample_grid() == run.samples / "final.png"


def test_read_jsonl_tolerates_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(b'{"step": 1}\n\xff\xfe garbage\n{"step": 2}\n')
    assert read_jsonl(path) == [{"step": 1}, {"step": 2}]
