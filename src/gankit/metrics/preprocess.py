"""The image side of the FID protocol: uint8 -> 3 channels -> resize to 299x299 -> (x-128)/128.

The resize is the protocol's choice (:mod:`gankit.metrics.resize`): TF1 bilinear (``tf1``, the
default) or clean-fid's PIL bicubic (``clean``). This module names the protocols and their
version strings, which results and cache keys carry.
"""

from __future__ import annotations

import torch

from gankit.data import transforms as data_transforms
from gankit.errors import MetricError
from gankit.metrics.resize import INCEPTION_SIZE, resize_clean, resize_tf1

#: Bumped whenever this file or the resizes (or the metric maths) change feature values; it is
#: part of every reference-statistics cache key.
PROTOCOL_VERSION = "tf1bilinear299-v1"
#: Protocol names (``--protocol``) and the version string that results and cache keys carry.
#: ``clean`` is clean-fid's PIL bicubic resize (:mod:`gankit.metrics.resize`).
PROTOCOLS = {"tf1": PROTOCOL_VERSION, "clean": "clean-pilbicubic299-v1"}
DEFAULT_PROTOCOL = "tf1"


def protocol_version(protocol: str) -> str:
    """The version string of a protocol name (``tf1`` -> ``tf1bilinear299-v1``)."""
    if protocol not in PROTOCOLS:
        raise MetricError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}.")
    return PROTOCOLS[protocol]


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Quantise generator output in [-1, 1] exactly as saving it to PNG would; uint8 passes through.

    ``(x + 1) * 127.5``, rounded to nearest, clamped to [0, 255]
    (:func:`gankit.data.transforms.to_uint8`).
    """
    if images.dtype == torch.uint8:
        return images
    if not images.is_floating_point():
        raise MetricError(
            f"images must be uint8 or float in [-1, 1], got {images.dtype}; convert them first."
        )
    return data_transforms.to_uint8(images)


def check_images(images: torch.Tensor) -> None:
    """Raise :class:`MetricError` unless ``images`` is ``[N, 1|3, H, W]``."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise MetricError(
            f"expected images shaped [N, C, H, W] with C = 1 or 3, got {tuple(images.shape)}; "
            "convert them to grey or RGB first."
        )


def inception_input(
    images: torch.Tensor,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    channels_last: bool = True,
    protocol: str = DEFAULT_PROTOCOL,
) -> torch.Tensor:
    """uint8 (or [-1, 1] float) ``[N, 1|3, H, W]`` -> network input ``[N, 3, 299, 299]``.

    The (x - 128) / 128 normalisation is applied before the resize: the resize matrices' rows sum
    to 1, so this equals normalising afterwards while touching 100x fewer pixels on small images.
    Grey images are resized as one channel and only then repeated to three. ``protocol="clean"``
    resizes with PIL's bicubic filter and clips to the pixel range, as clean-fid does.
    """
    protocol_version(protocol)  # rejects unknown names
    check_images(images)
    pixels = to_uint8(images).to(device=device, non_blocking=True)
    work_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    x = (pixels.to(work_dtype) - 128.0) / 128.0
    if protocol == "clean":
        x = resize_clean(x, INCEPTION_SIZE, -1.0, 127.0 / 128.0)  # [0, 255] after normalising
    else:
        x = resize_tf1(x)
    # Cast before the three-channel copy: a third of the conversions for grey images, and the
    # same values, since rounding to ``dtype`` is elementwise.
    x = x.to(dtype).expand(-1, 3, -1, -1)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return x.contiguous(memory_format=memory_format)
