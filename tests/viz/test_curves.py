from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gankit.viz.curves import (
    ema_smooth,
    eval_protocol,
    plot_fid,
    plot_fid_compare,
    plot_losses,
)

from .conftest import eval_rows, train_rows


def _png(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        arr = np.asarray(im.convert("RGB"))
    assert arr.shape[0] > 100 and arr.shape[1] > 100
    return arr


def test_ema_smooth_is_debiased():
    assert ema_smooth([5.0] * 10, 0.9) == pytest.approx([5.0] * 10)
    out = ema_smooth([0.0, 10.0], 0.5)
    assert out[0] == 0.0 and out[1] == pytest.approx(10.0 * 0.5 / 0.75)
    assert ema_smooth([], 0.9) == []
    with pytest.raises(ValueError):
        ema_smooth([1.0], 1.0)


def test_plot_losses_with_and_without_data(tmp_path):
    rows = train_rows(40) + eval_rows([100.0])
    full = _png(plot_losses(rows, tmp_path / "losses.png", title="run a"))
    empty = _png(plot_losses([], tmp_path / "empty.png"))
    partial = _png(plot_losses([{"kind": "train", "step": 1, "d_loss": 0.5}], tmp_path / "p.png"))
    assert full.shape[:2] == (600, 800)  # loss panel + accuracy panel
    assert empty.shape[:2] == partial.shape[:2] == (450, 800)  # one panel when no accuracy

    # the data figure has far more coloured (non-grey) pixels than the "no data yet" one
    def coloured(a):
        return int((a.max(axis=2).astype(int) - a.min(axis=2) > 60).sum())

    assert coloured(full) > 20 * max(1, coloured(empty))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_plot_losses_tolerates_junk_values(tmp_path):
    rows = [
        {"kind": "train", "step": 1, "d_loss": None, "g_loss": "nan"},
        {"kind": "train", "d_loss": float("nan"), "g_loss": 1.0},
        {"step": 3, "d_loss": 1.0, "g_loss": 2.0, "d_real_acc": 0.5},
        {"kind": "event", "step": 4},
    ]
    _png(plot_losses(rows, tmp_path / "l.png"))
    acc_only = [{"kind": "train", "step": i, "d_real_acc": 0.5} for i in range(5)]
    _png(plot_losses(acc_only, tmp_path / "acc.png"))


def test_plot_fid_with_kid_and_empty(tmp_path):
    rows = train_rows(5) + eval_rows([300.0, 80.0, 40.0])
    _png(plot_fid(rows, tmp_path / "fid.png"))
    _png(plot_fid(train_rows(5), tmp_path / "fid_empty.png"))
    _png(plot_fid([{"kind": "eval", "step": 5, "kid": 0.01}], tmp_path / "kid_only.png"))
    assert eval_protocol(rows) == "N=2048 vs fashion-mnist:test (N=10000)"
    assert eval_protocol([]) == ""


def test_plot_fid_compare(tmp_path):
    runs = {"a": eval_rows([300.0, 50.0]), "b": eval_rows([250.0, 60.0, 30.0]), "c": []}
    _png(plot_fid_compare(runs, tmp_path / "cmp.png"))
    _png(plot_fid_compare({}, tmp_path / "none.png"))


def test_a_single_logged_point_is_drawn_as_a_marker():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from gankit.viz.curves import _ACC_KEYS, _LOSS_KEYS, _raw_and_smoothed

    ax = Figure().subplots()
    _raw_and_smoothed(
        ax,
        [{"kind": "train", "step": 40, "d_loss": 1.3, "g_loss": 0.7}],
        _LOSS_KEYS + _ACC_KEYS,
        None,
    )
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["d_loss", "g_loss"]
    assert all(line.get_marker() == "o" for line in lines)
    assert [list(line.get_ydata()) for line in lines] == [[1.3], [0.7]]
    two = Figure().subplots()
    _raw_and_smoothed(two, train_rows(2), _LOSS_KEYS, None)
    assert all(line.get_marker() in ("None", None, "") for line in two.get_lines())
