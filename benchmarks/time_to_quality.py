"""Time to quality: how many wall-clock minutes until a generator reaches a given FID, for
gankit's recipes and for the canonical PyTorch DCGAN example on the same machine.

Users do not want images per second; they want a good generator sooner. This benchmark
trains both for a wall-clock budget, keeps every checkpoint with the training minutes it
took, scores them with gankit's FID against the dataset's test split, and reports when each
gankit recipe first reaches the example's final FID (peer minutes / gankit minutes), with
FID-10k (exact fp32) confirming the example's last checkpoint and gankit's crossing.

Datasets (``--dataset``, the same on every step): ``fashion`` (Fashion-MNIST, installed by
``make setup``) and ``cifar10`` (an image-folder copy with ``train/`` and ``test/``, given by
``--root DIR``; the example reads ``DIR/train`` with its ``--dataset folder``, gankit trains
``best-cifar10`` on the same folder and both are scored against ``DIR/test``).

Steps (each a sub-command, so a long step can run alone in the background)::

    # 1. Fashion-MNIST only: the data as a user of the example holds it, PNG class folders
    python benchmarks/time_to_quality.py folder --out DATA/fashion-folder
    # 2. the example itself, run from its own checkout (never copied here)
    python benchmarks/time_to_quality.py peer --main EXAMPLES/dcgan/main.py \
        --data DATA/fashion-folder --minutes 30 --out runs/tq-peer
    python benchmarks/time_to_quality.py peer --dataset cifar10 --root DIR \
        --main EXAMPLES/dcgan/main.py --minutes 120 --out runs/tq-peer-cifar10
    # 3. gankit recipes for the same budget, every epoch's checkpoint kept
    python benchmarks/time_to_quality.py gankit best-fashion --minutes 30 --out runs/tq-best-fashion
    python benchmarks/time_to_quality.py gankit best-cifar10 --dataset cifar10 --root DIR \
        --minutes 120 --out runs/tq-best-cifar10
    # 4. FID-2k of every checkpoint, FID-10k of the peer's last and of the crossing
    python benchmarks/time_to_quality.py score --peer runs/tq-peer \
        --run runs/tq-best-fashion --out benchmarks/time_to_quality.json
    python benchmarks/time_to_quality.py score --dataset cifar10 --root DIR \
        --peer runs/tq-peer-cifar10 --run runs/tq-best-cifar10 \
        --out benchmarks/time_to_quality_cifar10.json
    # 5. the curves on one plot and the table
    python benchmarks/time_to_quality.py report benchmarks/time_to_quality.json \
        --plot benchmarks/grids/time_to_quality.png

The example trains at its defaults (64 px RGB, batch 64, Adam 2e-4 / beta1 0.5, two loader
workers) on the folder; its checkpoints come at epoch ends only (``netG_epoch_N.pth``), so
its curve has one point per epoch. How its samples are scored: ``benchmarks/peer_dcgan.py``
(brought back to the dataset's own size and channels: 28 px grey, or 32 px RGB).
At its defaults the example can collapse on CIFAR-10 in its first few hundred iterations (its
discriminator rejects every fake; the generator draws one grey texture from then on): the
``peer`` step says so and records it, and ``score`` refuses such a peer, since a speed-up
against it would mean nothing; run the peer again with another ``--seed``.
Training minutes exclude evaluation for gankit (its trainer times steps only) and include
data loading for the example (as its user waits for it); the peer's minutes are measured
from its process start to the moment each checkpoint file appears.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchlib import cpu_facts, git_commit, usable_cores

from gankit.atomic import atomic_write_text

HERE = Path(__file__).resolve().parent
EPOCH_FILE = re.compile(r"netG_epoch_(\d+)\.pth$")
PEER_LINE = re.compile(r"^\[(\d+)/\d+\]\[(\d+)/(\d+)\]")
PEER_FAKE_SCORE = re.compile(r"D\(G\(z\)\): [0-9.]+ / ([0-9.]+)")
COLLAPSE_WINDOW = 50  # iterations: a healthy run's D gives its fakes 0.05-0.3, never ~0 this long
# the one sentence both the peer step and score end with when the example collapsed
COLLAPSED_ADVICE = (
    "so a speed-up against it means nothing; run the peer step again with another --seed."
)
LABELS = {"fashion": "Fashion-MNIST", "cifar10": "CIFAR-10"}


@dataclass(frozen=True)
class Target:
    """What one dataset means on every step: the reference split, how the example's 64 px RGB
    samples are brought back to the data's own form, gankit's recipe and data overrides."""

    name: str  # fashion | cifar10
    ref: str  # the reference split FID is computed against
    root: str | None  # where that split is read (an image folder's root)
    size: int  # the data's own image size ...
    channels: int  # ... and channels, which the peer's samples are scored at
    recipe: str  # the gankit recipe this dataset is raced with by default
    overrides: tuple[str, ...] = ()  # where gankit reads the data
    at: tuple[float, ...] = (1, 2, 3, 4, 6, 10, 20, 30)  # minutes to score by default


def target_of(dataset: str, root: Path | None = None) -> Target:
    """The :class:`Target` of ``fashion`` or of ``cifar10`` (whose copy is at ``root``)."""
    if dataset == "fashion":
        return Target("fashion", "fashion-mnist:test", None, 28, 1, "best-fashion")
    if dataset != "cifar10":
        raise SystemExit(f"Unknown dataset {dataset!r}; use fashion or cifar10.")
    if root is None:
        raise SystemExit("--dataset cifar10 needs --root DIR, the copy with train/ and test/.")
    missing = [split for split in ("train", "test") if not (root / split).is_dir()]
    if missing:
        raise SystemExit(
            f"{root} has no {' or '.join(f'{m}/' for m in missing)} folder; "
            "CIFAR-10 needs train/ to train on and test/ to score against."
        )
    folder = str(Path(root).resolve())
    return Target("cifar10", "folder:test", folder, 32, 3, "best-cifar10",
                  ("data.name=folder", f"data.root={folder}"),
                  (5, 10, 15, 20, 30, 45, 60, 90, 120))  # fmt: skip


# ------------------------------------------------------------------------------ 1. the folder


def write_folder(out: Path, dataset: str = "fashion-mnist", split: str = "train") -> int:
    """Write a split as ``out/<class>/<index>.png`` (lossless), the layout ImageFolder reads."""
    import numpy as np
    from PIL import Image

    from gankit.data import load_dataset

    data = load_dataset(dataset, split)
    images = data.images.numpy()
    labels = data.labels.numpy()
    for name in data.class_names:
        (out / name.replace("/", "-")).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        name = data.class_names[int(label)].replace("/", "-")
        pixels = image[0] if image.shape[0] == 1 else np.transpose(image, (1, 2, 0))
        Image.fromarray(pixels).save(out / name / f"{i:05d}.png")
    return len(images)


# ------------------------------------------------------------------------------ 2. the peer


def run_peer(
    main_py: Path, data: Path, out: Path, minutes: float, seed: int, dataset: str = "fashion"
) -> dict:
    """Run the example for ``minutes`` and note when each epoch's checkpoint appeared."""
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "peer.log"
    command = [
        sys.executable, "-u", str(main_py), "--dataset", "folder", "--dataroot", str(data),
        "--outf", str(out), "--niter", "1000", "--manualSeed", str(seed),
    ]  # fmt: skip
    timeline: dict[str, float] = {}
    started = time.monotonic()
    cpu_before = os.times()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            command, cwd=main_py.parent, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        while proc.poll() is None and time.monotonic() - started < 60 * minutes:
            time.sleep(2)
            for path in out.glob("netG_epoch_*.pth"):
                timeline.setdefault(path.name, round((time.monotonic() - started) / 60, 3))
        wall = time.monotonic() - started
        for path in out.glob("netG_epoch_*.pth"):  # written since the last look
            timeline.setdefault(path.name, round(wall / 60, 3))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    cpu_after = os.times()
    cpu = (cpu_after.children_user + cpu_after.children_system) - (
        cpu_before.children_user + cpu_before.children_system
    )
    lines = log_path.read_text().splitlines()
    iterations = sum(1 for line in lines if PEER_LINE.match(line))
    collapsed = peer_collapsed(lines)
    if collapsed:
        print(
            f"The example collapsed: its discriminator gave every fake a score below 0.001 for "
            f"the last {COLLAPSE_WINDOW} iterations, {COLLAPSED_ADVICE}",
            file=sys.stderr,
        )
    cores = usable_cores()
    record = {
        "command": " ".join(command),
        "dataset": dataset,
        "minutes": minutes,
        "seed": seed,
        "iterations": iterations,
        "img_per_s": round(iterations * 64 / wall, 1),
        "collapsed": collapsed,
        "checkpoint_minutes": timeline,
        "cores": cores,
        "cpu_share": round(cpu / wall / cores, 3),
        "cpu": cpu_facts()["cpu"],
    }
    (out / "timeline.json").write_text(json.dumps(record, indent=2))
    return record


