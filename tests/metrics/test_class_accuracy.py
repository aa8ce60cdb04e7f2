"""Class accuracy (cas): classifier on toy separable classes, perfect vs label-blind generators."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.errors import MetricError
from gankit.metrics.class_accuracy import class_accuracy, fit_classifier, predict

pytestmark = pytest.mark.slow  # every test here trains the classifier first

K = 4


def _class_images(labels: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Class k = a bright horizontal band at row block k, plus noise."""
    n = len(labels)
    images = torch.randint(0, 60, (n, 1, 16, 16), generator=gen, dtype=torch.uint8)
    for k in range(K):
        images[labels == k, :, 4 * k : 4 * k + 4, :] = 230
    return images


class _ToyGenerator(nn.Module):
    """Draws the band of the requested class, or of a random class when label-blind."""

    def __init__(self, follow_labels: bool) -> None:
        super().__init__()
        self.z_dim, self.num_classes, self.follow = 4, K, follow_labels
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        gen = torch.Generator().manual_seed(int(z.abs().sum() * 1000) % 2**31)
        labels = y if self.follow else torch.randint(0, K, (len(z),), generator=gen)
        return _class_images(labels, gen).float() / 127.5 - 1.0


@pytest.fixture(scope="module")
def classifier() -> nn.Module:
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, K, (1024,), generator=gen)
    return fit_classifier(_class_images(labels, gen), labels, K, epochs=2, batch_size=64)


def test_classifier_learns_toy_classes(classifier) -> None:
    gen = torch.Generator().manual_seed(1)
    labels = torch.randint(0, K, (400,), generator=gen)
    accuracy = (predict(classifier, _class_images(labels, gen)) == labels).float().mean()
    assert accuracy > 0.97


def test_perfect_generator_scores_one_label_blind_scores_chance(classifier) -> None:
    assert class_accuracy(_ToyGenerator(True), classifier, n=400) > 0.97
    blind = class_accuracy(_ToyGenerator(False), classifier, n=400)
    assert abs(blind - 1 / K) < 0.1


def test_unconditional_generator_is_refused(classifier) -> None:
    g = _ToyGenerator(True)
    g.num_classes = 0
    with pytest.raises(MetricError, match="conditional generator"):
        class_accuracy(g, classifier, n=10)


def test_a_generator_of_another_image_shape_is_one_sentence(classifier) -> None:
    g = _ToyGenerator(True)
    g.image_shape = (3, 32, 32)  # the classifier reads 1x16x16
    with pytest.raises(MetricError, match=r"makes 3x32x32 images but the classifier reads 1x16x16"):
        class_accuracy(g, classifier, n=10)
