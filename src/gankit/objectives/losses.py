"""Adversarial loss pairs on discriminator logits.

Each loss is a small pure function of logits, so it can be checked by hand and reused outside
the :class:`~gankit.objectives.objective.Objective`. All functions compute in float32 (logits
coming out of a bf16 / fp16 autocast region are upcast first), reduce with a mean over every
element (so patch discriminators with ``[N, h, w]`` outputs work unchanged) and use softplus
forms instead of ``log(sigmoid(.))`` so that large logits never produce ``inf``.

Conventions (``l`` = logit, ``sigma`` = sigmoid, ``t`` = real target = 1 - label_smoothing):

=============  =========================================  =====================================
loss           discriminator minimises                    generator minimises
=============  =========================================  =====================================
minimax        BCE(l_real, t) + BCE(l_fake, 0)            log(1 - sigma(l_fake)) = -softplus(l)
nonsaturating  same as minimax                            -log sigma(l_fake) = softplus(-l)
lsgan          0.5 (l_real - t)^2 + 0.5 l_fake^2          0.5 (l_fake - 1)^2
wasserstein    mean(l_fake) - mean(l_real)                -mean(l_fake)
hinge          relu(1 - l_real) + relu(1 + l_fake)        -mean(l_fake)
=============  =========================================  =====================================

Each pair is registered in ``LOSSES`` under its config name; losses defined in other modules
register themselves the same way (the relativistic ``rpgan`` in
:mod:`gankit.objectives.relativistic`).

The real and fake discriminator terms are summed (not averaged), as in the DCGAN reference.
One-sided label smoothing (Salimans et al. 2016) only moves the *real* target and only exists
for the losses that have a target (BCE and least squares).

Discriminator accuracy (for logging only) uses the decision rule each loss implies:

* BCE losses: real if ``l > 0`` (``sigma(l) > 0.5``).
* LSGAN: targets are 0 (fake) and 1 (real), so real if ``l > 0.5``.
* hinge: the margins sit at -1 and +1 around 0, so real if ``l > 0``.
* wasserstein: a critic has no absolute scale or offset (any constant can be added), so the
  threshold is the midpoint of the batch means, ``(mean(l_real) + mean(l_fake)) / 2``;
  the accuracy then says how well the critic *ranks* this batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from gankit.registry import Registry


def upcast(x: Tensor) -> Tensor:
    """Loss math in at least float32: bf16 logits lose too many bits in softplus / squares."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


# ----------------------------------------------------------------------------- BCE family


def bce_d_loss(real: Tensor, fake: Tensor, *, real_target: float = 1.0) -> Tensor:
    """Binary cross-entropy for D: real -> ``real_target`` (1 - smoothing), fake -> 0.

    BCE(l, t) = t * softplus(-l) + (1 - t) * softplus(l), which is exact and overflow-free.
    """
    real, fake = upcast(real), upcast(fake)
    loss_real = F.softplus(-real).mean()
    if real_target != 1.0:
        loss_real = real_target * loss_real + (1.0 - real_target) * F.softplus(real).mean()
    return loss_real + F.softplus(fake).mean()


def minimax_g_loss(fake: Tensor) -> Tensor:
    """Original (saturating) G objective: minimise log(1 - D(G(z))) = -softplus(l)."""
    return -F.softplus(upcast(fake)).mean()


def nonsaturating_g_loss(fake: Tensor) -> Tensor:
    """Non-saturating G objective: minimise -log D(G(z)) = softplus(-l)."""
    return F.softplus(-upcast(fake)).mean()


# ----------------------------------------------------------------------------- least squares


def lsgan_d_loss(real: Tensor, fake: Tensor, *, real_target: float = 1.0) -> Tensor:
    """LSGAN (Mao et al. 2017, a=0, b=1): 0.5 E[(D(x) - b)^2] + 0.5 E[(D(G(z)) - a)^2]."""
    real, fake = upcast(real), upcast(fake)
    return 0.5 * (real - real_target).pow(2).mean() + 0.5 * fake.pow(2).mean()


def lsgan_g_loss(fake: Tensor) -> Tensor:
    """LSGAN generator (c=1): 0.5 E[(D(G(z)) - 1)^2]."""
    return 0.5 * (upcast(fake) - 1.0).pow(2).mean()


# ----------------------------------------------------------------------------- critic losses


def wasserstein_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    """WGAN critic: minimise E[D(G(z))] - E[D(x)] (the negative Wasserstein estimate)."""
    return upcast(fake).mean() - upcast(real).mean()


