"""ACGAN auxiliary classification loss (Odena et al. 2017).

The discriminator's class head is trained to name the class of real images *and* of generated
images (with the labels the generator was asked for); the generator is trained so that its
images are classified as the requested class. Both are plain cross-entropy on class logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def aux_class_loss(class_logits: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of ``class_logits [N, K]`` against ``labels [N]`` (int64), in float32."""
    if class_logits.dtype in (torch.float16, torch.bfloat16):
        class_logits = class_logits.float()
    return F.cross_entropy(class_logits, labels.long())


def aux_d_loss(
    real_logits: Tensor,
    y_real: Tensor,
    fake_logits: Tensor | None = None,
    y_fake: Tensor | None = None,
) -> Tensor:
    """Discriminator side: classify real images, and generated ones when they are given."""
    loss = aux_class_loss(real_logits, y_real)
    if fake_logits is not None and y_fake is not None:
        loss = loss + aux_class_loss(fake_logits, y_fake)
    return loss


def aux_g_loss(fake_logits: Tensor, y_fake: Tensor) -> Tensor:
    """Generator side: generated images should be classified as the requested class."""
    return aux_class_loss(fake_logits, y_fake)


@torch.no_grad()
def class_accuracy(class_logits: Tensor, labels: Tensor) -> Tensor:
    """Fraction of correct arg-max predictions, a detached 0-d tensor (no host sync)."""
    return (class_logits.argmax(dim=1) == labels).float().mean()
