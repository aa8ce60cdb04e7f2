"""Two CPU processes with gloo: identical weights on both ranks, one run directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import pytest
import torch

from tests.conftest import TORCHRUN_2

SCRIPT = textwrap.dedent(
    """
    import sys, torch, torch.distributed as dist
    from pathlib import Path
    from gankit.config import load_config
    from gankit.training.trainer import Trainer
    from gankit.training.checkpoint import unwrap
    out, dump = sys.argv[1], sys.argv[2]
    overrides = [a for a in sys.argv[3:] if a != "--resume"]
    cfg = load_config("dcgan-fashion", overrides)
    trainer = Trainer(cfg, out, progress=False, resume="--resume" in sys.argv)
    trainer.fit()
    # OS threads left once fit() destroyed the group (gloo's would meet interpreter exit)
    tasks = Path("/proc/self/task")
    threads = [(t / "comm").read_text().strip() for t in tasks.iterdir()] if tasks.exists() else []
    state = {"g": unwrap(trainer.g).state_dict(), "d": unwrap(trainer.d).state_dict(),
             "precision": trainer.cfg.train.precision,
             "probe": trainer.precision.probe_img_per_s, "threads": threads}
    torch.save(state, f"{dump}/rank{trainer.dist.rank}.pt")
    """
)

pytestmark = [pytest.mark.slow, pytest.mark.ddp]  # runs torchrun (gloo)


def _launch(tmp_path, out, dump, overrides: list[str]) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    cmd = [
        *TORCHRUN_2,
        str(script),
        str(out),
        str(dump),
        *overrides,
    ]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
    )


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed unavailable")
def test_two_process_gloo_run(tmp_path) -> None:
    from tests.conftest import tiny_overrides

    out, dump = tmp_path / "run", tmp_path / "dump"
    dump.mkdir()
    overrides = tiny_overrides(**{"train.steps": 6, "train.log_every": 3})
    proc = _launch(tmp_path, out, dump, overrides)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(dump / "rank0.pt", weights_only=True)
    r1 = torch.load(dump / "rank1.pt", weights_only=True)
    for net in ("g", "d"):
        for key, value in r0[net].items():
            assert torch.equal(value, r1[net][key]), f"{net}.{key} differs between ranks"
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "train"] == [3, 6], "rank 1 must not log"
    # 64 images over 2 ranks x batch 8 = 4 batches per epoch per rank
    assert rows[-1]["epoch"] == pytest.approx(1.5)
    assert (out / "checkpoints" / "last.pt").exists()
    _assert_group_torn_down(r0, r1)

    # resume under DDP continues to the new step count with both ranks still identical
    shutil.rmtree(dump)
    dump.mkdir()
    more = tiny_overrides(**{"train.steps": 8, "train.log_every": 2})
    proc = _launch(tmp_path, out, dump, [*more, "--resume"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(dump / "rank0.pt", weights_only=True)
    r1 = torch.load(dump / "rank1.pt", weights_only=True)
    assert all(torch.equal(v, r1["g"][k]) for k, v in r0["g"].items())
    _assert_group_torn_down(r0, r1)


def _assert_group_torn_down(*ranks: dict) -> None:
    """fit() really destroyed the process group: no gloo worker or socket thread is left to be
    torn down by interpreter exit (where it once aborted the run, see distributed.py)."""
    for state in ranks:
        assert not [name for name in state["threads"] if "gloo" in name], state["threads"]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed unavailable")
def test_auto_precision_agrees_across_processes(tmp_path) -> None:
    """Every rank probes in step (stopping after the same round) and all take rank 0's numbers."""
    from gankit import cpu
    from tests.conftest import tiny_overrides

    if not cpu.has_native_bf16():
        pytest.skip("auto probes only on a CPU with native bf16")
    out, dump = tmp_path / "run", tmp_path / "dump"
    dump.mkdir()
    sets = {"train.steps": 2, "train.precision": "auto"}
    proc = _launch(tmp_path, out, dump, tiny_overrides(**sets))
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(dump / "rank0.pt", weights_only=True)
    r1 = torch.load(dump / "rank1.pt", weights_only=True)
    assert r0["precision"] == r1["precision"] and r0["precision"] in ("fp32", "bf16")
    assert r0["probe"] == r1["probe"] and set(r0["probe"]) == {"fp32", "bf16"}
    for net in ("g", "d"):
        assert all(torch.equal(v, r1[net][k]) for k, v in r0[net].items())
