"""Class accuracy of a conditional generator, judged by a classifier trained on real data.

A conditional GAN can reach a good FID while ignoring its labels; FID cannot see that. We train
a small CNN once per dataset on the real training split (cached under ``$GANKIT_CACHE`` with
its test-split accuracy, which bounds what any generator can score), then ask it how often an
image generated for class ``k`` is recognised as ``k``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from gankit.atomic import atomic_torch_save
from gankit.cachedir import cache_root
from gankit.errors import MetricError
from gankit.metrics.registry import GeneratorContext, register_generator_metric

CLASSIFIER_VERSION = 1


def _cache_dir() -> Path:
    return cache_root() / "classifiers"


class SmallClassifier(nn.Module):
    """Conv(32)-Conv(64)-pool-Conv(128)-pool-FC: ~92% on Fashion-MNIST after 3 epochs."""

    def __init__(self, channels: int, size: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 16, num_classes))
        self.image_shape = (channels, size, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _to_input(images_uint8: torch.Tensor) -> torch.Tensor:
    return images_uint8.float() / 127.5 - 1.0


@dataclass
class TrainedClassifier:
    model: SmallClassifier
    test_accuracy: float
    dataset: str


@torch.no_grad()
def predict(model: nn.Module, images_uint8: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Predicted classes for uint8 images, in eval mode, batched.

    Images of another size than the classifier was trained on (a 64 px ACGAN scored with the
    32 px data's classifier) are resized to its size first, as the training data would be.
    """
    from gankit.data.transforms import resize_images

    shape = getattr(model, "image_shape", None)
    if shape is not None and tuple(images_uint8.shape[-2:]) != tuple(shape[1:]):
        images_uint8 = resize_images(images_uint8, tuple(shape[1:]))
    model.eval()
    device = next(model.parameters()).device
    preds = [
        model(_to_input(images_uint8[i : i + batch_size].to(device))).argmax(1).cpu()
        for i in range(0, len(images_uint8), batch_size)
    ]
    return torch.cat(preds)


def fit_classifier(
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    num_classes: int,
    *,
    epochs: int = 3,
    batch_size: int = 128,
    seed: int = 0,
    device: str = "cpu",
) -> SmallClassifier:
    """Train the classifier on uint8 images (with random flips off: labels may be chiral)."""
    torch.manual_seed(seed)
    c, h, _ = train_images.shape[1:]
    model = SmallClassifier(c, h, num_classes).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * (len(train_images) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=max(steps, 1))
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(train_images), generator=gen)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            idx = order[start : start + batch_size]
            x = _to_input(train_images[idx].to(device))
            loss = F.cross_entropy(model(x), train_labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def get_classifier(
    dataset: str, *, root: str | None = None, device: str = "cpu", epochs: int = 3
) -> TrainedClassifier:
    """The cached classifier for ``dataset`` (trained on first use, then loaded)."""
    from gankit.data import load_dataset

    train = load_dataset(dataset, "train", root=root)
    if train.num_classes < 2:
        raise MetricError(f"Class accuracy needs a labelled dataset; '{dataset}' has no classes.")
    shape = "x".join(str(v) for v in train.images.shape[1:])
    source = ""
    if train.name == "folder":  # two image folders must not share one classifier
        source = "-" + hashlib.sha1(str(Path(train.source).resolve()).encode()).hexdigest()[:8]
    path = _cache_dir() / f"{train.name}{source}-{shape}-v{CLASSIFIER_VERSION}.pt"
    c, h, _ = train.images.shape[1:]
    model = SmallClassifier(c, h, train.num_classes)
    if path.exists():
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        return TrainedClassifier(model.to(device).eval(), float(state["test_accuracy"]), dataset)
    model = fit_classifier(
        train.images, train.labels, train.num_classes, epochs=epochs, device=device
    )
    test = load_dataset(dataset, "test", root=root)
    accuracy = float((predict(model, test.images) == test.labels).float().mean())
    atomic_torch_save({"model": model.cpu().state_dict(), "test_accuracy": accuracy}, path)
    return TrainedClassifier(model.to(device).eval(), accuracy, dataset)


@torch.no_grad()
def class_accuracy(
    generator: nn.Module,
    classifier: nn.Module,
    *,
    n: int = 10_000,
    seed: int = 0,
    device: str = "cpu",
) -> float:
    """Fraction of generated images (uniform labels) that the classifier assigns their label."""
    from gankit.models.generation import draw_inputs, generate

    k = int(getattr(generator, "num_classes", 0))
    if k < 2:
        raise MetricError(
            "Class accuracy (cas) needs a conditional generator; this run has no labels."
        )
    made = tuple(getattr(generator, "image_shape", ()))
    reads = tuple(getattr(classifier, "image_shape", ()))
    if made and reads and made != reads:  # e.g. synthetic data of another synthetic_shape
        shape = "x".join
        raise MetricError(
            f"Class accuracy: the generator makes {shape(map(str, made))} images but the "
            f"classifier reads {shape(map(str, reads))}; score against the dataset (and image "
            "size) the generator was trained on."
        )
    gen = torch.Generator().manual_seed(seed)
    z, y = draw_inputs(n, generator.z_dim, k, rng=gen, labels=torch.arange(n) % k)
    assert y is not None
    images = generate(generator, z.to(device), y.to(device))
    return float((predict(classifier, images) == y).float().mean())


@register_generator_metric("cas")
def cas_metric(generator: nn.Module, ctx: GeneratorContext) -> dict[str, object]:
    """``cas``: class accuracy of the generator's samples under a classifier trained on the
    reference dataset's train split, with that classifier's own test accuracy beside it."""
    if ctx.dataset is None:
        raise MetricError(
            "cas trains its classifier on the reference dataset; give the reference as a "
            "dataset split (NAME:SPLIT), not a statistics file."
        )
    clf = get_classifier(ctx.dataset, root=ctx.data_root, device=str(ctx.device))
    score = class_accuracy(generator, clf.model, n=ctx.n, seed=ctx.seed, device=str(ctx.device))
    return {"cas": score, "cas_n": ctx.n, "classifier_test_accuracy": clf.test_accuracy}
