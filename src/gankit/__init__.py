"""gankit: train, evaluate, compare and sample classic GANs on image datasets."""

__version__ = "0.1.0"
