"""Self-contained HTML reports over one or several run directories.

One file, no network: every picture is inlined as a base64 ``data:`` URI, the CSS and the small
sorting script are inline, so a report can be mailed, archived or opened from a cluster's
scratch space as is. Runs that are still training (or never logged anything) degrade to blank
table cells and short notes instead of failing the report.

The inline script also records a self-check on ``<body>`` once the page has loaded
(``data-images-ok``, ``data-images-loaded``, ``data-images-total``, ``data-table-rows``,
``data-report-ready``) so a headless browser can verify the report renders.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gankit.atomic import atomic_write_text
from gankit.errors import RunDirError
from gankit.viz.curves import fid_compare_png, fid_png, losses_png
from gankit.viz.runs import RunInfo, as_float, latest_sample_grid, read_run

MAX_INLINE_GIF_BYTES = 8 * 1024 * 1024

_MIME = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"\xff\xd8\xff": "image/jpeg",
}


@dataclass
class _Cell:
    text: str = ""
    sort: str = ""


@dataclass
class _Column:
    title: str
    numeric: bool
    tooltip: str


_COLUMNS = [
    _Column("run", False, "run directory name"),
    _Column("recipe", False, "recipe (config recipe / output.recipe)"),
    _Column("dataset", False, "config data.name"),
    _Column("steps", True, "generator updates logged"),
    _Column("epochs", True, "last logged epoch"),
    _Column("wall time", True, "largest time_s logged"),
    _Column("img/s", True, "median training throughput"),
    _Column("FID", True, "final FID (last eval row), lower is better"),
    _Column("best FID", True, "lowest FID of any eval row"),
    _Column("KID", True, "final KID, lower is better"),
    _Column("CAS", True, "final classification accuracy score of generated samples"),
    _Column("N", True, "generated samples used for the final metrics"),
    _Column("ref", False, "reference split (and its N) of the final metrics"),
]


def _last_with(rows: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for row in reversed(rows):
        if as_float(row.get(key)) is not None:
            return row
    return None


def _max_of(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [v for v in (as_float(r.get(key)) for r in rows) if v is not None]
    return max(values) if values else None


def _fmt_int(value: float | None) -> _Cell:
    return _Cell() if value is None else _Cell(f"{value:,.0f}", repr(float(value)))


def _fmt_epochs(value: float | None) -> _Cell:
    """Whole epochs as integers, a fraction with two decimals (0.085 must not read as 0)."""
    if value is None:
        return _Cell()
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return _Cell(text, repr(float(value)))


def _fmt_duration(seconds: float | None) -> _Cell:
    if seconds is None:
        return _Cell()
    total = round(seconds)
    hours, rem = divmod(total, 3600)
    minutes, secs = divmod(rem, 60)
    if hours:
        text = f"{hours}h {minutes:02d}m {secs:02d}s"
    elif minutes:
        text = f"{minutes}m {secs:02d}s"
    else:
        text = f"{seconds:.1f}s"
    return _Cell(text, repr(float(seconds)))


def _kid_cell(row: dict[str, Any] | None) -> _Cell:
    if row is None:
        return _Cell()
    raw = row.get("kid")
    mean = as_float(raw)
    std = None
    if isinstance(raw, (list, tuple)) and len(raw) > 1:
        std = as_float(raw[1])
    elif isinstance(raw, dict):
        std = as_float(raw.get("std"))
    if std is None:
        std = as_float(row.get("kid_std"))
    text = f"{mean:.4f}" + (f" ± {std:.4f}" if std is not None else "")
    return _Cell(text, repr(mean))


def _cas_cell(row: dict[str, Any] | None) -> _Cell:
    value = None if row is None else as_float(row.get("cas"))
    if value is None:
        return _Cell()
    percent = value * 100.0 if value <= 1.0 else value
    return _Cell(f"{percent:.1f}%", repr(percent))


def _summary_cells(run: RunInfo, display_name: str) -> list[_Cell]:
    train, evals = run.train_rows, run.eval_rows
    fid_row = _last_with(evals, "fid")
    protocol_row = fid_row or (evals[-1] if evals else None)
    fids = [v for v in (as_float(r.get("fid")) for r in evals) if v is not None]
    throughput = [v for v in (as_float(r.get("img_per_s")) for r in train) if v is not None]
    steps = _max_of(train, "step")
    if steps is None:
        steps = _max_of(run.rows, "step")
    ref = _Cell()
    if protocol_row is not None and protocol_row.get("ref") is not None:
        ref_text = str(protocol_row["ref"])
        if protocol_row.get("n_ref") is not None:
            ref_text += f" (N={protocol_row['n_ref']})"
        ref = _Cell(ref_text, ref_text)
    fid_value = None if fid_row is None else as_float(fid_row.get("fid"))
    return [
        _Cell(display_name, display_name),
        _Cell(run.recipe or "", run.recipe or ""),
        _Cell(run.dataset or "", run.dataset or ""),
        _fmt_int(steps),
        _fmt_epochs(_max_of(train, "epoch")),
        _fmt_duration(_max_of(run.rows, "time_s")),
        _fmt_int(statistics.median(throughput) if throughput else None),
        _Cell() if fid_value is None else _Cell(f"{fid_value:.2f}", repr(fid_value)),
        _Cell() if not fids else _Cell(f"{min(fids):.2f}", repr(min(fids))),
        _kid_cell(_last_with(evals, "kid")),
        _cas_cell(_last_with(evals, "cas")),
        _fmt_int(None if protocol_row is None else as_float(protocol_row.get("n_gen"))),
        ref,
    ]


def _mime_of(data: bytes) -> str | None:
    for magic, mime in _MIME.items():
        if data.startswith(magic):
            return mime
    return None


def _img(data: bytes | None, alt: str, *, css: str = "grid") -> str:
    """An ``<img>`` with ``data`` inlined, scaled up by an integer factor when tiny."""
    mime = _mime_of(data) if data else None
    if data is None or mime is None:
        return f'<p class="note">{html.escape(alt)}: not available.</p>'
    width = _display_width(data)
    style = f' style="width:{width}px"' if width else ""
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<img class="{css}" alt="{html.escape(alt, quote=True)}"{style} '
        f'src="data:{mime};base64,{encoded}">'
    )


def _display_width(data: bytes) -> int | None:
    """Integer upscale for small sample grids (28-pixel MNIST tiles are unreadable at 1x)."""
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            width = img.size[0]
    except Exception:  # unknown size: let the browser decide
        return None
    factor = max(1, min(4, 360 // max(1, width)))
    return width * factor


def _read_image(path: Path | None, limit: int | None = None) -> bytes | None:
    if path is None or not path.is_file():
        return None
    try:
        if limit is not None and path.stat().st_size > limit:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _display_names(runs: Sequence[RunInfo]) -> list[str]:
    """Run names, prefixed by their parent folder when two runs share a name."""
    names = [run.name for run in runs]
    out = []
    for run, name in zip(runs, names, strict=True):
        if names.count(name) > 1:
            name = f"{run.path.resolve().parent.name}/{name}"
        out.append(name)
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            out[i] = f"{name} ({seen[name]})"
    return out


def _table(runs: Sequence[RunInfo], names: Sequence[str]) -> str:
    head = "".join(
        f'<th data-type="{"number" if c.numeric else "text"}" title="{html.escape(c.tooltip)}">'
        f"{html.escape(c.title)}</th>"
        for c in _COLUMNS
    )
    body = []
    for run, name in zip(runs, names, strict=True):
        cells = _summary_cells(run, name)
        tds = "".join(
            f'<td data-sort="{html.escape(cell.sort, quote=True)}"'
            f"{' class=num' if col.numeric else ''}>{html.escape(cell.text)}</td>"
            for cell, col in zip(cells, _COLUMNS, strict=True)
        )
        body.append(f"<tr>{tds}</tr>")
    return (
        '<table id="runs" class="sortable"><thead><tr>'
        + head
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


# Fields of an eval row that describe how it was measured rather than what.
_EVAL_BOOKKEEPING = {
    "kind",
    "step",
    "source",
    "run",
    "ema",
    "n_gen",
    "ref",
    "n_ref",
    "protocol",
    "feature_precision",
    "extractor",
    "eval_time_s",
    "time_s",
    "epoch",
}


def _last_evaluation(evals: list[dict[str, Any]]) -> str:
    """Every value of the newest eval row, whatever metrics produced it: a metric added to
    the registry shows up here without the report knowing its name."""
    if not evals:
        return ""
    row = evals[-1]
    values = [
        (key, value)
        for key, value in row.items()
        if key not in _EVAL_BOOKKEEPING and as_float(value) is not None
    ]
    if not values:
        return ""
    cells = "".join(
        f"<tr><td>{html.escape(key)}</td><td class=num>{as_float(value):.6g}</td></tr>"
        for key, value in values
    )
    step = row.get("step")
    where = f" (step {step})" if step is not None else ""
    return (
        f'<table class="evaluation"><caption>last evaluation{html.escape(where)}</caption>'
        f"{cells}</table>"
    )


def _figure(img_html: str, caption: str) -> str:
    return f"<figure>{img_html}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _per_class_table(row: dict[str, Any] | None) -> str:
    """Per-class FID of the last ``ifid`` evaluation, worst class first: a class the
    generator collapsed on stands out here while the overall FID hides it."""
    if row is None or not isinstance(row.get("ifid_classes"), list):
        return ""
    classes = [
        c for c in row["ifid_classes"] if isinstance(c, dict) and as_float(c.get("fid")) is not None
    ]
    classes.sort(key=lambda c: -float(c["fid"]))
    body = "".join(
        f"<tr><td>{html.escape(str(c.get('name', c.get('class'))))}</td>"
        f'<td class="num">{float(c["fid"]):.2f}</td>'
        f'<td class="num">{html.escape(str(c.get("n_gen", "")))}</td>'
        f'<td class="num">{html.escape(str(c.get("n_ref", "")))}</td></tr>'
        for c in classes
    )
    mean = as_float(row.get("ifid"))
    caption = f"Per-class FID (mean {mean:.2f})" if mean is not None else "Per-class FID"
    return (
        f'<h4>{html.escape(caption)}</h4><table class="per-class"><thead><tr><th>class</th>'
        "<th>FID</th><th>N generated</th><th>N reference</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _run_section(run: RunInfo, name: str, *, single: bool) -> str:
    parts = [f'<section class="run"><h3>{html.escape(name)}</h3>']
    parts.append(f'<p class="path">{html.escape(str(run.path.resolve()))}</p>')
    figures = []
    loss_png = _read_image(run.path / "losses.png")
    if loss_png is None and run.train_rows:
        loss_png = losses_png(run.rows, title=f"{name}: training losses")
    if loss_png is not None:
        figures.append(_figure(_img(loss_png, f"{name} losses", css="plot"), "losses"))
    else:
        figures.append('<p class="note">No training rows logged yet.</p>')
    if single:
        fid_bytes = _read_image(run.path / "fid.png")
        if fid_bytes is None and run.eval_rows:
            fid_bytes = fid_png(run.rows, title=f"{name}: FID")
        if fid_bytes is not None:
            figures.append(_figure(_img(fid_bytes, f"{name} FID", css="plot"), "FID"))
    latest = latest_sample_grid(run.path)
    if latest is not None:
        figures.append(
            _figure(
                _img(_read_image(latest), f"{name} {latest.name}"), f"last samples ({latest.name})"
            )
        )
    else:
        figures.append('<p class="note">No sample grids yet.</p>')
    best = _read_image(run.path / "samples" / "best.png")
    if best is not None:
        figures.append(_figure(_img(best, f"{name} best samples"), "best-K samples"))
    if single:
        gif = _read_image(run.path / "animation.gif", MAX_INLINE_GIF_BYTES)
        if gif is not None:
            figures.append(_figure(_img(gif, f"{name} training animation"), "training animation"))
    parts.append('<div class="figs">' + "".join(figures) + "</div>")
    with_classes = [r for r in run.eval_rows if isinstance(r.get("ifid_classes"), list)]
    parts.append(_per_class_table(with_classes[-1] if with_classes else None))
    parts.append(_last_evaluation(run.eval_rows))
    if run.config_text is not None:
        parts.append(
            "<details><summary>config.yaml</summary><pre>"
            + html.escape(run.config_text)
            + "</pre></details>"
        )
    else:
        parts.append('<p class="note">No config.yaml.</p>')
    events = run.event_rows
    if events:
        shown = events[-50:]
        lines = "\n".join(json.dumps(e, sort_keys=True, default=str) for e in shown)
        parts.append(
            f"<details><summary>events ({len(events)})</summary><pre>"
            + html.escape(lines)
            + "</pre></details>"
        )
    parts.append("</section>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;
background:#fff;max-width:1400px}
h1{font-size:1.5em;margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ddd}
.meta,.path,.note{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.92em}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;white-space:nowrap}
th{background:#f3f3f3;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
.figs{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0}figcaption{color:#555;font-size:.85em;text-align:center}
img.grid{image-rendering:pixelated;border:1px solid #ddd}
img.plot{max-width:640px;width:100%}
section.run{margin-bottom:28px}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:480px;font-size:.85em}
"""

