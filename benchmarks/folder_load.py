"""First and second load of an image folder split: the decoded-image cache at work.

    python benchmarks/folder_load.py DIR [--split train] [--image-size 32]

The first load runs with an empty, private cache folder (so it decodes every file); the second
load reads the array the first one wrote. Prints both times and the speed-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", help="image folder (with train/ and test/ sub-folders, or not)")
    ap.add_argument("--split", default="train")
    ap.add_argument("--image-size", type=int, default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        os.environ["GANKIT_CACHE"] = cache
        from gankit.data import load_dataset

        times = []
        for _ in range(2):
            start = time.perf_counter()
            dataset = load_dataset("folder", args.split, root=args.root, image_size=args.image_size)
            times.append(time.perf_counter() - start)
    shape = "x".join(str(v) for v in dataset.images.shape[1:])
    print(
        f"{len(dataset):,} images ({shape}, {dataset.num_classes} classes) of "
        f"folder:{args.split}: first load {times[0]:.1f} s (decode), second load "
        f"{times[1]:.2f} s (cache), {times[0] / times[1]:.0f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
