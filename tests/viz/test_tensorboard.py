from __future__ import annotations

import sys
import types
import warnings

import pytest
import torch

import gankit.viz.tensorboard as tb


class _FakeWriter:
    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.calls = []

    def add_scalar(self, tag, value, global_step):
        self.calls.append(("scalar", tag, value, global_step))

    def add_image(self, tag, img, global_step, dataformats):
        self.calls.append(("image", tag, img.shape, dataformats, global_step))

    def flush(self):
        self.calls.append(("flush",))

    def close(self):
        self.calls.append(("close",))


@pytest.fixture
def fresh_warning_state(monkeypatch):
    monkeypatch.setattr(tb, "_WARNED", False)


def test_missing_tensorboard_is_a_noop_with_one_warning(tmp_path, monkeypatch, fresh_warning_state):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import -> ImportError
    with pytest.warns(RuntimeWarning, match="tensorboard"):
        logger = tb.TensorBoardLogger(tmp_path / "tb")
    assert not logger.enabled
    logger.log_scalar("loss", 1.0, 1)
    logger.log_image_grid("samples", torch.zeros(4, 1, 8, 8, dtype=torch.uint8), 1)
    logger.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tb.TensorBoardLogger(tmp_path / "tb2")  # second logger: no second warning
    assert not (tmp_path / "tb").exists()


def test_logger_writes_through_summary_writer(tmp_path, monkeypatch):
    fake = types.ModuleType("torch.utils.tensorboard")
    fake.SummaryWriter = _FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", fake)
    with tb.maybe_tensorboard(True, tmp_path / "tb") as logger:
        assert logger.enabled
        writer = logger._writer
        logger.log_scalar("d_loss", torch.tensor(0.5), 3)
        logger.log_row({"kind": "train", "step": 7, "g_loss": 1.5, "epoch": 0, "note": "x"})
        logger.log_scalars({"fid": 12.0, "ok": True}, 9, prefix="eval/")
        logger.log_image_grid("samples", torch.zeros(6, 1, 8, 8, dtype=torch.uint8), 9, nrow=3)
    assert writer.calls == [
        ("scalar", "d_loss", 0.5, 3),
        ("scalar", "train/g_loss", 1.5, 7),
        ("scalar", "eval/fid", 12.0, 9),
        ("image", "samples", (2 * 10 + 2, 3 * 10 + 2, 3), "HWC", 9),
        ("close",),
    ]


def test_disabled_factory_is_silent(tmp_path, fresh_warning_state):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logger = tb.maybe_tensorboard(False, tmp_path / "tb")
    assert isinstance(logger, tb.NullLogger) and not logger.enabled
    logger.log_scalars({"a": 1.0}, 1)
    logger.flush()