def peer_collapsed(log_lines: list[str], window: int = COLLAPSE_WINDOW) -> bool:
    """Whether the example ended collapsed: D's score of the fakes in G's step (the second
    ``D(G(z))`` number it prints) below 0.001 on each of its last ``window`` iterations.

    At its defaults the example sometimes fails this way on CIFAR-10 within its first few
    hundred iterations (G draws one grey texture, Loss_G near 38 from then on) and does not
    recover; a race against such a run would report a speed-up against nothing.
    """
    scores = [float(m.group(1)) for line in log_lines if (m := PEER_FAKE_SCORE.search(line))]
    return len(scores) >= window and all(score < 1e-3 for score in scores[-window:])


# ------------------------------------------------------------------------------ 3. gankit


def gankit_overrides(minutes: float, target: Target, extra: list[str]) -> list[str]:
    """A wall-clock budget (no other length), every periodic checkpoint kept, no in-training
    FID (scoring comes after), the dataset's folder, then the user's own overrides."""
    return [
        *target.overrides, f"train.max_minutes={minutes:g}", "train.epochs=null",
        "train.steps=null", "train.fid_every=0", "train.keep_checkpoints=100000", *extra,
    ]  # fmt: skip


def run_gankit(
    recipe: str, minutes: float, out: Path, overrides: list[str], target: Target | None = None
) -> int:
    """Train a recipe for ``minutes`` keeping every epoch's checkpoint (no in-training FID).

    ``out/tq.json`` records the cores the run had (its CPU affinity: a run pinned with
    ``taskset`` to one core is labelled so in the table and the plot) and the CPU model.
    """
    from gankit import api

    target = target or target_of("fashion")
    result = api.train(recipe, overrides=gankit_overrides(minutes, target, overrides), out=out,
                       force=True, progress=False)  # fmt: skip
    if result.status != "completed":
        return 130
    facts = {
        "recipe": recipe,
        "dataset": target.name,
        "minutes": minutes,
        "overrides": overrides,
        "cores": usable_cores(),
        "cpu": cpu_facts()["cpu"],
    }
    atomic_write_text(out / "tq.json", json.dumps(facts, indent=2) + "\n")
    return 0


