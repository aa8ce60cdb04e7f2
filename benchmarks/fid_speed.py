"""FID feature-extraction throughput: a pytorch-fid / clean-fid style baseline vs gankit.

Times, in one run and on the same images:

- baseline: the TorchScript Inception as shipped, fp32, NCHW, batch 50, eager under
  ``torch.no_grad``, grey repeated to RGB first and then resized batch by batch with
  torch-fidelity's TF1-compatible bilinear resize (the same protocol, so FIDs are comparable);
- gankit default: ``FeatureExtractor.features`` (fp32, channels_last, batch 200, inference mode,
  batch norm folded, ReLU fused, TF1 resize as two small matmuls);
- gankit bf16: the same with ``precision="bf16"``.

Work is interleaved chunk by chunk (every pipeline processes chunk k before any moves on to
chunk k+1), so load from other processes on a shared machine hits all pipelines alike. Each
pipeline's FID is taken against the same reference features (the next N images of the split,
extracted once by gankit fp32).

    python benchmarks/fid_speed.py [--n 2000] [--chunk 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch

from gankit.metrics import fid_from_features, get_extractor


def load_images(n_total: int) -> tuple[torch.Tensor, str]:
    """Real Fashion-MNIST test images when installed, else synthetic ones."""
    try:
        from gankit.data import load_dataset

        images = load_dataset("fashion-mnist", "test").images
        if len(images) >= n_total:
            return images[:n_total], "Fashion-MNIST test"
    except Exception as exc:  # any failure means: fall back to synthetic data
        print(f"(Fashion-MNIST unavailable: {exc}; using synthetic images)", file=sys.stderr)
    generator = torch.Generator().manual_seed(0)
    blobs = torch.rand(n_total, 1, 7, 7, generator=generator)
    images = torch.nn.functional.interpolate(blobs, size=(28, 28), mode="nearest")
    return (images * 255).to(torch.uint8), "synthetic 28x28"


class Baseline:
    """The way pytorch-fid / clean-fid run the network: fp32 NCHW, batch 50, no_grad."""

    batch_size = 50

    def __init__(self, weights: str) -> None:
        from torch_fidelity.interpolate_compat_tensorflow import (
            interpolate_bilinear_2d_like_tensorflow1x,
        )

        self.resize = interpolate_bilinear_2d_like_tensorflow1x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            self.model = torch.jit.load(weights).eval()

    def features(self, images: torch.Tensor) -> np.ndarray:
        out = []
        with torch.no_grad():
            for start in range(0, len(images), self.batch_size):
                x = images[start : start + self.batch_size].float()
                if x.shape[1] == 1:
                    x = x.repeat(1, 3, 1, 1)
                x = self.resize(x, size=(299, 299), align_corners=False)
                out.append(self.model((x - 128.0) / 128.0).double().numpy())
        return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="images timed per pipeline")
    parser.add_argument("--chunk", type=int, default=200, help="interleaving chunk (gankit batch)")
    parser.add_argument("--modes", default="baseline,default,bf16")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)

    images, source = load_images(2 * args.n)
    timed, reference_images = images[: args.n], images[args.n : 2 * args.n]
    extractor = get_extractor()
    modes = args.modes.split(",")
    pipelines = {
        "baseline": Baseline(str(extractor.path)).features,
        "default": lambda x: extractor.features(x, batch_size=args.chunk),
        "bf16": lambda x: extractor.features(x, batch_size=args.chunk, precision="bf16"),
    }
    print(
        f"{args.n} {source} images ({tuple(timed.shape[1:])}), threads {torch.get_num_threads()}, "
        f"torch {torch.__version__}, weights {extractor.path.name} ({extractor.hash})",
        flush=True,
    )
    for mode in modes:  # warm-up: oneDNN primitives, TorchScript profiling runs
        pipelines[mode](timed[:2])

    seconds = dict.fromkeys(modes, 0.0)
    features: dict[str, list[np.ndarray]] = {mode: [] for mode in modes}
    for start in range(0, args.n, args.chunk):
        chunk = timed[start : start + args.chunk]
        for mode in modes:
            t0 = time.perf_counter()
            features[mode].append(pipelines[mode](chunk))
            seconds[mode] += time.perf_counter() - t0
        done = start + len(chunk)
        rates = ", ".join(f"{m} {done / seconds[m]:.2f}" for m in modes)
        print(f"  {done}/{args.n} images: img/s {rates}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    reference = extractor.features(reference_images, batch_size=args.chunk)
    reference_rate = len(reference_images) / (time.perf_counter() - t0)

    results: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # N < 2048 is expected here
        for mode in modes:
            fid = fid_from_features(np.concatenate(features[mode]), reference)
            results[mode] = {"img_per_s": args.n / seconds[mode], "fid": fid}
    base = results.get("baseline")
    print(f"reference: next {args.n} images, gankit fp32 ({reference_rate:.2f} img/s untimed pass)")
    for mode, r in results.items():
        line = f"{mode:>9}: {r['img_per_s']:7.2f} img/s   FID {r['fid']:.6f}"
        if base is not None and mode != "baseline":
            r["speedup"] = r["img_per_s"] / base["img_per_s"]
            r["fid_rel_diff"] = abs(r["fid"] - base["fid"]) / base["fid"]
            line += f"   speed-up {r['speedup']:.2f}x   FID rel. diff {r['fid_rel_diff']:.2e}"
        print(line)
    if args.json:
        print(json.dumps({"n": args.n, "source": source, "results": results}))


if __name__ == "__main__":
    main()
