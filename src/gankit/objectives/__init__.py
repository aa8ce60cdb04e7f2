"""GAN objectives: adversarial loss pairs, penalties (GP, R1, weight clip), ACGAN aux loss and
DiffAugment, composed by :func:`build_objective` into the one object the trainer calls.

Loss names belong to the ``LOSSES`` registry and DiffAugment policies to ``POLICIES``; importing
a module registers what it defines, and every module of this package is imported below, so a new
loss or policy is one new module plus its test, listed nowhere else.
"""

from __future__ import annotations

from gankit.objectives.aux import aux_class_loss, aux_d_loss, aux_g_loss, class_accuracy
from gankit.objectives.diffaugment import DiffAugment, diff_augment
from gankit.objectives.losses import (
    LOSSES,
    AdversarialLoss,
    discriminator_accuracy,
    get_loss,
    register_loss,
)
from gankit.objectives.objective import Objective, build_objective
from gankit.objectives.penalties import (
    clip_weights,
    gradient_penalty,
    r1_penalty,
    r1_penalty_from,
)
from gankit.objectives.relativistic import RPGAN, rpgan_d_loss, rpgan_g_loss
from gankit.registry import import_submodules

import_submodules(__name__)

__all__ = [
    "LOSSES",
    "RPGAN",
    "AdversarialLoss",
    "DiffAugment",
    "Objective",
    "aux_class_loss",
    "aux_d_loss",
    "aux_g_loss",
    "build_objective",
    "class_accuracy",
    "clip_weights",
    "diff_augment",
    "discriminator_accuracy",
    "get_loss",
    "gradient_penalty",
    "r1_penalty",
    "r1_penalty_from",
    "register_loss",
    "rpgan_d_loss",
    "rpgan_g_loss",
]
