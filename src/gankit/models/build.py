"""Config -> network, with one-sentence ``ConfigError`` for every unsupported combination.

Names are looked up in the registries (backbones, conditionings, norms, activations); the checks
here are about combinations: image size against the backbone, labels against the conditioning.
"""

from __future__ import annotations

from torch import nn

from gankit.config import ModelConfig, NetConfig
from gankit.errors import ConfigError
from gankit.models.backbone import get_backbone
from gankit.models.base import Discriminator, Generator
from gankit.models.conditioning import CONDITIONINGS
from gankit.nn.layers import ACTIVATIONS
from gankit.nn.norm import NORMS


def _check(
    cfg: ModelConfig, net: NetConfig, who: str, image_shape, num_classes: int
) -> tuple[int, int, int]:
    key = f"model.{who}"
    backbone = get_backbone(net.arch, key=f"{key}.arch")
    conditioning = CONDITIONINGS.get(cfg.conditioning)
    NORMS.check(net.norm, key=f"{key}.norm")
    ACTIVATIONS.check(net.activation, key=f"{key}.activation")
    if net.width < 1:
        raise ConfigError(f"'{key}.width' must be positive; got {net.width}.")
    if cfg.z_dim < 1:
        raise ConfigError(f"'model.z_dim' must be positive; got {cfg.z_dim}.")
    try:
        shape = tuple(int(s) for s in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise ConfigError(f"image_shape must be (channels, height, width); got {image_shape!r}.")
    c, h, w = shape
    if backbone.sizes is not None:
        sizes = backbone.sizes
        if h != w or h not in sizes:
            raise ConfigError(
                f"The {net.arch} {who} supports square images of "
                f"{', '.join(map(str, sizes))} px, not {h}x{w}; set data.image_size to one of "
                "them or use arch mlp."
            )
    elif net.attention_res is not None:
        raise ConfigError(
            f"'{key}.attention_res' needs a convolutional backbone; the {net.arch} has no "
            "feature maps, so set it to null."
        )
    if conditioning.labelled and num_classes < 2:
        raise ConfigError(
            f"Conditioning '{cfg.conditioning}' needs a labelled dataset with at least 2 "
            f"classes (got {num_classes}); set model.conditioning=none."
        )
    if conditioning.g_embedding and cfg.embed_dim < 1:
        raise ConfigError(
            f"'model.embed_dim' must be positive for {cfg.conditioning}; got {cfg.embed_dim}."
        )
    if cfg.label_input and not conditioning.g_conditional_bn:
        raise ConfigError(
            "'model.label_input' adds one-hot labels to a projection generator's input; "
            f"conditioning '{cfg.conditioning}' already decides that, so set it to false."
        )
    if who == "generator" and conditioning.g_conditional_bn and net.norm != "batch":
        raise ConfigError(
            "A projection generator carries its labels through conditional batch norm; "
            "set model.generator.norm=batch."
        )
    return c, h, w


def build_generator(
    cfg: ModelConfig, *, image_shape: tuple[int, int, int], num_classes: int
) -> Generator:
    """The generator of ``cfg.generator.arch`` for images of ``image_shape`` (C, H, W).

    ``num_classes`` is the dataset's label count; it is used only when ``cfg.conditioning`` is
    not ``none``.
    """
    net = cfg.generator
    shape = _check(cfg, net, "generator", image_shape, num_classes)
    return get_backbone(net.arch).generator(
        net,
        z_dim=cfg.z_dim,
        image_shape=shape,
        num_classes=num_classes,
        conditioning=cfg.conditioning,
        embed_dim=cfg.embed_dim,
        label_input=cfg.label_input,
    )


def build_discriminator(
    cfg: ModelConfig, *, image_shape: tuple[int, int, int], num_classes: int
) -> Discriminator:
    """The discriminator of ``cfg.discriminator.arch``; returns ``(adv [N], class [N,K]|None)``."""
    net = cfg.discriminator
    shape = _check(cfg, net, "discriminator", image_shape, num_classes)
    return get_backbone(net.arch).discriminator(
        net, image_shape=shape, num_classes=num_classes, conditioning=cfg.conditioning
    )


def count_parameters(module: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of parameter elements (spectral-norm weights count once, as their original)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
