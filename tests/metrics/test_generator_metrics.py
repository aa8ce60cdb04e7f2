"""Metrics that score the generator itself (class accuracy) go through the registry and
evaluate_generator like the feature metrics, without loading Inception."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import gankit.metrics.class_accuracy as class_accuracy_module
import gankit.metrics.evaluate as evaluate_module
from gankit.errors import MetricError
from gankit.metrics import evaluate_generator, evaluate_images
from gankit.metrics.class_accuracy import TrainedClassifier

K = 4


def _level(k: torch.Tensor) -> torch.Tensor:
    """The grey level that class k is drawn with, in [-1, 1]."""
    return k.float() / (K - 1) * 1.6 - 0.8


class _ClassGenerator(nn.Module):
    """Draws class y as a flat image at its level; a label-blind one always draws class 0."""

    def __init__(self, follow_labels: bool = True) -> None:
        super().__init__()
        self.z_dim, self.num_classes, self.follow = 3, K, follow_labels
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, z, y=None):
        labels = y if self.follow else torch.zeros_like(y)
        return _level(labels).view(-1, 1, 1, 1).expand(-1, 1, 6, 6) + self.dummy


class _LevelClassifier(nn.Module):
    """Predicts the class whose level is nearest the image mean (inputs in [-1, 1])."""

    def __init__(self) -> None:
        super().__init__()
        self.centers = nn.Parameter(_level(torch.arange(K)))

    def forward(self, x):
        return -((x.mean((1, 2, 3))[:, None] - self.centers[None]) ** 2)


@pytest.fixture
def fake_classifier(monkeypatch):
    asked = []

    def get_classifier(dataset, *, root=None, device="cpu", epochs=3):
        asked.append((dataset, root))
        return TrainedClassifier(_LevelClassifier(), 0.875, dataset)

    def no_inception(*args, **kwargs):
        raise AssertionError("class accuracy alone must not load the Inception network")

    monkeypatch.setattr(class_accuracy_module, "get_classifier", get_classifier)
    monkeypatch.setattr(evaluate_module, "get_extractor", no_inception)
    return asked


def test_cas_through_evaluate_generator(fake_classifier) -> None:
    result = evaluate_generator(
        _ClassGenerator(), metrics=["cas"], n=40, ref="synthetic:test", data_root="/data"
    )
    assert result == {
        "cas": 1.0,
        "cas_n": 40,
        "classifier_test_accuracy": 0.875,
        "n_gen": 40,
    }
    assert fake_classifier == [("synthetic", "/data")]
    blind = evaluate_generator(_ClassGenerator(False), metrics="cas", n=40, ref="synthetic:test")
    assert blind["cas"] == pytest.approx(1 / K)  # labels are drawn evenly: only class 0 right


def test_a_sized_cas_name_sets_its_n(fake_classifier) -> None:
    result = evaluate_generator(_ClassGenerator(), metrics=["cas1k"], n=40, ref="synthetic:test")
    assert result["cas_n"] == 1000 and result["n_gen"] == 1000


def test_cas_needs_a_dataset_reference_not_a_statistics_file(fake_classifier, tmp_path) -> None:
    with pytest.raises(MetricError, match="NAME:SPLIT"):
        evaluate_generator(_ClassGenerator(), metrics=["cas"], n=8, ref=str(tmp_path / "s.npz"))


def test_image_sets_cannot_be_scored_with_a_generator_metric() -> None:
    images = torch.zeros(4, 1, 6, 6, dtype=torch.uint8)
    with pytest.raises(MetricError, match="scores a generator"):
        evaluate_images(images, images, metrics=["fid", "cas"])