def run_facts(run_dir: Path) -> dict:
    """Cores and training precision of a gankit run (what its row and label say); the run's
    ``config.yaml`` holds the precision ``auto`` resolved to."""
    from gankit.config import load_config

    facts_path = run_dir / "tq.json"
    facts = json.loads(facts_path.read_text()) if facts_path.is_file() else {}
    config = run_dir / "config.yaml"
    precision = load_config(str(config)).train.precision if config.is_file() else None
    return {"cores": facts.get("cores"), "precision": precision}


# ------------------------------------------------------------------------------ 4. scoring


def peer_points(peer_dir: Path) -> list[tuple[float, Path]]:
    """(training minutes, checkpoint) of the example, in order."""
    timeline = json.loads((peer_dir / "timeline.json").read_text())["checkpoint_minutes"]
    points = [(float(minutes), peer_dir / name) for name, minutes in timeline.items()]
    return sorted(points)


def gankit_points(run_dir: Path) -> list[tuple[float, Path]]:
    """(training minutes, checkpoint) of every periodic checkpoint of a gankit run."""
    import torch

    points = []
    for path in sorted((run_dir / "checkpoints").glob("step_*.pt")):
        state = torch.load(path, map_location="cpu", weights_only=True)
        points.append((round(float(state["wall_time"]) / 60, 3), path))
    return sorted(points)


def nearest(points: list[tuple[float, Path]], minutes: list[float]) -> list[tuple[float, Path]]:
    """The checkpoint nearest each requested minute (once each), and always the last one:
    dense where a crossing is expected, sparse where the curve is flat."""
    kept = {min(points, key=lambda p: abs(p[0] - m)) for m in minutes} if points else set()
    if points:
        kept.add(points[-1])
    return sorted(kept)


