"""Loss and FID curves from ``metrics.jsonl`` rows, rendered to PNG.

These run periodically during training, so they stay cheap: a bare ``matplotlib.figure.Figure``
on the Agg canvas (no pyplot, so no global figure registry to leak, no GUI backend, no
interference with a user's own ``matplotlib.use``), small size, no seaborn. Missing keys and
empty inputs produce a "no data yet" figure instead of an exception: a plot is never worth
crashing a training run for.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gankit.atomic import atomic_write_bytes
from gankit.viz.runs import rows_of_kind, series

Rows = list[dict[str, Any]]

_DPI = 100


def ema_smooth(values: Iterable[float], weight: float = 0.9) -> list[float]:
    """Debiased exponential moving average (TensorBoard's smoothing) of ``values``.

    Debiasing divides by ``1 - weight**t`` so the curve starts at the data, not at zero.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError("smoothing weight must be in [0, 1)")
    out: list[float] = []
    acc = 0.0
    for t, value in enumerate(values, start=1):
        acc = weight * acc + (1.0 - weight) * value
        out.append(acc / (1.0 - weight**t))
    return out


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _png_bytes(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    fig.clear()  # drop artists now rather than waiting for the garbage collector
    return buffer.getvalue()


def _no_data(ax: Any, message: str = "no data yet") -> None:
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=13,
        color="0.45",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _smoothing_for(n: int, smoothing: float | None) -> float:
    """Default smoothing grows with the number of points: ~n/20-point window, capped at 0.98."""
    if smoothing is not None:
        return smoothing
    if n < 10:
        return 0.0
    return min(0.98, 1.0 - 1.0 / max(2.0, n / 20.0))


_LOSS_KEYS = (("d_loss", "tab:blue"), ("g_loss", "tab:orange"))
_ACC_KEYS = (("d_real_acc", "tab:green"), ("d_fake_acc", "tab:red"))


def _raw_and_smoothed(ax: Any, rows: Rows, keys: Any, smoothing: float | None) -> None:
    for key, color in keys:
        xs, ys = series(rows, key)
        if len(xs) == 1:  # one logged point draws no line: show it as a marker
            ax.plot(xs, ys, "o", color=color, markersize=6, label=key)
        elif xs:
            weight = _smoothing_for(len(ys), smoothing)
            ax.plot(xs, ys, color=color, linewidth=0.6, alpha=0.35)
            ax.plot(xs, ema_smooth(ys, weight), color=color, linewidth=2.0, label=key)


def losses_png(rows: Rows, *, title: str | None = None, smoothing: float | None = None) -> bytes:
    """PNG bytes of :func:`plot_losses`."""
    train = rows_of_kind(rows, "train")
    has_loss = any(series(train, key)[0] for key, _ in _LOSS_KEYS)
    has_acc = any(series(train, key)[0] for key, _ in _ACC_KEYS)
    fig = _figure(8.0, 6.0 if has_acc else 4.5)
    if has_acc:  # WGAN-style critics log no accuracy: then the loss panel stands alone
        ax_loss, ax_acc = fig.subplots(2, 1, sharex=has_loss, height_ratios=[3, 2])
    else:
        ax_loss, ax_acc = fig.subplots(), None
    if has_loss:
        _raw_and_smoothed(ax_loss, train, _LOSS_KEYS, smoothing)
        ax_loss.set_ylabel("loss")
        ax_loss.legend(loc="upper right", fontsize=9)
        ax_loss.grid(alpha=0.3)
    else:
        _no_data(ax_loss, "no losses logged" if has_acc else "no data yet")
    if ax_acc is not None:
        _raw_and_smoothed(ax_acc, train, _ACC_KEYS, smoothing)
        ax_acc.set_ylim(-0.02, 1.02)
        ax_acc.set_ylabel("D accuracy")
        ax_acc.legend(loc="lower right", fontsize=9)
        ax_acc.grid(alpha=0.3)
    if has_loss or has_acc:
        (ax_acc or ax_loss).set_xlabel("step (generator updates)")
    fig.suptitle(title or "Training losses")
    fig.tight_layout()
    return _png_bytes(fig)


def plot_losses(
    rows: Rows,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    smoothing: float | None = None,
) -> Path:
    """Plot d_loss / g_loss (thin raw + thick EMA) and D accuracies over steps to a PNG.

    ``rows`` are ``metrics.jsonl`` rows; only training rows are used. ``smoothing`` is the EMA
    weight in [0, 1) (default: chosen from the number of points).
    """
    target = Path(path)
    atomic_write_bytes(target, losses_png(rows, title=title, smoothing=smoothing))
    return target


def _last(rows: Rows, key: str) -> Any:
    for row in reversed(rows):
        if row.get(key) is not None:
            return row[key]
    return None


def eval_protocol(rows: Rows) -> str:
    """``"N=10000 vs fashion-mnist:test (N=10000)"`` from the latest eval row, or ``""``."""
    evals = rows_of_kind(rows, "eval")
    n_gen, ref, n_ref = _last(evals, "n_gen"), _last(evals, "ref"), _last(evals, "n_ref")
    parts = []
    if n_gen is not None:
        parts.append(f"N={n_gen}")
    if ref is not None:
        parts.append(f"vs {ref}" + (f" (N={n_ref})" if n_ref is not None else ""))
    elif n_ref is not None:
        parts.append(f"ref N={n_ref}")
    return " ".join(parts)


def fid_png(rows: Rows, *, title: str | None = None) -> bytes:
    """PNG bytes of :func:`plot_fid`."""
    evals = rows_of_kind(rows, "eval")
    fig = _figure(8.0, 4.5)
    ax = fig.subplots()
    xs, ys = series(evals, "fid")
    kx, ky = series(evals, "kid")
    if xs:
        ax.plot(xs, ys, "o-", color="tab:blue", linewidth=1.8, markersize=4, label="FID")
        ax.set_ylabel("FID (lower is better)", color="tab:blue")
        best = min(range(len(ys)), key=ys.__getitem__)
        ax.annotate(
            f"best {ys[best]:.2f}",
            (xs[best], ys[best]),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
            color="tab:blue",
        )
        ax.grid(alpha=0.3)
    if kx:
        ax_kid = ax.twinx() if xs else ax
        ax_kid.plot(kx, ky, "s--", color="tab:purple", linewidth=1.2, markersize=3, label="KID")
        ax_kid.set_ylabel("KID", color="tab:purple")
        if xs:
            handles = ax.get_lines()[:1] + ax_kid.get_lines()[:1]
            ax.legend(handles, ["FID", "KID"], loc="upper right", fontsize=9)
    if not xs and not kx:
        _no_data(ax)
    else:
        ax.set_xlabel("step (generator updates)")
    protocol = eval_protocol(rows)
    heading = title or ("FID / KID" if kx else "FID")
    fig.suptitle(f"{heading} — {protocol}" if protocol else heading)
    fig.tight_layout()
    return _png_bytes(fig)


def plot_fid(rows: Rows, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Plot FID (and KID on a twin axis when logged) over steps from eval rows to a PNG.

    The title states the protocol (generated N, reference split and its N) of the latest eval.
    """
    target = Path(path)
    atomic_write_bytes(target, fid_png(rows, title=title))
    return target


def fid_compare_png(runs: Mapping[str, Rows], *, title: str | None = None) -> bytes:
    """PNG bytes of :func:`plot_fid_compare`."""
    fig = _figure(8.0, 4.5)
    ax = fig.subplots()
    protocols: set[str] = set()
    plotted = 0
    for name, rows in runs.items():
        xs, ys = series(rows_of_kind(rows, "eval"), "fid")
        if not xs:
            continue
        plotted += 1
        ax.plot(xs, ys, "o-", linewidth=1.6, markersize=3, label=f"{name} ({ys[-1]:.2f})")
        protocols.add(eval_protocol(rows))
    if plotted:
        ax.set_xlabel("step (generator updates)")
        ax.set_ylabel("FID (lower is better)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right", ncol=1 if plotted <= 8 else 2)
        if _spans_decades(ax):
            ax.set_yscale("log")
    else:
        _no_data(ax)
    protocols.discard("")
    heading = title or "FID vs step"
    if len(protocols) == 1:
        heading += f" — {protocols.pop()}"
    elif len(protocols) > 1:
        heading += " — mixed protocols (see table)"
    fig.suptitle(heading)
    fig.tight_layout()
    return _png_bytes(fig)


def _spans_decades(ax: Any) -> bool:
    """Log scale only helps when early FIDs (~300) dwarf late ones (~20)."""
    values = [y for line in ax.get_lines() for y in line.get_ydata() if y > 0]
    return bool(values) and max(values) / min(values) > 20


def plot_fid_compare(
    runs: Mapping[str, Rows], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Plot every run's FID vs step on one axis (legend shows the final FID) to a PNG."""
    target = Path(path)
    atomic_write_bytes(target, fid_compare_png(runs, title=title))
    return target