def wasserstein_g_loss(fake: Tensor) -> Tensor:
    """WGAN generator: minimise -E[D(G(z))]."""
    return -upcast(fake).mean()


def hinge_d_loss(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge D (Lim & Ye 2017; SNGAN, SAGAN): E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
    return F.relu(1.0 - upcast(real)).mean() + F.relu(1.0 + upcast(fake)).mean()


def hinge_g_loss(fake: Tensor) -> Tensor:
    """Hinge G: minimise -E[D(G(z))], the same as the Wasserstein generator."""
    return -upcast(fake).mean()


# ----------------------------------------------------------------------------- accuracy


@torch.no_grad()
def discriminator_accuracy(real: Tensor, fake: Tensor, rule: str) -> tuple[Tensor, Tensor]:
    """Fractions of real logits judged real and fake logits judged fake (detached 0-d tensors).

    ``rule`` is ``"zero"`` (threshold 0), ``"half"`` (threshold 0.5) or ``"midpoint"`` (the
    midpoint of the two batch means); see the module docstring for which loss uses which.
    No ``.item()``: the values stay on the device so logging causes no host sync.
    """
    real, fake = upcast(real.detach()), upcast(fake.detach())
    if rule == "zero":
        threshold: Tensor | float = 0.0
    elif rule == "half":
        threshold = 0.5
    elif rule == "midpoint":
        threshold = 0.5 * (real.mean() + fake.mean())
    else:
        raise ValueError(f"unknown accuracy rule {rule!r}")
    real_acc = (real > threshold).float().mean()
    fake_acc = (fake < threshold).float().mean()
    return real_acc, fake_acc


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class AdversarialLoss:
    """One D/G loss pair plus the facts the objective needs about it.

    ``g_needs_real``: the generator term also reads the discriminator's logits on the real batch
    (relativistic losses); the objective then scores the real batch in the generator step and
    calls ``g(fake_logits, real_logits)``. ``d_stats`` adds loss-specific logged values.
    """

    name: str
    d: Callable[..., Tensor]  # d(real_logits, fake_logits[, real_target=]) -> loss
    g: Callable[..., Tensor]  # g(fake_logits) -> loss, or g(fake_logits, real_logits)
    accuracy_rule: str  # "zero" | "half" | "midpoint"
    has_target: bool  # True when one-sided label smoothing is meaningful
    g_needs_real: bool = False
    d_stats: Callable[[Tensor, Tensor], dict[str, Tensor]] | None = None

    def d_loss(self, real: Tensor, fake: Tensor, *, label_smoothing: float = 0.0) -> Tensor:
        """The discriminator loss, with the real target moved to 1 - label_smoothing."""
        if self.has_target:
            return self.d(real, fake, real_target=1.0 - label_smoothing)
        return self.d(real, fake)

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        """The generator loss; ``real`` (real-batch logits) is required iff ``g_needs_real``."""
        if not self.g_needs_real:
            return self.g(fake)
        if real is None:
            raise ValueError(f"the {self.name} generator loss needs the real-batch logits")
        return self.g(fake, real)

    def stats(self, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        """Loss-specific detached stats of a discriminator step (empty for most losses)."""
        if self.d_stats is None:
            return {}
        return {k: v.detach() for k, v in self.d_stats(real, fake).items()}


LOSSES: Registry[AdversarialLoss] = Registry("loss", key="objective.loss")


def register_loss(loss: AdversarialLoss) -> AdversarialLoss:
    """Make ``loss`` selectable as ``objective.loss: <loss.name>``; returns it unchanged."""
    return LOSSES.add(loss.name, loss)


def get_loss(name: str) -> AdversarialLoss:
    """Look a loss pair up by its config name (``objective.loss``)."""
    return LOSSES.get(name)


def _wasserstein_distance(real: Tensor, fake: Tensor) -> dict[str, Tensor]:
    """The critic's estimate of the Wasserstein distance on this batch, logged as ``w_dist``."""
    return {"w_dist": real.float().mean() - fake.float().mean()}


register_loss(AdversarialLoss("minimax", bce_d_loss, minimax_g_loss, "zero", True))
register_loss(AdversarialLoss("nonsaturating", bce_d_loss, nonsaturating_g_loss, "zero", True))
register_loss(AdversarialLoss("lsgan", lsgan_d_loss, lsgan_g_loss, "half", True))
register_loss(
    AdversarialLoss(
        "wasserstein",
        wasserstein_d_loss,
        wasserstein_g_loss,
        "midpoint",
        False,
        d_stats=_wasserstein_distance,
    )
)
register_loss(AdversarialLoss("hinge", hinge_d_loss, hinge_g_loss, "zero", False))
