"""Relativistic pairing GAN loss, ``objective.loss: rpgan``.

Jolicoeur-Martineau (2018) has the discriminator judge whether a real image is *more realistic
than* a generated one instead of judging each alone. In the paired standard form (RSGAN) each
real logit ``r_i`` is compared with the fake logit ``f_i`` drawn beside it in the batch::

    D minimises  E[softplus(f_i - r_i)]   = -log sigmoid(r_i - f_i)
    G minimises  E[softplus(r_i - f_i)]   = -log sigmoid(f_i - r_i)

Huang et al. (2024, "The GAN is dead; long live the GAN!") show that this pairing, with R1 and
R2 penalties, removes the mode dropping of the non-saturating loss and trains stably without
tricks. The generator term reads the real logits, so the loss declares ``g_needs_real`` and
the objective scores the real batch in the generator step (as constants: no gradient reaches
the discriminator or the data there).

Logits have no absolute level (adding a constant to every logit changes nothing), so the logged
discriminator accuracy uses the batch-midpoint rule, as for the Wasserstein critic; label
smoothing has no meaning (there is no target label). ``real`` and ``fake`` must hold the same
number of logits: the trainer draws as many fakes as reals.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gankit.objectives.losses import AdversarialLoss, register_loss, upcast


def _paired(first: Tensor, second: Tensor) -> Tensor:
    """``first_i - second_i`` in float32, after checking the two batches pair up."""
    if first.shape != second.shape:
        raise ValueError(
            f"relativistic pairing needs as many real as fake logits; got "
            f"{tuple(first.shape)} and {tuple(second.shape)}"
        )
    return upcast(first) - upcast(second)


def rpgan_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    """D: ``E[softplus(f_i - r_i)]``, small when each real logit exceeds its paired fake."""
    return F.softplus(_paired(fake, real)).mean()


def rpgan_g_loss(fake: Tensor, real: Tensor) -> Tensor:
    """G: ``E[softplus(r_i - f_i)]``, small when each fake logit exceeds its paired real."""
    return F.softplus(_paired(real, fake)).mean()


RPGAN = register_loss(
    AdversarialLoss(
        "rpgan",
        rpgan_d_loss,
        rpgan_g_loss,
        accuracy_rule="midpoint",
        has_target=False,
        g_needs_real=True,
    )
)
