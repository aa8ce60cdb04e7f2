"""A run's summary figures: loss and FID curves, the training GIF and the HTML report.

They summarise the whole log, so drawing them costs more the longer a run is: the trainer
draws them once when a run stops (completed or interrupted), and anyone can redraw them on
demand (a run still training, or one copied from elsewhere) with :func:`draw_run_figures`.
Sample grids are not drawn here: they belong to the step that made them.
"""

from __future__ import annotations

import os
from pathlib import Path

from gankit.rundir import RunDir
from gankit.viz.animation import build_gif
from gankit.viz.curves import plot_fid, plot_losses
from gankit.viz.report import write_run_report


def draw_run_figures(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Draw ``losses.png``, ``fid.png`` (when evaluated), ``animation.gif`` (two or more
    grids) and ``report.html`` of ``run_dir`` from its log and grids; return what was written.
    """
    run = RunDir(run_dir)
    rows = run.read_metrics()
    written = [plot_losses([r for r in rows if r.get("kind") == "train"], run.root / "losses.png")]
    evals = [r for r in rows if r.get("kind") == "eval"]
    if evals:
        written.append(plot_fid(evals, run.root / "fid.png"))
    final = run.samples / "final.png"
    frames = [*run.sample_grids(), *([final] if final.is_file() else [])]
    if len(frames) > 1:
        written.append(build_gif(frames, run.root / "animation.gif"))
    written.append(write_run_report(run.root))
    return written
