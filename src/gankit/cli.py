"""Command line: argument parsing and printing only. ``train``, ``eval``, ``sample`` and
``compare`` call :mod:`gankit.api`; ``fid``, ``stats``, ``data``, ``export`` and the special
sample modes (``--best``, ``--interpolate``, ``--class-grid``) call their library functions.

User mistakes raise :class:`gankit.errors.GankitError` and are printed as one sentence with a
non-zero exit code, never a traceback. ``--json`` output goes alone to stdout; progress and
messages go to stderr so the JSON can be piped.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from gankit.errors import CheckpointError, GankitError, RunDirError

# OS errors a user fixes (full disk, quota, read-only or forbidden path): one sentence, no trace.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
_USER_FIXABLE_ERRNOS = _WRITE_ERRNOS | {errno.ENOENT, errno.ENOTDIR, errno.EISDIR}


def _print_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj))


def _print_result(result: dict[str, Any], *, as_json: bool) -> None:
    """One JSON object, or one ``key: value`` line per entry (a list of rows, such as the
    per-class FIDs, one indented line per row)."""
    if as_json:
        _print_json(result)
    else:
        for key, value in result.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                print(f"{key}:")
                for row in value:
                    print("  " + "  ".join(f"{k}: {v}" for k, v in row.items()))
            else:
                print(f"{key}: {value}")


def _err(msg: str) -> None:
    """One line to stderr in a single write: under torchrun every rank prints the same error
    to one pipe, and ``print`` writes the text and its newline separately, so two ranks' lines
    could run together ("...CPU.error: ...")."""
    sys.stderr.write(f"{msg}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------------- commands


def cmd_train(args: argparse.Namespace) -> int:
    from gankit import api
    from gankit.config import dump_yaml
    from gankit.rundir import RunDir

    if args.resume and not args.out:
        raise GankitError("--resume needs --out RUN_DIR naming the run to continue.")
    overrides = args.set or []
    if args.resume and not args.dry_run:
        out = Path(args.out)  # api.resume reads the config from the checkpoint once
    else:
        cfg, out = api.prepare_config(
            args.recipe,
            overrides=overrides,
            out=args.out,
            resume_from=args.out if args.resume else None,
        )
        if args.dry_run:
            print(dump_yaml(cfg), end="")
            return 0
    progress = not args.quiet
    try:
        if args.resume:
            result = api.resume(out, overrides=overrides, progress=progress)
        else:
            result = api.train(cfg, out=out, force=args.force, progress=progress)
    except (OSError, CheckpointError) as exc:  # full disk / read-only folder mid-run
        cause = exc if isinstance(exc, OSError) else exc.__cause__
        if not isinstance(cause, OSError) or cause.errno not in _WRITE_ERRNOS:
            raise
        hint = (
            f"then resume with: gankit train --resume --out {out}"
            if RunDir(out).last.exists()
            else "then start it over with --force"
        )
        if isinstance(exc, CheckpointError):  # its sentence already names the file and fix
            raise RunDirError(f"{str(exc).rstrip('.')}, {hint}.") from exc
        raise RunDirError(
            f"{_os_error_text(exc)}; free disk space or fix permissions, {hint}."
        ) from exc
    if not result.is_main:
        return 0
    if args.json:
        _print_json(result.summary())
    if result.status == "interrupted":
        _err(f"Stopped at step {result.step}; resume with: gankit train --resume --out {out}")
        return 130
    _err(
        f"Done: {result.step} steps in {result.wall_time_s:.1f} s ({result.img_per_s:.0f} img/s); "
        f"outputs in {out}/"
    )
    return 0


def _os_error_text(exc: OSError) -> str:
    """An OSError as words a user reads ("No space left on device for 'x'"), no errno number."""
    what = exc.strerror or str(exc)
    return f"{what} for '{exc.filename}'" if exc.filename else what


def cmd_sample(args: argparse.Namespace) -> int:
    from gankit import api

    out = (
        Path(args.out)
        if args.out
        else Path(args.run if Path(args.run).is_dir() else ".") / "sample_grid.png"
    )
    if not (args.interpolate or args.best or args.class_grid):
        drawn = api.sample(
            args.run,
            args.n,
            seed=args.seed,
            class_index=args.cls,
            device=args.device,
            checkpoint=args.checkpoint,
            out=out,
        )
        which = "EMA" if drawn.used_ema else "raw"
        _err(f"Wrote {len(drawn.images)} images to {out} ({which} generator, step {drawn.step})")
        return 0
    common = {"seed": args.seed, "device": args.device, "checkpoint": args.checkpoint}
    if args.interpolate:
        api.interpolate(
            args.run, rows=args.rows, steps=args.steps, class_index=args.cls, out=out, **common
        )
        _err(f"Wrote a {args.rows}x{args.steps} latent interpolation to {out}")
        return 0
    if args.best:
        pool = max(args.n, args.best)
        api.best_of(args.run, args.best, pool=pool, class_index=args.cls, out=out, **common)
        _err(f"Wrote the {args.best} best of {pool} images to {out}")
        return 0
    drawn = api.class_grid(args.run, n=args.n, out=out, **common)
    assert drawn.labels is not None  # a class grid always has labels
    rows = int(drawn.labels.max()) + 1
    _err(f"Wrote a class grid ({rows} rows x {len(drawn.labels) // rows}) to {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from gankit import api

    result = api.evaluate(
        args.run,
        metrics=args.metrics,
        n=args.n,
        ref=args.ref,
        seed=args.seed,
        device=args.device,
        precision=args.precision,
        protocol=args.protocol,
        checkpoint=args.checkpoint,
        data_root=args.root,
        progress=not args.quiet,
    )
    _print_result(result, as_json=args.json)
    return 0


def cmd_fid(args: argparse.Namespace) -> int:
    from gankit import api

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    metrics += ["kid"] if args.kid and "kid" not in metrics else []
    result = api.score_images(
        args.a,
        args.b,
        metrics=metrics,
        n=args.n,
        device=args.device,
        precision=args.precision,
        protocol=args.protocol,
        data_root=args.root,
    )
    _print_result(result, as_json=args.json)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from gankit import api

    result = api.save_stats(
        args.source,
        args.out,
        n=args.n,
        device=args.device,
        precision=args.precision,
        protocol=args.protocol,
        data_root=args.root,
        progress=not args.quiet,
    )
    if args.json:
        _print_json(result)
    _err(f"Wrote FID statistics of {result['n']} images to {result['out']}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from gankit import api

    out = api.compare(args.runs, args.out)
    _err(f"Wrote {out}")
    return 0


def cmd_recipes(_args: argparse.Namespace) -> int:
    from gankit.config import all_choices, list_recipes

    recipes = list_recipes()
    width = max(len(n) for n in recipes)
    for name, desc in recipes.items():
        print(f"{name:<{width}}  {desc}")
    table = all_choices()
    key_width = max(len(k) for k in table)
    print("\nChoices (--set KEY=VALUE):")
    for key, names in table.items():
        print(f"  {key:<{key_width}}  {', '.join(names)}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from gankit import data

    if args.action == "list":
        for row in data.dataset_status(root=args.root):
            print(_format_status(row))
        return 0
    if not args.name:
        raise GankitError(f"'gankit data {args.action}' needs a dataset name, e.g. fashion-mnist.")
    if args.action == "check":
        summary = data.check_dataset(args.name, root=args.root)
        if summary.get("split_rule"):
            print(f"split rule: {summary['split_rule']}")
        names = summary.get("class_names", [])
        for split, info in summary.get("splits", {}).items():
            print(f"{summary.get('name', args.name)}:{split}  " + json.dumps(info, default=str))
            if names and len(names) == len(info["class_counts"]):
                counts = ", ".join(
                    f"{c} {k}" for c, k in zip(names, info["class_counts"], strict=True)
                )
                print(f"  per class: {counts}")
        return 0
    path = data.prepare_dataset(args.name, root=args.root)
    _err(f"{args.name} is ready in {path}")
    return 0


def _format_status(row: Any) -> str:
    """``name  found: PATH`` or ``name  missing: how to get it``."""
    if row.available:
        where = row.path or "generated on the fly"
        return f"{row.name:<14} found: {where}"
    return f"{row.name:<14} missing: {row.how_to_get}"


def cmd_export(args: argparse.Namespace) -> int:
    from gankit import api

    notes = {}
    for item in args.note:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise GankitError(f"--note takes KEY=VALUE (e.g. fid10k=14.2); got '{item}'.")
        notes[key] = value
    out = api.export(args.run, args.out, half=args.half, notes=notes)
    _err(f"Wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


# ----------------------------------------------------------------------------- parser


def _add_protocol(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--protocol",
        default="tf1",
        choices=["tf1", "clean"],
        help="resize to 299: tf1 = TensorFlow 1 bilinear (default, the original FID), "
        "clean = clean-fid's PIL bicubic",
    )


def _add_checkpoint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint",
        default="last",
        metavar="last|best|STEP",
        help="which checkpoint of a run directory: last, best (last when there is none) or a "
        "step whose periodic copy was kept (e.g. 50000)",
    )


def _add_precision(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=["fp32", "bf16"],
        help="Inception precision of the scored images: fp32 = exact (default); bf16 = about "
        "2x faster on CPUs with native bf16 (AVX512-BF16, AMX), slower elsewhere; dataset-split "
        "references stay fp32",
    )


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose epilog can be computed when help is shown (``epilog_from``):
    the choices come from the registries, whose packages import torch, so they are listed
    only when the user asks for ``--help``, never on every command."""

    def __init__(self, *args: Any, epilog_from: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._epilog_from = epilog_from

    def format_help(self) -> str:
        if self._epilog_from is not None:
            self.epilog = self._epilog_from()
        return super().format_help()


def _choices_epilog() -> str:
    """``gankit train --help``: every --set key with a closed set of values, from the registries."""
    from gankit.config import NAMED_LISTS, all_choices

    table = all_choices()
    width = max(len(k) for k in table)
    lines = [
        f"  {key:<{width}}  {', '.join(names)}" + (" (comma list)" if key in NAMED_LISTS else "")
        for key, names in table.items()
    ]
    return "choices for --set KEY=VALUE:\n" + "\n".join(lines)


def _datasets_epilog() -> str:
    """``gankit data --help``: the registered datasets, each with its few words."""
    from gankit.data import DATASETS

    width = max(len(n) for n in DATASETS)
    lines = [f"  {n:<{width}}  {DATASETS.get(n).description}" for n in DATASETS]
    return "datasets:\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gankit", description="Train, evaluate, compare and sample GANs on image datasets."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser(
        "train",
        help="train a recipe or a config.yaml",
        epilog_from=_choices_epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument(
        "recipe", nargs="?", default=None, help="recipe name or YAML file (default dcgan-fashion)"
    )
    t.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a config key (the keys with fixed choices are listed below)",
    )
    t.add_argument("--out", help="run directory (default runs/<recipe>)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out")
    t.add_argument("--force", action="store_true", help="replace a run already in --out")
    t.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    t.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("eval", help="score a trained generator against a dataset split")
    e.add_argument("run", help="run directory, checkpoint, .safetensors export or pretrained:NAME")
    e.add_argument(
        "--metrics", default="fid,kid", help="comma list of fid,kid,is,pr,dc,fid_inf,ifid,cas"
    )
    e.add_argument("--n", type=int, default=10_000, help="number of generated images")
    e.add_argument(
        "--ref",
        default="test",
        help="reference split (test|train), NAME:SPLIT, or a statistics .npz (gankit stats)",
    )
    _add_precision(e)
    e.add_argument("--seed", type=int, default=0)
    _add_checkpoint(e)
    _add_protocol(e)
    e.add_argument("--device", default="cpu")
    e.add_argument("--root", help="where dataset specs are read, e.g. DIR for --ref folder:test")
    e.add_argument("--json", action="store_true")
    e.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    e.set_defaults(func=cmd_eval)

    f = sub.add_parser("fid", help="FID (and KID) between two image sets")
    f.add_argument(
        "a",
        help="folder, .npz/.npy uint8 array, dataset spec like fashion-mnist:test, or a "
        "statistics .npz (mu, sigma)",
    )
    f.add_argument("b", help="the reference, in any form A accepts")
    f.add_argument("--kid", action="store_true", help="add KID (same as --metrics fid,kid)")
    f.add_argument("--metrics", default="fid", help="comma list of fid,kid,pr,dc,fid_inf")
    f.add_argument("--n", type=int, default=None, help="use the first N images of each set")
    _add_precision(f)
    f.add_argument("--device", default="cpu")
    f.add_argument("--root", help="where dataset specs are read, e.g. DIR for folder:test")
    f.add_argument("--json", action="store_true")
    _add_protocol(f)
    f.set_defaults(func=cmd_fid)

    st = sub.add_parser("stats", help="write FID statistics (mu, sigma) of an image set to .npz")
    st.add_argument("source", help="folder, .npz/.npy uint8 array, or dataset spec")
    st.add_argument("--out", required=True, help="statistics file to write (.npz)")
    st.add_argument("--n", type=int, default=None, help="use the first N images")
    _add_precision(st)
    st.add_argument("--device", default="cpu")
    st.add_argument("--root", help="where dataset specs are read, e.g. DIR for folder:test")
    st.add_argument("--json", action="store_true", help="print what was written as JSON")
    st.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    _add_protocol(st)
    st.set_defaults(func=cmd_stats)

    s = sub.add_parser("sample", help="generate images from a run")
    s.add_argument("run", help="run directory, checkpoint, .safetensors export or pretrained:NAME")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--class", dest="cls", type=int, default=None, help="class index to generate")
    s.add_argument("--class-grid", action="store_true", help="one row per class")
    s.add_argument("--out", help="folder, file.npz or grid.png")
    s.add_argument("--best", type=int, default=0, metavar="K", help="keep the K best-scored of --n")
    s.add_argument("--interpolate", action="store_true", help="latent interpolation strips")
    s.add_argument("--rows", type=int, default=6)
    s.add_argument("--steps", type=int, default=10)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu")
    _add_checkpoint(s)
    s.set_defaults(func=cmd_sample)

    c = sub.add_parser("compare", help="one HTML report over several runs")
    c.add_argument("runs", nargs="+")
    c.add_argument("--out", default="report.html")
    c.set_defaults(func=cmd_compare)

    r = sub.add_parser("recipes", help="list built-in recipes and the valid names of each choice")
    r.set_defaults(func=cmd_recipes)

    d = sub.add_parser(
        "data",
        help="find, verify or fetch datasets",
        epilog_from=_datasets_epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("action", choices=["list", "check", "prepare"])
    d.add_argument("name", nargs="?", help="a dataset listed below (check, prepare)")
    d.add_argument("--root", help="where to look first: a data folder, or the folder itself")
    d.set_defaults(func=cmd_data)

    x = sub.add_parser("export", help="export the generator as safetensors (no pickle)")
    x.add_argument("run")
    x.add_argument("--out", required=True)
    x.add_argument("--half", action="store_true", help="store weights in fp16 (half the size)")
    x.add_argument(
        "--note",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra header field, e.g. the measured FID (repeatable)",
    )
    x.set_defaults(func=cmd_export)
    return p


def _show_warning(
    message: Any,
    category: Any,
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings meant for users (few FID samples, ...) as one line, not a source listing."""
    _err(f"warning: {message}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():  # restores the handler when main() is called in-process
        warnings.showwarning = _show_warning
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except GankitError as exc:
        _err(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _err("Interrupted.")
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:
        if exc.errno not in _USER_FIXABLE_ERRNOS:
            raise
        writing = exc.errno in _WRITE_ERRNOS
        fix = "free disk space or fix permissions" if writing else "check the path"
        _err(f"error: {_os_error_text(exc)}; {fix} and try again.")
        return 2