_JS = """
(function () {
  function sortBy(table, th, col) {
    var numeric = th.getAttribute('data-type') === 'number';
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-sort') || '';
      var y = b.cells[col].getAttribute('data-sort') || '';
      if (x === '' || y === '') return (x === '') - (y === '');  /* blanks always last */
      var c = numeric ? parseFloat(x) - parseFloat(y)
                      : x.localeCompare(y, undefined, {numeric: true, sensitivity: 'base'});
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () { sortBy(table, th, col); });
    });
  });
  function verify() {
    var imgs = document.images, loaded = 0;
    for (var i = 0; i < imgs.length; i++) {
      if (imgs[i].complete && imgs[i].naturalWidth > 0) loaded++;
    }
    var table = document.getElementById('runs');
    var d = document.body.dataset;
    d.imagesTotal = String(imgs.length);
    d.imagesLoaded = String(loaded);
    d.imagesOk = loaded === imgs.length ? 'true' : 'false';
    d.tableRows = String(table ? table.tBodies[0].rows.length : 0);
    d.reportReady = '1';
  }
  if (document.readyState === 'complete') verify();
  else window.addEventListener('load', verify);
})();
"""


def _page(title: str, body: str) -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f'<body data-report-ready="0"><h1>{html.escape(title)}</h1>'
        f'<p class="meta">Generated by gankit on {stamp}. Click a column header to sort.</p>'
        f"{body}<script>{_JS}</script></body></html>\n"
    )


