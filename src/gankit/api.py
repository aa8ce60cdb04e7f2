"""The public Python API: train, resume, evaluate, sample and compare runs.

The command line is a thin layer over these functions (it parses arguments and prints what
they return), so a script or a notebook gets exactly what ``gankit train`` / ``eval`` /
``sample`` / ``compare`` do, with plain results: dataclasses and dicts, no printing. Errors a
user can fix are :class:`gankit.errors.GankitError` subclasses carrying one sentence.

    from gankit import api

    result = api.train("dcgan-fashion", overrides=["train.steps=200"], out="runs/try")
    scores = api.evaluate(result.run_dir, metrics=["fid", "kid"], n=2000)
    batch = api.sample(result.run_dir, 16, seed=1)
    api.compare([result.run_dir], "report.html")

    g = api.load_pretrained("best-fashion")   # ships with gankit: no data, no training
    batch = api.sample("pretrained:best-fashion", 16, class_index=3)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gankit.config import Config, load_config, parse_override, set_key, validate
from gankit.errors import GankitError
from gankit.rundir import RunDir

if TYPE_CHECKING:  # torch and the trainer load on first use: `gankit compare` needs neither
    import torch

    from gankit.training.events import Subscriber
    from gankit.training.trainer import TrainResult

__all__ = [
    "SampleResult",
    "Subscriber",
    "TrainResult",
    "best_of",
    "class_grid",
    "compare",
    "evaluate",
    "export",
    "interpolate",
    "load_pretrained",
    "prepare_config",
    "pretrained_models",
    "resume",
    "sample",
    "save_stats",
    "score_images",
    "train",
]

PathLike = str | os.PathLike[str]
CHECKPOINTS = ("last", "best")


def __getattr__(name: str) -> Any:
    """``api.TrainResult`` and ``api.Subscriber`` without importing torch up front."""
    if name == "TrainResult":
        from gankit.training.trainer import TrainResult

        return TrainResult
    if name == "Subscriber":
        from gankit.training.events import Subscriber

        return Subscriber
    raise AttributeError(f"module 'gankit.api' has no attribute {name!r}")


def _check_checkpoint(checkpoint: str | int) -> str:
    """``last``, ``best`` or a kept step (``50000``), as a run directory's checkpoint name."""
    text = str(checkpoint)
    if text not in CHECKPOINTS and not text.isdigit():
        raise GankitError(f"checkpoint must be last, best or a step number; got '{checkpoint}'.")
    return text


def prepare_config(
    recipe_or_config: str | PathLike | Config | None = None,
    *,
    overrides: Sequence[str] = (),
    out: PathLike | None = None,
    resume_from: PathLike | None = None,
) -> tuple[Config, Path]:
    """The validated config of a run and its directory, without training (``--dry-run``).

    ``recipe_or_config`` is a recipe name, a YAML file or a :class:`Config` (default: the
    default recipe); ``overrides`` are ``key=value`` strings as ``--set`` takes them;
    ``resume_from`` reads the config stored in that run's checkpoint instead. The run
    directory is ``out``, else ``output.dir/output.name`` (default ``runs/<recipe>``).
    """
    if resume_from is not None:
        from gankit.training.resume import resume_config

        cfg = resume_config(RunDir(resume_from), overrides)
        out = resume_from
    elif isinstance(recipe_or_config, Config):
        cfg = _copy(recipe_or_config)
        for text in overrides:
            set_key(cfg, *parse_override(text))
        validate(cfg)
    else:
        recipe = None if recipe_or_config is None else os.fspath(recipe_or_config)
        cfg = load_config(recipe, list(overrides))
    run_dir = Path(out) if out else Path(cfg.output.dir or "runs") / (cfg.output.name or "run")
    cfg.output.dir, cfg.output.name = str(run_dir.parent), run_dir.name
    return cfg, run_dir


def _copy(cfg: Config) -> Config:
    """An independent copy, so the caller's Config is never changed by overrides or paths."""
    from gankit.config import from_dict, to_dict

    return from_dict(to_dict(cfg))


