"""Random images generated on the fly, registered as dataset ``synthetic``.

For throughput benchmarks and smoke tests: no disk access, identical on every call for a
split (see :func:`gankit.data.dataset.make_synthetic`).
"""

from __future__ import annotations

from gankit.data.dataset import ImageDataset, make_synthetic
from gankit.data.registry import DatasetSpec, Request, register_dataset
from gankit.errors import DataError


def read_synthetic(request: Request) -> ImageDataset:
    """Generate the split at its final shape (``data.image_size`` / ``data.channels`` applied),
    so the loader's resize has nothing left to do."""
    shape = request.synthetic_shape
    if len(shape) != 3:
        raise DataError(f"synthetic_shape {shape!r} must be (C, H, W).")
    final = (request.channels or shape[0], *(request.size or shape[1:]))
    return make_synthetic(
        request.split,
        n=request.synthetic_n,
        shape=final,  # type: ignore[arg-type]
        num_classes=request.synthetic_classes,
    )


SPEC = register_dataset(
    DatasetSpec(
        name="synthetic",
        splits=("train", "test", "all"),
        read=read_synthetic,
        how_to_get="nothing to get: synthetic images are generated on the fly",
        locate_by="generated",
        description="uniform random images for speed tests (data.synthetic_*)",
    )
)