def _render(runs: Sequence[RunInfo], title: str, *, single: bool) -> str:
    names = _display_names(runs)
    body = [
        "<h2>Summary</h2>",
        _table(runs, names),
        '<p class="note">FID, KID and CAS come from the last evaluation row of each run; '
        "N is the number of generated samples, ref the reference split and its N.</p>",
    ]
    if not single:
        curves = fid_compare_png({n: r.rows for n, r in zip(names, runs, strict=True)})
        body += ["<h2>FID vs step</h2>", _img(curves, "FID vs step, all runs", css="plot")]
    body.append("<h2>Runs</h2>" if not single else "<h2>Run</h2>")
    body += [_run_section(run, name, single=single) for run, name in zip(runs, names, strict=True)]
    return _page(title, "".join(body))


def write_run_report(run_dir: str | os.PathLike[str]) -> Path:
    """Write ``run_dir/report.html`` for one run and return its path.

    Raises :class:`gankit.errors.RunDirError` if ``run_dir`` is not a run directory.
    """
    run = read_run(run_dir)
    target = run.path / "report.html"
    atomic_write_text(target, _render([run], f"gankit run report: {run.name}", single=True))
    return target


def write_compare_report(
    run_dirs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]
) -> Path:
    """Write one HTML report comparing ``run_dirs`` to ``out`` and return its path.

    ``out`` may be an existing folder, in which case ``out/report.html`` is written. Raises
    :class:`gankit.errors.RunDirError` naming the first folder that is not a run directory.
    """
    runs = [read_run(d) for d in run_dirs]
    if not runs:
        raise RunDirError("No run directories given; pass the folders gankit train made.")
    target = Path(out)
    if target.is_dir():
        target = target / "report.html"
    title = f"gankit comparison: {len(runs)} run{'s' if len(runs) != 1 else ''}"
    atomic_write_text(target, _render(runs, title, single=False))
    return target