def train(
    recipe_or_config: str | PathLike | Config | None = None,
    *,
    overrides: Sequence[str] = (),
    out: PathLike | None = None,
    force: bool = False,
    progress: bool = True,
    subscribers: Sequence[Subscriber] = (),
) -> TrainResult:
    """Train a recipe, YAML file or Config into a new run directory and return the summary.

    ``force`` replaces a run already in ``out``; ``subscribers`` hear the run's events
    (:class:`gankit.training.events.Subscriber`) beside the standard outputs. The run stops
    at its configured length or on SIGINT/SIGTERM (``status == "interrupted"``, resumable).
    """
    cfg, run_dir = prepare_config(recipe_or_config, overrides=overrides, out=out)
    return _fit(cfg, run_dir, resume=False, force=force, progress=progress, subscribers=subscribers)


def resume(
    run_dir: PathLike,
    *,
    overrides: Sequence[str] = (),
    progress: bool = True,
    subscribers: Sequence[Subscriber] = (),
) -> TrainResult:
    """Continue the run in ``run_dir`` from ``checkpoints/last.pt`` (bit-exact: the same
    result as an uninterrupted run), e.g. with ``overrides=["train.steps=5000"]`` to extend it.
    """
    cfg, path = prepare_config(overrides=overrides, resume_from=run_dir)
    return _fit(cfg, path, resume=True, force=False, progress=progress, subscribers=subscribers)


def _fit(
    cfg: Config,
    run_dir: Path,
    *,
    resume: bool,
    force: bool,
    progress: bool,
    subscribers: Sequence[Subscriber],
) -> TrainResult:
    from gankit.training.trainer import Trainer

    trainer = Trainer(
        cfg, run_dir, resume=resume, force=force, progress=progress, subscribers=subscribers
    )
    return trainer.fit()


