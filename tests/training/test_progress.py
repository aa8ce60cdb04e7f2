"""Progress output: a tqdm bar on a terminal, one plain line per log interval otherwise."""

from __future__ import annotations

import sys

import pytest

from gankit.config import load_config
from gankit.training import progress
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.text = ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def _terminals(monkeypatch, out: bool, err: bool) -> _Stream:
    stderr = _Stream(err)
    monkeypatch.setattr(sys, "stdout", _Stream(out))
    monkeypatch.setattr(sys, "stderr", stderr)
    return stderr


def _row(step: int) -> dict:
    return {"step": step, "epoch": step / 8, "d_loss": 1.25, "g_loss": 0.5, "img_per_s": 99.6}


def test_a_non_terminal_training_run_prints_one_plain_line_per_log(tmp_path, monkeypatch):
    err = _terminals(monkeypatch, False, False)
    cfg = load_config("mlp-gan-fashion", tiny_overrides(**{"train.log_every": 2}))
    Trainer(cfg, tmp_path / "run").fit()
    assert "\r" not in err.text
    lines = [line for line in err.text.splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in lines] == ["2/4", "4/4"]
    assert lines[0].split()[2:4] == ["epoch", "0.25"]  # 2 of 8 batches, two decimals
    assert all("d_loss " in line and "g_loss " in line and "img/s" in line for line in lines)


def _display(enabled: bool = True):
    return progress.progress_display(total=6, initial=0, enabled=enabled)


def test_plain_lines_carry_step_of_total_epoch_losses_and_speed(monkeypatch):
    err = _terminals(monkeypatch, False, True)
    shown = _display()
    shown.update_row(_row(2))
    shown.advance()
    shown.close()
    assert err.text == "step 2/6  epoch 0.25  d_loss 1.2500  g_loss 0.5000  100 img/s\n"


def test_quiet_runs_and_other_ranks_print_nothing(monkeypatch):
    err = _terminals(monkeypatch, False, False)
    _display(enabled=False).update_row(_row(2))
    assert err.text == ""


def test_a_terminal_gets_the_redrawn_bar(monkeypatch):
    err = _terminals(monkeypatch, True, True)
    bar = _display()
    for step in (1, 2):
        bar.update_row(_row(step))
        bar.advance()
    bar.close()
    assert "\r" in err.text and "2/6" in err.text and "step 2/6  epoch" not in err.text


@pytest.mark.parametrize(
    ("out", "err", "bar"), [(True, True, True), (False, True, False), (True, False, False)]
)
def test_bar_only_when_both_streams_are_terminals(monkeypatch, out, err, bar) -> None:
    _terminals(monkeypatch, out, err)
    assert progress._interactive() is bar
