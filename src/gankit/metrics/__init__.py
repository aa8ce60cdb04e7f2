"""Image-quality metrics under one fixed protocol: FID, KID, IS and precision/recall.

Protocol (docs/reference.md, "Metrics protocol"): TF Inception pool3 features of images quantised to
uint8, grey repeated to RGB, resized to 299x299 with TensorFlow 1's bilinear rule, normalised as
(x - 128) / 128; statistics in float64. Reference statistics are cached per dataset split, N,
protocol version, precision and extractor hash.
"""

from __future__ import annotations

from gankit.metrics.cache import reference_features, reference_stats
from gankit.metrics.evaluate import (
    evaluate_generator,
    evaluate_images,
    load_image_set,
)
from gankit.metrics.extractor import FeatureExtractor, find_weights, get_extractor
from gankit.metrics.features import FeatureSet
from gankit.metrics.fid import feature_stats, fid_from_features, fid_from_stats
from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kid_from_features
from gankit.metrics.precision_recall import precision_recall
from gankit.metrics.preprocess import PROTOCOL_VERSION, inception_input, resize_tf1, to_uint8
from gankit.metrics.registry import get_metric, list_metrics

__all__ = [
    "PROTOCOL_VERSION",
    "FeatureExtractor",
    "FeatureSet",
    "evaluate_generator",
    "evaluate_images",
    "feature_stats",
    "fid_from_features",
    "fid_from_stats",
    "find_weights",
    "get_extractor",
    "get_metric",
    "inception_input",
    "inception_score",
    "kid_from_features",
    "list_metrics",
    "load_image_set",
    "precision_recall",
    "reference_features",
    "reference_stats",
    "resize_tf1",
    "to_uint8",
]