def evaluate(
    run_or_checkpoint: PathLike,
    *,
    metrics: str | Sequence[str] = ("fid", "kid"),
    n: int = 10_000,
    ref: str = "test",
    seed: int = 0,
    device: str = "cpu",
    precision: str = "fp32",
    protocol: str = "tf1",
    checkpoint: str | int = "last",
    record: bool = True,
    data_root: PathLike | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Score a run's generator (EMA weights when trained) with registered metrics.

    ``ref`` is a split of the run's dataset (``test``), ``NAME:SPLIT``, or a statistics
    ``.npz``; ``data_root`` is where its dataset is read (default: the run's ``data.root``),
    e.g. DIR for ``folder:test``; ``progress`` prints a line to stderr per batch of images.
    ``checkpoint`` picks ``last`` or ``best`` (falling back to ``last`` when the run
    kept no best). With ``record`` the result is appended to the run's ``metrics.jsonl`` (as
    ``source: gankit eval``) so reports show it. Returns the plain result dict: ``run``,
    ``step``, ``ema``, the metric values and how they were measured.
    """
    from gankit.metrics import evaluate_generator
    from gankit.training.generator_io import load_run

    run = load_run(run_or_checkpoint, prefer=_check_checkpoint(checkpoint), device=device)
    if ":" not in ref and not Path(ref).suffix:  # a split name; a .npz is a statistics file
        ref = f"{run.config.data.name}:{ref}"
    result: dict[str, Any] = {"run": str(run_or_checkpoint), "step": run.step, "ema": run.used_ema}
    result.update(
        evaluate_generator(
            run.generator,
            metrics=metrics,
            n=n,
            ref=ref,
            device=device,
            seed=seed,
            precision=precision,
            data_root=run.config.data.root if data_root is None else data_root,
            protocol=protocol,
            progress=progress,
        )
    )
    for row in result.get("ifid_classes", []):  # per-class rows name their class
        if 0 <= row["class"] < len(run.class_names):
            row["name"] = run.class_names[row["class"]]
    if record and Path(run_or_checkpoint).is_dir():  # keep the score with the run
        RunDir(run_or_checkpoint).append_metrics(
            {"kind": "eval", "source": "gankit eval", **result}
        )
    return result


@dataclass
class SampleResult:
    """Images drawn from a run: uint8 ``[N, C, H, W]`` on the CPU, their labels (None when
    unconditional), the checkpoint step, whether EMA weights drew them, and where they were
    written (None when not asked to)."""

    images: torch.Tensor
    labels: torch.Tensor | None
    step: int
    used_ema: bool
    out: Path | None = None
    scores: torch.Tensor | None = None  # best_of: the discriminator's score of each image


def score_images(
    a: PathLike,
    b: PathLike,
    *,
    metrics: str | Sequence[str] = ("fid",),
    n: int | None = None,
    device: str = "cpu",
    precision: str = "fp32",
    protocol: str = "tf1",
    data_root: PathLike | None = None,
) -> dict[str, Any]:
    """Score image set ``a`` against ``b`` with registered metrics (``gankit fid A B``).

    Each side is an image folder, a ``.npz`` / ``.npy`` of uint8 images, a dataset split such
    as ``cifar10:test`` (found under ``data_root``), or, for FID, a statistics file with ``mu``
    and ``sigma`` (pytorch-fid's layout). ``n`` keeps the first ``n`` images of each side. No
    generator is involved, so this is how samples written by another tool are scored.
    """
    from gankit.metrics import evaluate_images

    return evaluate_images(
        a,
        b,
        metrics=metrics,
        n=n,
        device=device,
        precision=precision,
        protocol=protocol,
        data_root=data_root,
    )


def save_stats(
    source: PathLike,
    out: PathLike,
    *,
    n: int | None = None,
    device: str = "cpu",
    precision: str = "fp32",
    protocol: str = "tf1",
    data_root: PathLike | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Write the FID statistics of an image source to ``out`` (``gankit stats``).

    ``progress`` prints a line to stderr after each batch of images: a folder of 10,000 takes
    over 20 minutes on a 2-core CPU, which should not pass in silence.

    The file holds float64 ``mu`` and ``sigma`` under the keys pytorch-fid and the TTUR code
    read, plus the protocol it was measured with, so a colleague's or a paper's tool can use it
    and gankit refuses it under another protocol. Returns what was written (path, N, protocol).
    """
    from gankit.metrics import save_source_stats

    return save_source_stats(
        source,
        out,
        n=n,
        device=device,
        precision=precision,
        protocol=protocol,
        data_root=data_root,
        progress=progress,
    )


def sample(
    run: PathLike,
    n: int = 64,
    *,
    seed: int = 0,
    class_index: int | None = None,
    device: str = "cpu",
    checkpoint: str | int = "last",
    out: PathLike | None = None,
) -> SampleResult:
    """Draw ``n`` images (all of ``class_index``, or uniform labels) from a run or checkpoint.

    The same seed draws the same images. ``out`` also writes them: a folder of PNGs, a
    ``.npz`` (uint8 NHWC ``images`` and ``labels``) or a ``.png`` grid.
    """
    from gankit import sampling
    from gankit.training.generator_io import load_run

    target = None if out is None else Path(out)
    if target is not None and target.suffix not in ("", ".npz", ".png"):
        raise GankitError(
            f"The output must be a folder, a .npz file or a .png grid; got '{target}'."
        )
    loaded = load_run(run, prefer=_check_checkpoint(checkpoint), device=device)
    images, labels = sampling.sample_images(
        loaded, n, seed=seed, class_index=class_index, device=device
    )
    if target is not None and target.suffix == ".npz":
        sampling.write_npz(target, images, labels)
    elif target is not None and target.suffix == ".png":
        from gankit.viz.grid import save_grid

        save_grid(images, target, nrow=max(1, int(len(images) ** 0.5)))
    elif target is not None:
        sampling.write_folder(target, images)
    return SampleResult(images, labels, loaded.step, loaded.used_ema, target)


def _png_target(out: PathLike | None) -> Path | None:
    """``out`` as a path, refusing anything but a ``.png`` grid before any work is done."""
    if out is None:
        return None
    target = Path(out)
    if target.suffix != ".png":
        raise GankitError(f"This grid is written as a .png file; got '{target}'.")
    return target


def class_grid(
    run: PathLike,
    per_class: int | None = None,
    *,
    n: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    checkpoint: str | int = "last",
    out: PathLike | None = None,
) -> SampleResult:
    """``per_class`` images of every class of a conditional run, one row per class.

    The grid a reader of a conditional-GAN report looks at first: a collapsed or confused class
    shows as a row of near-copies or of another class. Give ``per_class`` (default 10) or ``n``
    images in all, split evenly over the classes. ``out`` writes it as a ``.png`` with the
    class names (when the dataset has them) beside the rows.
    """
    from gankit import sampling
    from gankit.training.generator_io import load_run

    if per_class is not None and n is not None:
        raise GankitError("Give the images per class or the images in all, not both.")
    target = _png_target(out)
    loaded = load_run(run, prefer=_check_checkpoint(checkpoint), device=device)
    if per_class is None:
        per_class = 10 if n is None else n // max(loaded.num_classes, 1)
    per_class = max(1, per_class)
    images, labels = sampling.class_grid(loaded, per_class, seed=seed, device=device)
    if target is not None:
        from gankit.viz.grid import save_class_grid

        save_class_grid(
            images,
            labels,
            loaded.num_classes,
            per_class,
            target,
            class_names=loaded.class_names or None,
        )
    return SampleResult(images, labels, loaded.step, loaded.used_ema, target)


def best_of(
    run: PathLike,
    k: int,
    *,
    pool: int | None = None,
    seed: int = 0,
    class_index: int | None = None,
    device: str = "cpu",
    checkpoint: str | int = "last",
    out: PathLike | None = None,
) -> SampleResult:
    """The ``k`` images of a pool (default ``10 * k``) the run's discriminator finds most real.

    The "10 best fakes" figure of the reports; it needs a run or checkpoint (exports keep no
    discriminator). ``scores`` holds the discriminator's output for each, best first; ``out``
    writes a ``.png`` grid with the scores under the images.
    """
    from gankit import sampling
    from gankit.training.generator_io import load_run

    target = _png_target(out)
    loaded = load_run(run, prefer=_check_checkpoint(checkpoint), device=device)
    pool = max(pool or 10 * k, k)
    images, scores = sampling.best_of(
        loaded, k, pool=pool, seed=seed, class_index=class_index, device=device
    )
    if target is not None:
        from gankit.viz.grid import save_scored_grid

        save_scored_grid(images, scores.tolist(), target)
    return SampleResult(images, None, loaded.step, loaded.used_ema, target, scores)


def interpolate(
    run: PathLike,
    *,
    rows: int = 6,
    steps: int = 10,
    seed: int = 0,
    class_index: int | None = None,
    device: str = "cpu",
    checkpoint: str | int = "last",
    out: PathLike | None = None,
) -> SampleResult:
    """``rows`` walks of ``steps`` images between random latents (spherical interpolation).

    Smooth rows say the generator learned a continuous latent space rather than memorised
    points. ``out`` writes a ``.png`` grid with one walk per row.
    """
    from gankit import sampling
    from gankit.training.generator_io import load_run

    target = _png_target(out)
    loaded = load_run(run, prefer=_check_checkpoint(checkpoint), device=device)
    images = sampling.interpolation(
        loaded, rows=rows, steps=steps, seed=seed, class_index=class_index, device=device
    )
    if target is not None:
        from gankit.viz.grid import save_grid

        save_grid(images, target, nrow=steps)
    return SampleResult(images, None, loaded.step, loaded.used_ema, target)


def compare(runs: Sequence[PathLike], out: PathLike = "report.html") -> Path:
    """One self-contained HTML report over ``runs`` (a table, curves, samples); returns its
    path (``out/report.html`` when ``out`` is a folder)."""
    from gankit.viz.report import write_compare_report

    return write_compare_report([Path(r) for r in runs], Path(out))


def export(
    run: PathLike,
    out: PathLike,
    *,
    half: bool = False,
    notes: dict[str, str] | None = None,
) -> Path:
    """Write a run's generator (EMA weights when trained) as one ``.safetensors`` file.

    The file holds the weights and, in its header, the config and ``notes`` (say the measured
    FID and the commit), so ``pretrained:``-style loading and ``gankit sample FILE`` need no
    pickle and no run directory. ``half`` stores fp16 (half the bytes; loads back as fp32).
    """
    from gankit.export import export_generator

    return export_generator(run, Path(out), half=half, notes=notes)


def pretrained_models() -> dict[str, dict[str, str]]:
    """The generators that ship with this install, each with its header fields (recipe,
    commit, the FID it measured and against what)."""
    from gankit import pretrained

    return {name: pretrained.describe(name) for name in pretrained.available()}


def load_pretrained(name: str, *, device: str = "cpu") -> torch.nn.Module:
    """A generator that ships with gankit, in eval mode: ``g(z, y)`` maps ``z`` of shape
    ``[N, g.z_dim]`` (and labels ``y`` when ``g.num_classes``) to images in [-1, 1].

    Every function here that takes a run also takes ``"pretrained:NAME"``.
    """
    from gankit.training.generator_io import load_run

    return load_run(f"pretrained:{name}", device=device).generator