def fid_of(
    checkpoint: Path, n: int, *, peer: bool, precision: str, target: Target | None = None
) -> float:
    """FID-n of a checkpoint, remembered in ``fid_scores.json`` beside it.

    A FID-10k costs about 25 minutes on one core, so each score is computed once: scoring can
    then be split over cores (one ``score`` per run, each pinned with ``taskset``) and a final
    ``score`` over all runs only reads what they wrote. A gankit checkpoint is scored by
    ``gankit.api.evaluate`` against its own run's test split; the example's generator is not
    a gankit run, so it goes to the metrics package with the dataset's split.
    """
    memo_path = checkpoint.parent / "fid_scores.json"
    key = f"{checkpoint.name}|n={n}|{precision}"
    if memo_path.is_file() and key in (memo := json.loads(memo_path.read_text())):
        return float(memo[key])

    target = target or target_of("fashion")
    if peer:
        from peer_dcgan import load_peer_generator

        from gankit.metrics import evaluate_generator

        generator = load_peer_generator(checkpoint, size=target.size, channels=target.channels)
        result = evaluate_generator(generator, metrics="fid", n=n, ref=target.ref,
                                    precision=precision, data_root=target.root)  # fmt: skip
    else:
        from gankit import api

        result = api.evaluate(checkpoint, metrics="fid", n=n, ref="test", precision=precision,
                              record=False)  # fmt: skip
    fid = float(result["fid"])
    memo = json.loads(memo_path.read_text()) if memo_path.is_file() else {}  # re-read: others
    memo[key] = fid
    atomic_write_text(memo_path, json.dumps(memo, indent=2, sort_keys=True) + "\n")
    return fid


def first_crossing(curve: list[dict], target: float) -> dict | None:
    """The first point of ``curve`` whose FID is at or below ``target``."""
    return next((p for p in curve if p["fid"] <= target), None)


def score(args: argparse.Namespace) -> dict:
    target = target_of(args.dataset, args.root)
    timeline = json.loads((args.peer / "timeline.json").read_text())
    if timeline.get("collapsed"):
        raise SystemExit(
            f"The example in {args.peer} collapsed (its discriminator rejected every fake at "
            f"the end), {COLLAPSED_ADVICE}"
        )
    if timeline.get("dataset", "fashion") != target.name:
        raise SystemExit(
            f"{args.peer} trained on {timeline.get('dataset', 'fashion')}, not "
            f"{target.name}; score each dataset with its own peer."
        )

    def curve_of(points: list[tuple[float, Path]], peer: bool) -> list[dict]:
        curve = []
        for minutes, path in points:
            fid = fid_of(path, args.n, peer=peer, precision=args.precision, target=target)
            curve.append({"minutes": minutes, "checkpoint": path.name, "fid": round(fid, 3)})
            print(f"{path}: {minutes:.2f} min FID-{args.n} {fid:.2f}", flush=True)
        return curve

    points = peer_points(args.peer)
    peer_curve = curve_of(points, peer=True)
    peer_facts = ("img_per_s", "cores", "cpu_share", "minutes", "iterations")
    last_peer = points[-1][1]
    confirm = args.confirm_n > 0
    peer_final = (
        fid_of(last_peer, args.confirm_n, peer=True, precision="fp32", target=target)
        if confirm else None
    )  # fmt: skip
    result = {
        "dataset": target.name,
        "cpu": cpu_facts()["cpu"],
        "commit": git_commit(),
        "n": args.n,
        "confirm_n": args.confirm_n,
        "precision": args.precision,
        "peer": {
            "dir": args.peer.name,
            "curve": peer_curve,
            "final_fid_confirm": None if peer_final is None else round(peer_final, 3),
            **{key: timeline[key] for key in peer_facts if key in timeline},
        },
        "runs": [],
    }
    target = peer_curve[-1]["fid"]
    for run_dir in args.run:
        curve = curve_of(nearest(gankit_points(run_dir), args.at or list(target.at)), peer=False)
        crossing = first_crossing(curve, target)
        entry: dict = {
            "dir": run_dir.name,
            **run_facts(run_dir),
            "curve": curve,
            "crossing": crossing,
        }
        if crossing is not None:
            peer_minutes = result["peer"]["curve"][-1]["minutes"]
            entry["speedup"] = round(peer_minutes / crossing["minutes"], 2)
        if crossing is not None and confirm:
            confirmed = fid_of(
                run_dir / "checkpoints" / crossing["checkpoint"], args.confirm_n,
                peer=False, precision="fp32", target=target,
            )  # fmt: skip
            entry["crossing_fid_confirm"] = round(confirmed, 3)
        result["runs"].append(entry)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


# ------------------------------------------------------------------------------ 5. report


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def run_label(run: dict) -> str:
    """``best-fashion (1 core, bf16)``: the run's directory name and what it trained with."""
    cores = run.get("cores")
    facts = [f"{cores} core{'s' if cores != 1 else ''}" if cores else "", run.get("precision")]
    said = ", ".join(fact for fact in facts if fact)
    return f"{run['dir']} ({said})" if said else run["dir"]


