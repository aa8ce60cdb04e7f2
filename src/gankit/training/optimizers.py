"""The optimizers of G and D from ``optim.generator`` / ``optim.discriminator``.

Built with PyTorch's multi-tensor (``foreach``) kernels on CPU and fused ones on CUDA: one kernel
per parameter group instead of one per tensor, which matters for the many small tensors of a GAN.
Their learning rates along the run are :mod:`gankit.training.schedule`'s.
"""

from __future__ import annotations

import torch
from torch import nn

from gankit.config import OptimizerConfig


def make_optimizer(
    net: nn.Module, cfg: OptimizerConfig, device: torch.device
) -> torch.optim.Optimizer:
    """Adam or RMSProp over the trainable parameters of ``net``."""
    params = [p for p in net.parameters() if p.requires_grad]
    fast: dict[str, bool] = {"fused": True} if device.type == "cuda" else {"foreach": True}
    if cfg.name == "adam":
        return torch.optim.Adam(
            params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay, **fast
        )
    return torch.optim.RMSprop(params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
