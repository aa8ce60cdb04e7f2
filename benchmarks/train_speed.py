"""Training throughput: gankit's default fast path against the canonical PyTorch DCGAN loop.

Both train the same architecture (DCGAN 32 px, 3 channels, ngf = ndf = 64, batch 128) on the
same synthetic uint8 data. The baseline is written the way the canonical PyTorch DCGAN example
writes it: fp32, NCHW, ``nn.Sigmoid`` + ``nn.BCELoss``, plain (single-tensor) Adam, a
torchvision-style dataset that turns each stored uint8 array into a PIL image and applies
``ToTensor`` + ``Normalize`` per sample, a ``DataLoader`` with 2 workers (the example's
``--workers 2``), and ``.item()`` on both losses every step. gankit runs
through its own ``Trainer.train_step`` with the settings ``gankit train`` uses by default.
Repeats are interleaved so that machine noise hits both sides alike; the ratio is what counts.

``--precision-table`` instead compares gankit's own precisions at equal architecture and batch:
``fp32``, ``bf16`` and ``auto`` (which runs its probe when the trainer is built and resolves to
one of the two) for each recipe given (default ``dcgan-fashion`` and ``best-fashion``), on
synthetic data of Fashion-MNIST's shape (1 x 28 x 28, 10 classes), interleaved repeats. It
prints the CPU model and whether oneDNN runs bf16 natively, since both decide the outcome.

    python benchmarks/train_speed.py [--repeats 3] [--steps 15] [--set train.precision=bf16]
    python benchmarks/train_speed.py --precision-table [--recipes dcgan-fashion best-fashion]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import torch
from benchlib import usable_cores
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode
from torchvision import transforms

NZ, NGF, NDF, NC, BATCH = 100, 64, 64, 3, 128


class BaselineG(nn.Module):
    """The PyTorch example's generator, sized for 32 px."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class BaselineD(nn.Module):
    """The PyTorch example's discriminator, sized for 32 px, with Sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


class ExampleStyleDataset(Dataset):
    """What ``torchvision.datasets.CIFAR10`` does: uint8 HWC arrays -> PIL -> transforms."""

    def __init__(self, images_uint8: torch.Tensor) -> None:
        self.arrays = images_uint8.permute(0, 2, 3, 1).contiguous().numpy()
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5,) * NC, (0.5,) * NC)]
        )

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(Image.fromarray(self.arrays[i])), 0


class BaselineLoop:
    """The canonical training step, one batch per call."""

    def __init__(self, images_uint8: torch.Tensor) -> None:
        self.loader = DataLoader(
            ExampleStyleDataset(images_uint8),
            batch_size=BATCH,
            shuffle=True,
            drop_last=True,
            num_workers=2,
            persistent_workers=True,
        )
        self.it = iter(self.loader)
        self.g, self.d = BaselineG(), BaselineD()
        self.opt_g = torch.optim.Adam(
            self.g.parameters(), lr=2e-4, betas=(0.5, 0.999), foreach=False
        )
        self.opt_d = torch.optim.Adam(
            self.d.parameters(), lr=2e-4, betas=(0.5, 0.999), foreach=False
        )
        self.criterion = nn.BCELoss()

    def _batch(self) -> torch.Tensor:
        try:
            return next(self.it)[0]
        except StopIteration:
            self.it = iter(self.loader)
            return next(self.it)[0]

    def step(self) -> None:
        real = self._batch()
        ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)
        self.d.zero_grad()
        err_real = self.criterion(self.d(real), ones)
        err_real.backward()
        fake = self.g(torch.randn(BATCH, NZ, 1, 1))
        err_fake = self.criterion(self.d(fake.detach()), zeros)
        err_fake.backward()
        self.opt_d.step()
        self.g.zero_grad()
        err_g = self.criterion(self.d(fake), ones)
        err_g.backward()
        self.opt_g.step()
        _ = (err_real + err_fake).item(), err_g.item()  # the example logs both every step


def gankit_trainer(workdir: Path, overrides: list[str]):
    """gankit's Trainer on the same architecture and data (synthetic, 3x32x32)."""
    from gankit.config import load_config
    from gankit.training.trainer import Trainer

    cfg = load_config(
        "dcgan-cifar10",
        [
            "data.name=synthetic",
            "data.synthetic_shape=[3, 32, 32]",
            "data.synthetic_n=4096",
            f"train.batch_size={BATCH}",
            "train.steps=1000000",
            "train.log_every=50",
            *overrides,
        ],
    )
    return Trainer(cfg, workdir, force=True, progress=False)


def precision_trainer(
    recipe: str, workdir: Path, precision: str, shape: tuple[int, int, int] = (1, 28, 28)
):
    """``recipe`` at its own architecture and batch on synthetic data of ``shape`` (default
    Fashion-MNIST's; ``3,32,32`` for the CIFAR-10 recipes)."""
    from gankit.config import load_config
    from gankit.training.trainer import Trainer

    cfg = load_config(
        recipe,
        [
            "data.name=synthetic",
            f"data.synthetic_shape=[{shape[0]}, {shape[1]}, {shape[2]}]",
            "data.synthetic_n=4096",
            "data.synthetic_classes=10",
            "train.steps=1000000",
            "train.epochs=null",
            "train.max_minutes=null",
            "train.fid_every=0",
            f"train.precision={precision}",
        ],
    )
    return Trainer(cfg, workdir, force=True, progress=False)