def report(results_path: Path, plot: Path | None) -> str:
    result = json.loads(results_path.read_text())
    peer = result["peer"]
    target = peer["curve"][-1]
    n, m = result["n"], result["confirm_n"]
    there = f"FID-{m} (fp32) there" if m else f"FID-{n} there"
    data = LABELS[result.get("dataset", "fashion")]  # files from before CIFAR-10: Fashion
    lines = [
        f"{data}; CPU: {result['cpu']}; FID-{n} ({result['precision']} Inception) along the "
        f"curves, FID-{m} (fp32) to confirm",
        "",
        f"| generator | reaches the example's {target['minutes']:.1f}-minute FID-{n} "
        f"({target['fid']:.2f}) at | {there} | speed-up |",
        "| --- | --- | --- | --- |",
        f"| canonical DCGAN example | {target['minutes']:.1f} min | "
        f"{_fmt(peer['final_fid_confirm'] if m else target['fid'])} | 1x |",
    ]
    for run in result["runs"]:
        crossing = run["crossing"]
        if crossing is None:
            lines.append(f"| {run_label(run)} | not within its budget | - | - |")
            continue
        lines.append(
            f"| {run_label(run)} | {crossing['minutes']:.2f} min | "
            f"{_fmt(run.get('crossing_fid_confirm') if m else crossing['fid'])} | "
            f"{run['speedup']:.1f}x |"
        )
    text = "\n".join(lines)
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        ax.plot(*zip(*[(p["minutes"], p["fid"]) for p in peer["curve"]], strict=True),
                "o-", label=run_label({"dir": "canonical DCGAN example", "cores": peer.get("cores"),
                                      "precision": "fp32"}))  # fmt: skip
        for run in result["runs"]:
            points = [(p["minutes"], p["fid"]) for p in run["curve"]]
            ax.plot(*zip(*points, strict=True), ".-", label=run_label(run))
        ax.axhline(target["fid"], color="grey", lw=0.8, ls="--")
        ax.set_xlabel("training minutes (wall clock)")
        ax.set_ylabel(f"FID-{n} vs {data} test")
        ax.set_yscale("log")
        ax.legend()
        fig.tight_layout()
        plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(plot, dpi=110)
        plt.close(fig)
    return text


# ------------------------------------------------------------------------------ the CLI


def main(argv: list[str] | None = None) -> int:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--dataset", choices=("fashion", "cifar10"), default="fashion")
    data.add_argument(
        "--root", type=Path, default=None, help="cifar10: the copy's folder, with train/ and test/"
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("folder", help="write Fashion-MNIST's train split as PNG class folders")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser(
        "peer", parents=[data], help="run the canonical DCGAN example for a wall-clock budget"
    )
    p.add_argument("--main", type=Path, required=True, help="path to its dcgan/main.py")
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="its image folder (fashion: the folder step's; cifar10: ROOT/train)",
    )
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser(
        "gankit", parents=[data], help="train a gankit recipe keeping every checkpoint"
    )
    p.add_argument(
        "recipe",
        nargs="?",
        default=None,
        help="default: best-fashion, or best-cifar10 with --dataset cifar10",
    )
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p = sub.add_parser(
        "score", parents=[data], help="FID of every checkpoint, crossings, confirmations"
    )
    p.add_argument("--peer", type=Path, required=True)
    p.add_argument("--run", type=Path, action="append", default=[])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--confirm-n", type=int, default=10000, help="0 skips the confirmations")
    p.add_argument(
        "--at",
        type=lambda text: [float(v) for v in text.split(",")],
        default=None,
        help="training minutes to score (nearest checkpoint); default 1,2,3,4,6,10,20,30 "
        "(fashion) or 5,10,15,20,30,45,60,90,120 (cifar10)",
    )
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("report", help="table and plot from a score file")
    p.add_argument("results", type=Path)
    p.add_argument("--plot", type=Path)
    args = parser.parse_args(argv)

    if args.step == "folder":
        print(f"wrote {write_folder(args.out)} images under {args.out}")
    elif args.step == "peer":
        if not args.main.is_file():
            parser.error(f"{args.main} is not the example's dcgan/main.py")
        target = target_of(args.dataset, args.root)
        folder = args.data or (Path(target.root) / "train" if target.root else None)
        if folder is None:
            parser.error("--data is needed with fashion: the folder the `folder` step wrote")
        record = run_peer(args.main, folder, args.out, args.minutes, args.seed, target.name)
        print(json.dumps(record))
    elif args.step == "gankit":
        target = target_of(args.dataset, args.root)
        return run_gankit(args.recipe or target.recipe, args.minutes, args.out, args.overrides,
                          target)  # fmt: skip
    elif args.step == "score":
        score(args)
        print(report(args.out, None))
    else:
        print(report(args.results, args.plot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
