"""The options every metric call shares, as one frozen object passed through the internals.

Why: scoring a generator, an image set or writing a statistics file all pass the same seven
settings down through feature extraction and the reference cache; one immutable object keeps
them together, so a new setting is one field instead of a keyword in every signature, and no
layer can change a setting behind the caller's back. The public functions
(:func:`~gankit.metrics.evaluate.evaluate_generator` and the others) keep their keywords and
build this object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import torch

from gankit.errors import MetricError
from gankit.metrics.preprocess import DEFAULT_PROTOCOL, protocol_version

#: Images per Inception batch: large enough to keep a CPU's cores busy, small enough for 2 GB.
DEFAULT_BATCH_SIZE = 200
#: Reference features are always computed in fp32, whatever the scored side's precision (see
#: :meth:`MetricOptions.for_reference`).
REFERENCE_PRECISION = "fp32"


@dataclass(frozen=True)
class MetricOptions:
    """How features are computed and where their inputs and caches are.

    ``protocol``: the resize (``tf1`` or ``clean``); ``precision``: Inception's (``fp32``,
    ``bf16``, ``fp16``); ``device``: where images are generated and Inception runs;
    ``batch_size``: images per Inception batch; ``data_root``: where dataset specs are read
    (None: ``gankit.data``'s search); ``cache_dir``: the reference-feature cache (None:
    ``$GANKIT_CACHE/stats``); ``progress``: a line on stderr per batch.
    """

    protocol: str = DEFAULT_PROTOCOL
    precision: str = "fp32"
    device: torch.device | str = "cpu"
    batch_size: int = DEFAULT_BATCH_SIZE
    data_root: str | os.PathLike[str] | None = None
    cache_dir: str | os.PathLike[str] | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        protocol_version(self.protocol)  # one sentence for an unknown protocol, before any work
        if int(self.batch_size) < 1:
            raise MetricError(f"batch size must be at least 1, got {self.batch_size}.")

    @property
    def version(self) -> str:
        """The protocol's version string (``tf1bilinear299-v1``), as results and keys carry it."""
        return protocol_version(self.protocol)

    def for_reference(self) -> MetricOptions:
        """These options at the reference side's precision (fp32).

        A bf16 generated side scored against the fp32 reference measured 0.08% from the
        all-fp32 FID, against a bf16 reference 0.63% (best-fashion, FID-2k; at FID-10k 0.36%
        and, on a weaker dcgan-fashion generator, 1.41%), and one cached set serves every caller.
        """
        return replace(self, precision=REFERENCE_PRECISION)