def precision_table(
    recipes: list[str], repeats: int, steps: int, shape: tuple[int, int, int] = (1, 28, 28)
) -> None:
    """fp32 vs bf16 vs auto images/s per recipe, interleaved repeats, plus auto's probe."""
    from gankit import cpu

    print(
        f"CPU: {cpu.cpu_model()}  native bf16 (oneDNN): {cpu.has_native_bf16()}  "
        f"threads: {torch.get_num_threads()}"
    )
    for recipe in recipes:
        with tempfile.TemporaryDirectory() as tmp:
            trainers = {
                name: precision_trainer(recipe, Path(tmp) / name, name, shape)
                for name in ("fp32", "bf16", "auto")
            }
            auto = trainers["auto"].precision
            print(f"\n{recipe} (batch {trainers['fp32'].cfg.train.batch_size}): {auto.describe()}")
            for trainer in trainers.values():  # warm-up: allocator, oneDNN primitive caches
                trainer.train_step()
            rates: dict[str, list[float]] = {name: [] for name in trainers}
            for r in range(repeats):
                order = list(trainers) if r % 2 == 0 else list(reversed(trainers))
                for name in order:
                    elapsed = time_steps(trainers[name].train_step, steps)
                    rates[name].append(steps * trainers[name].cfg.train.batch_size / elapsed)
                print(
                    f"  repeat {r + 1}: "
                    + "   ".join(f"{name} {rates[name][-1]:7.1f} img/s" for name in trainers)
                )
            medians = {name: statistics.median(v) for name, v in rates.items()}
            print(
                f"  median: fp32 {medians['fp32']:.1f}, bf16 {medians['bf16']:.1f} "
                f"({medians['bf16'] / medians['fp32']:.2f}x), auto ({auto.precision}) "
                f"{medians['auto']:.1f} ({medians['auto'] / medians['fp32']:.2f}x) img/s"
            )
            for trainer in trainers.values():
                trainer.run.release_writer_lock()


def time_steps(step, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - started


def step_flops(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def peak_gflops() -> tuple[float, float]:
    """Rough fp32 (AVX-512 FMA) and bf16 (AMX) peaks of this machine's cores, in GFLOP/s."""
    mhz = 2000.0
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.findall(r"cpu MHz\s*:\s*([\d.]+)", text)
        if found:
            mhz = float(found[0])
        amx = "amx_bf16" in text
    except OSError:
        amx = False
    cores = os.cpu_count() or 1
    fp32 = cores * mhz / 1000 * 2 * 16 * 2  # 2 FMA ports x 16 lanes x 2 flops
    bf16 = cores * mhz / 1000 * 1024 if amx else fp32 * 2  # AMX tile: 1024 bf16 flop/cycle
    return fp32, bf16


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=15, help="timed steps per repeat")
    ap.add_argument("--set", action="append", default=[], help="extra gankit overrides")
    ap.add_argument(
        "--precision-table",
        action="store_true",
        help="compare gankit's fp32, bf16 and auto precisions instead of the baseline",
    )
    ap.add_argument("--recipes", nargs="+", default=["dcgan-fashion", "best-fashion"])
    ap.add_argument(
        "--shape",
        default="1,28,28",
        help="C,H,W of the precision table's synthetic data (3,32,32 for CIFAR-10)",
    )
    args = ap.parse_args()
    try:
        shape = tuple(int(v) for v in args.shape.split(","))
        assert len(shape) == 3 and min(shape) > 0
    except (ValueError, AssertionError):
        ap.error(f"--shape {args.shape!r} is not C,H,W (three positive integers, e.g. 3,32,32)")
    # the cores this process may use (taskset), not the machine's: a pinned run with more
    # threads than cores measures contention, not the trainer
    torch.set_num_threads(usable_cores())
    torch.manual_seed(0)
    if args.precision_table:
        precision_table(args.recipes, args.repeats, args.steps, shape)  # type: ignore[arg-type]
        return

    with tempfile.TemporaryDirectory() as tmp:
        trainer = gankit_trainer(Path(tmp) / "run", args.set)
        print(trainer.precision.describe())
        baseline = BaselineLoop(trainer.dataset.images)
        fl_base = step_flops(baseline.step)
        fl_gk = step_flops(trainer.train_step)
        for _ in range(3):  # warm-up: allocator, oneDNN primitive caches
            baseline.step()
            trainer.train_step()
        base_rates, gk_rates = [], []
        for r in range(args.repeats):
            tb = time_steps(baseline.step, args.steps)
            tg = time_steps(trainer.train_step, args.steps)
            base_rates.append(args.steps * BATCH / tb)
            gk_rates.append(args.steps * BATCH / tg)
            print(
                f"repeat {r + 1}: baseline {base_rates[-1]:7.1f} img/s   "
                f"gankit {gk_rates[-1]:7.1f} img/s"
            )
        b, g = statistics.median(base_rates), statistics.median(gk_rates)
        cfg = trainer.cfg.train
        print(
            f"\nsettings: precision={cfg.precision} channels_last={cfg.channels_last} "
            f"compile={cfg.compile} threads={torch.get_num_threads()}"
        )
        print(f"baseline (PyTorch DCGAN example style): {b:8.1f} img/s")
        print(f"gankit train default:                   {g:8.1f} img/s")
        print(f"ratio: {g / b:.2f}x")
        fp32_peak, bf16_peak = peak_gflops()
        for name, flops, rate in (("baseline", fl_base, b), ("gankit", fl_gk, g)):
            achieved = flops / BATCH * rate / 1e9
            print(
                f"{name}: {flops / 1e9:.2f} GFLOP/step, {achieved:.1f} GFLOP/s achieved "
                f"(peak estimate fp32 {fp32_peak:.0f}, bf16 {bf16_peak:.0f} GFLOP/s)"
            )


if __name__ == "__main__":
    main()
