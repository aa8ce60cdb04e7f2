"""Inception features of an in-memory image set or of a generator's seeded samples.

Both run through :meth:`FeatureExtractor.iter_features` batch by batch under one
:class:`~gankit.metrics.options.MetricOptions` (protocol, precision, batch size, progress
lines), and gather the batches into one float32 :class:`FeatureSet`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.extractor import FeatureExtractor, gather_features
from gankit.metrics.features import FeatureSet
from gankit.metrics.options import MetricOptions
from gankit.metrics.prefetch import prefetched
from gankit.metrics.preprocess import to_uint8
from gankit.models.generation import seeded_batches


def _features_of(
    batches: Iterable[torch.Tensor],
    total: int,
    extractor: FeatureExtractor,
    options: MetricOptions,
    *,
    label: str,
    want_logits: bool,
) -> FeatureSet:
    """Features of image batches (uint8 or [-1, 1] float), gathered into one float32 array."""
    features = gather_features(
        extractor,
        batches,
        total=total,
        precision=options.precision,
        protocol=options.protocol,
        progress_label=label if options.progress else None,
    )
    if not len(features):
        raise MetricError(f"{label} produced no images to score.")
    logits = extractor.logits(features) if want_logits else None
    return FeatureSet(features, label, logits)


def image_features(
    images: torch.Tensor,
    extractor: FeatureExtractor,
    options: MetricOptions,
    *,
    label: str = "images",
    want_logits: bool = False,
) -> FeatureSet:
    """:class:`FeatureSet` of an in-memory uint8 ``[N, C, H, W]`` image set."""
    size = options.batch_size
    batches = (images[i : i + size] for i in range(0, len(images), size))
    return _features_of(
        batches, len(images), extractor, options, label=label, want_logits=want_logits
    )


def _generated_batches(
    generator: torch.nn.Module,
    n: int,
    batch_size: int,
    device: torch.device,
    seed: int,
    labels_out: list[np.ndarray] | None = None,
) -> Iterator[torch.Tensor]:
    """uint8 samples of ``generator``; noise and labels come from a CPU RNG seeded by ``seed``,
    so the same seed draws the same latents on any device. The drawn labels of a conditional
    generator are appended to ``labels_out`` when given (for per-class metrics)."""
    drawn: list[torch.Tensor] | None = [] if labels_out is not None else None
    for images in seeded_batches(
        generator, n, batch_size=batch_size, seed=seed, device=device, labels_out=drawn
    ):
        if labels_out is not None and drawn:
            labels_out.append(drawn.pop().cpu().numpy())
        yield to_uint8(images).cpu()


def sample_features(
    generator: torch.nn.Module,
    n: int,
    extractor: FeatureExtractor,
    options: MetricOptions,
    *,
    seed: int = 0,
    want_logits: bool = False,
    overlap: bool | None = None,
) -> FeatureSet:
    """:class:`FeatureSet` of ``n`` seeded samples of ``generator`` (with the drawn ``labels``
    of a conditional one), generated on ``options.device`` in eval mode (restored afterwards).

    ``overlap`` generates the next batch in a background thread while Inception runs on the
    current one (:mod:`gankit.metrics.prefetch`); the images, and so the features, are the same
    either way. ``None`` overlaps on accelerators only: on a CPU, Inception is over 99% of the
    work for the generators gankit trains and already uses every core, so a second busy thread
    measured 3% slower (``benchmarks/fid_speed.py`` times both).
    """
    gen_labels: list[np.ndarray] = []
    gen_device = torch.device(options.device)
    if overlap is None:
        overlap = gen_device.type != "cpu"

    def batches() -> Iterator[torch.Tensor]:
        return _generated_batches(generator, n, options.batch_size, gen_device, seed, gen_labels)

    was_training = generator.training
    generator.eval()
    try:
        with torch.inference_mode():
            gen = _features_of(
                prefetched(batches) if overlap else batches(),
                n,
                extractor,
                options,
                label="generator",
                want_logits=want_logits,
            )
    finally:
        generator.train(was_training)
    if gen_labels:
        gen.labels = np.concatenate(gen_labels)
    return gen
