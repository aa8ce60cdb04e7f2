"""How sharp a run's discriminator is on real images, checkpoint by checkpoint: the mean squared
norm of D's gradient with respect to its input (what R1 penalises), D's loss and accuracy on
real images.

    python benchmarks/d_gradient.py RUN/checkpoints/step_0010000.pt RUN/checkpoints/step_0025000.pt
    python benchmarks/d_gradient.py RUN/checkpoints/step_*.pt --n 512 --json

Why: a FID curve that stalls while D's loss falls says the discriminator wins, not why. A D
that memorises its training images answers them with near-certain logits and a steep input
gradient; R1 (``objective.r1_weight``) penalises exactly ``E ||grad_x D(x)||^2`` on real
images, so this number sizes its gamma (the penalty is ``gamma / 2`` times it) and shows
whether a change keeps D smooth. Each checkpoint's D runs as in training: train mode (batch
statistics), the run's DiffAugment policy on the real images, batches of the run's size, the
same ``--n`` training images (seeded) for every checkpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

_LOADED: dict[tuple[str, str | None], Any] = {}


def _dataset(data: Any, root: str | None) -> Any:
    """The run's training images, loaded once per data config: the checkpoints of one run
    (the usual argument list) share them, so only the first one pays for the load."""
    from gankit.data import load_configured_dataset

    key = (repr(data), root)
    if key not in _LOADED:
        _LOADED[key] = load_configured_dataset(data, root=root)
    return _LOADED[key]


def sharpness(checkpoint: Path, *, n: int, seed: int, data_root: str | None) -> dict:
    """E||grad_x D(x)||^2, D's mean real loss (softplus(-logit)) and the share of real
    images D scores above 0, over ``n`` training images of the checkpoint's run."""
    from gankit.config import from_dict
    from gankit.data.transforms import to_float
    from gankit.models.build import build_discriminator
    from gankit.objectives.diffaugment import diff_augment
    from gankit.objectives.penalties import adversarial_output
    from gankit.training.checkpoint import load_checkpoint

    state = load_checkpoint(checkpoint)
    cfg = from_dict(state["config"])
    data = cfg.data
    dataset = _dataset(data, data_root)
    shape = tuple(state["image_shape"])
    d = build_discriminator(cfg.model, image_shape=shape, num_classes=state["num_classes"])
    d.load_state_dict(state["discriminator"])
    d.train()  # batch statistics, as D sees its batches in training

    generator = torch.Generator().manual_seed(seed)
    index = torch.randperm(len(dataset.images), generator=generator)[:n]
    conditional = state["num_classes"] > 0  # the classes D was built for, 0 when unconditional
    torch.manual_seed(seed)  # the augmentations' draws
    batch, grad_sq, loss, above = cfg.train.batch_size, [], [], []
    for start in range(0, len(index), batch):
        chosen = index[start : start + batch]
        x = to_float(dataset.images[chosen], data.scale)
        if cfg.objective.diffaugment:
            x = diff_augment(x, cfg.objective.diffaugment)
        x = x.detach().requires_grad_(True)
        out = d(x, dataset.labels[chosen]) if conditional else d(x)
        logits = adversarial_output(out).reshape(-1)
        (grad,) = torch.autograd.grad(logits.sum(), x)
        grad_sq.append(grad.pow(2).flatten(1).sum(1).detach())
        loss.append(F.softplus(-logits).detach())
        above.append((logits > 0).float())
    return {
        "checkpoint": str(checkpoint),
        "step": int(state["step"]),
        "n": len(index),
        "grad_sq": round(torch.cat(grad_sq).mean().item(), 4),
        "real_loss": round(torch.cat(loss).mean().item(), 4),
        "real_accuracy": round(torch.cat(above).mean().item(), 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", type=Path)
    ap.add_argument("--n", type=int, default=256, help="real training images (default 256)")
    ap.add_argument("--seed", type=int, default=0, help="picks the images and augmentations")
    ap.add_argument("--root", help="where the run's data is, if not where it was trained")
    ap.add_argument("--json", action="store_true", help="one JSON object per checkpoint")
    args = ap.parse_args(argv)
    missing = [str(p) for p in args.checkpoints if not p.is_file()]
    if missing:
        print(f"No such checkpoint: {', '.join(missing)}.", file=sys.stderr)
        return 2
    if args.n < 1:
        print(f"--n must be at least 1, got {args.n}.", file=sys.stderr)
        return 2
    if not args.json:
        print("| checkpoint | step | E‖∇x D(x)‖² | D's real loss | D's real accuracy |")
        print("|---|---|---|---|---|")
    for path in args.checkpoints:
        row = sharpness(path, n=args.n, seed=args.seed, data_root=args.root)
        if args.json:
            print(json.dumps(row))
        else:
            print(
                f"| {path.name} | {row['step']:,} | {row['grad_sq']:,.2f} | {row['real_loss']:.3f} "
                f"| {row['real_accuracy']:.3f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
