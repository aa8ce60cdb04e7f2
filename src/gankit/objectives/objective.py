"""The training objective: adversarial loss + penalties + auxiliary loss + augmentation.

The trainer only ever calls :meth:`Objective.d_loss`, :meth:`Objective.g_loss`,
:meth:`Objective.after_d_step` and :meth:`Objective.needs_double_backward` and reads
:attr:`Objective.n_critic`; which GAN variant is being trained (DCGAN, WGAN, WGAN-GP, LSGAN,
ACGAN, SNGAN, RpGAN, ...) is decided here by the config, never by flag branches in the loop.

The trainer hands every call what any loss could need (the real batch to the generator step,
the index of the discriminator step), so a loss whose generator term reads real logits
(relativistic pairing) or a regulariser applied every k-th step (lazy R1) needs no trainer
change: the objective decides what to use.

Returned stats are detached 0-d tensors so that logging them never forces a device sync; the
trainer converts them with ``.item()`` only on the steps it logs.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from gankit.config import Config, ObjectiveConfig
from gankit.errors import ConfigError
from gankit.objectives.aux import aux_d_loss, aux_g_loss, class_accuracy
from gankit.objectives.diffaugment import DiffAugment
from gankit.objectives.losses import AdversarialLoss, discriminator_accuracy, get_loss
from gankit.objectives.penalties import clip_weights, gradient_penalty, r1_penalty

Stats = dict[str, Tensor]


def _split_output(out: Any) -> tuple[Tensor, Tensor | None]:
    """``d(x, y)`` returns ``(adv_logits, class_logits | None)``; a bare tensor is accepted."""
    if isinstance(out, tuple | list):
        return out[0], (out[1] if len(out) > 1 else None)
    return out, None


def _call_d(d: nn.Module, x: Tensor, y: Tensor | None) -> tuple[Tensor, Tensor | None]:
    return _split_output(d(x) if y is None else d(x, y))


class Objective:
    """A configured GAN objective (see module docstring).

    ``aux`` decides when the ACGAN class loss is used: ``"required"`` (conditioning is acgan:
    the discriminator must return class logits), ``"auto"`` (used whenever D returns class
    logits and labels are given) or ``"off"``.
    """

    def __init__(
        self,
        *,
        loss: AdversarialLoss,
        n_critic: int = 1,
        label_smoothing: float = 0.0,
        gp_weight: float = 0.0,
        r1_weight: float = 0.0,
        r1_every: int = 1,
        weight_clip: float = 0.0,
        aux_weight: float = 1.0,
        aux: str = "auto",
        aux_d_on_fake: bool = True,
        augment: DiffAugment | None = None,
    ) -> None:
        self.loss = loss
        self.n_critic = int(n_critic)
        self.label_smoothing = float(label_smoothing)
        self.gp_weight = float(gp_weight)
        self.r1_weight = float(r1_weight)
        self.r1_every = int(r1_every)
        if self.r1_every < 1:
            raise ValueError(f"r1_every must be at least 1, got {r1_every}")
        self.weight_clip = float(weight_clip)
        self.aux_weight = float(aux_weight)
        self.aux = aux if self.aux_weight > 0 else "off"
        self.aux_d_on_fake = bool(aux_d_on_fake)
        self.augment = augment if augment else None

    def __repr__(self) -> str:
        parts = [f"loss={self.loss.name}", f"n_critic={self.n_critic}"]
        for name in ("label_smoothing", "gp_weight", "r1_weight", "weight_clip"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)}")
        if self.r1_weight and self.r1_every != 1:
            parts.append(f"r1_every={self.r1_every}")
        if self.aux != "off":
            parts.append(f"aux={self.aux}:{self.aux_weight}")
        if self.augment:
            parts.append(f"diffaugment={','.join(self.augment.policy)}")
        return f"Objective({', '.join(parts)})"

    # ------------------------------------------------------------------------- helpers

    def r1_due(self, d_step: int) -> bool:
        """R1 runs on discriminator steps ``0, k, 2k, ...`` (lazy regularisation, Karras et al.
        2020: the penalty changes slowly, so every k-th step with k times the weight gives the
        same expected gradient for a k-th of the double-backward cost)."""
        return self.r1_weight > 0 and d_step % self.r1_every == 0

    def needs_double_backward(self, d_step: int) -> bool:
        """Whether discriminator step ``d_step`` differentiates a gradient (GP or R1).

        Double backward cannot run through a ``torch.compile``d discriminator, so the trainer
        asks this, not the penalty weights, to pick the compiled or the eager network.
        """
        return self.gp_weight > 0 or self.r1_due(d_step)

    def _aug(self, x: Tensor) -> Tensor:
        return self.augment(x) if self.augment is not None else x

    def _use_aux(self, class_logits: Tensor | None, y: Tensor | None) -> bool:
        if self.aux == "off":
            return False
        if self.aux == "required":
            if class_logits is None:
                raise ConfigError(
                    "ACGAN conditioning needs a discriminator with a class head but it "
                    "returned no class logits; build D with model.conditioning=acgan."
                )
            if y is None:
                raise ConfigError(
                    "ACGAN conditioning needs class labels; use a labelled dataset or set "
                    "model.conditioning=none."
                )
            return True
        return class_logits is not None and y is not None

    # ------------------------------------------------------------------------- losses

    def d_loss(
        self,
        d: nn.Module,
        real: Tensor,
        fake: Tensor,
        y_real: Tensor | None = None,
        y_fake: Tensor | None = None,
        *,
        d_step: int = 0,
    ) -> tuple[Tensor, Stats]:
        """Discriminator loss and its stats. ``fake`` is detached here (G gets no gradient).

        ``d_step`` counts discriminator updates from 0 over the whole run (the trainer passes
        ``step * n_critic + i``, so a resumed run regularises on the same steps).
        """
        fake = fake.detach()
        r1_now = self.r1_due(d_step)
        if r1_now:  # R1 reuses the real forward pass: track grads w.r.t. the input
            real = real.detach().requires_grad_(True)
        real_adv, real_cls = _call_d(d, self._aug(real), y_real)
        fake_adv, fake_cls = _call_d(d, self._aug(fake), y_fake)

        total = self.loss.d_loss(real_adv, fake_adv, label_smoothing=self.label_smoothing)
        real_acc, fake_acc = discriminator_accuracy(real_adv, fake_adv, self.loss.accuracy_rule)
        stats: Stats = {"d_real_acc": real_acc, "d_fake_acc": fake_acc}
        stats.update(self.loss.stats(real_adv, fake_adv))

        if self.gp_weight > 0:
            gp = gradient_penalty(d, real, fake, y=y_real, weight=self.gp_weight)
            total = total + gp
            stats["gp"] = gp.detach()
        if r1_now:
            r1 = r1_penalty(real_adv, real, gamma=self.r1_weight * self.r1_every)
            total = total + r1
            stats["r1"] = r1.detach()
        if self._use_aux(real_cls, y_real):
            if self.aux_d_on_fake and (fake_cls is None or y_fake is None):
                raise ConfigError(
                    "ACGAN needs class logits and labels for generated images too; pass "
                    "y_fake (the labels given to the generator) to the objective."
                )
            fake_terms = (fake_cls, y_fake) if self.aux_d_on_fake else (None, None)
            aux = self.aux_weight * aux_d_loss(real_cls, y_real, *fake_terms)
            total = total + aux
            stats["d_aux"] = aux.detach()
            stats["d_cls_acc"] = class_accuracy(real_cls.detach(), y_real)
        stats["d_loss"] = total.detach()
        return total, stats

    def g_loss(
        self,
        d: nn.Module,
        fake: Tensor,
        y_fake: Tensor | None = None,
        *,
        real: Tensor | None = None,
        y_real: Tensor | None = None,
    ) -> tuple[Tensor, Stats]:
        """Generator loss (gradients flow through D into ``fake``) and its stats.

        ``real`` / ``y_real`` (the step's real batch) are read only by losses that declare
        ``g_needs_real``; their logits are constants here (no gradient reaches D or the data).
        """
        fake_adv, fake_cls = _call_d(d, self._aug(fake), y_fake)
        real_adv = None
        if self.loss.g_needs_real:
            if real is None:
                raise ValueError(
                    f"The {self.loss.name} generator loss compares fake with real logits; "
                    "pass the step's real batch as real= to Objective.g_loss."
                )
            with torch.no_grad():
                real_adv, _ = _call_d(d, self._aug(real.detach()), y_real)
        total = self.loss.g_loss(fake_adv, real_adv)
        stats: Stats = {}
        if self._use_aux(fake_cls, y_fake):
            aux = self.aux_weight * aux_g_loss(fake_cls, y_fake)
            total = total + aux
            stats["g_aux"] = aux.detach()
        stats["g_loss"] = total.detach()
        return total, stats

    @torch.no_grad()
    def after_d_step(self, d: nn.Module) -> None:
        """Hook run after every discriminator optimizer step: WGAN weight clipping."""
        if self.weight_clip > 0:
            clip_weights(d, self.weight_clip)


def build_objective(
    cfg: ObjectiveConfig | Config,
    *,
    num_classes: int,
    conditioning: str | None = None,
) -> Objective:
    """Build the objective described by ``cfg`` (an ``ObjectiveConfig`` or a whole ``Config``).

    ``conditioning`` is ``model.conditioning``; it is read from ``cfg`` when a whole Config is
    given. With ``"acgan"`` the class loss is mandatory (a D without class logits is an error
    at the first call); with another value it is off; with ``None`` it is used whenever the
    discriminator returns class logits.
    """
    if isinstance(cfg, Config):
        if conditioning is None:
            conditioning = cfg.model.conditioning
        cfg = cfg.objective
    loss = get_loss(cfg.loss)
    if cfg.n_critic < 1:
        raise ConfigError(f"'objective.n_critic' must be at least 1; got {cfg.n_critic}.")
    if cfg.r1_every < 1:
        raise ConfigError(f"'objective.r1_every' must be at least 1; got {cfg.r1_every}.")
    if min(cfg.gp_weight, cfg.r1_weight, cfg.weight_clip, cfg.aux_weight) < 0:
        raise ConfigError("objective weights (gp, r1, aux) and weight_clip must be >= 0.")
    if not 0.0 <= cfg.label_smoothing < 1.0:
        raise ConfigError(
            f"'objective.label_smoothing' must be in [0, 1); got {cfg.label_smoothing}."
        )
    if cfg.label_smoothing > 0 and not loss.has_target:
        raise ConfigError(
            f"'objective.label_smoothing' has no meaning for the {loss.name} loss (it has no "
            "target label); set it to 0 or use minimax, nonsaturating or lsgan."
        )
    if conditioning is None:
        aux = "auto"
    elif conditioning == "acgan":
        if num_classes < 2:
            raise ConfigError(
                "ACGAN conditioning needs a labelled dataset with at least 2 classes; "
                "use model.conditioning=none for unlabelled data."
            )
        aux = "required"
    else:
        aux = "off"
    return Objective(
        loss=loss,
        n_critic=cfg.n_critic,
        label_smoothing=cfg.label_smoothing,
        gp_weight=cfg.gp_weight,
        r1_weight=cfg.r1_weight,
        r1_every=cfg.r1_every,
        weight_clip=cfg.weight_clip,
        aux_weight=cfg.aux_weight,
        aux=aux,
        aux_d_on_fake=cfg.aux_d_on_fake,
        augment=DiffAugment(cfg.diffaugment) if cfg.diffaugment else None,
    )
