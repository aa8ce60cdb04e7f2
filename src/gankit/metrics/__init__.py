"""Image-quality metrics under one fixed protocol: FID, KID, IS, precision/recall, density and
coverage, FID_inf and per-class FID; FID statistics files; the clean-fid resize as an option.

Protocol (docs/reference.md, "Metrics protocol"): TF Inception pool3 features of images quantised to
uint8, grey repeated to RGB, resized to 299x299 with TensorFlow 1's bilinear rule, normalised as
(x - 128) / 128; statistics in float64. Reference statistics are cached per dataset split, N,
protocol version, precision and extractor hash.

Importing this package imports every module in it, so each metric module registers its metric
(:mod:`gankit.metrics.registry`); a new metric is one new module, listed nowhere else.
"""

from __future__ import annotations

# The built-in metric modules first: each registers its metric on import, and the registry
# lists metrics in registration order (this order, FID first). Any other module of the package
# registers after them, through load_metric_modules() below, without being listed here.
# isort: off
import gankit.metrics.fid
import gankit.metrics.fid_inf
import gankit.metrics.kid
import gankit.metrics.precision_recall
import gankit.metrics.density_coverage
import gankit.metrics.per_class
import gankit.metrics.inception_score
import gankit.metrics.class_accuracy  # noqa: F401

# isort: on
from gankit.metrics.cache import reference_features, reference_stats
from gankit.metrics.density_coverage import density_coverage
from gankit.metrics.evaluate import (
    evaluate_generator,
    evaluate_images,
    generator_features,
    save_source_stats,
)
from gankit.metrics.extractor import FeatureExtractor, find_weights, get_extractor
from gankit.metrics.features import FeatureSet, feature_stats
from gankit.metrics.fid import fid_from_features, fid_from_stats
from gankit.metrics.fid_inf import fid_infinity
from gankit.metrics.image_sets import load_image_set
from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kid_from_features
from gankit.metrics.options import MetricOptions
from gankit.metrics.per_class import per_class_fid
from gankit.metrics.precision_recall import precision_recall
from gankit.metrics.preprocess import PROTOCOL_VERSION, PROTOCOLS, inception_input, to_uint8
from gankit.metrics.registry import (
    get_metric,
    list_metrics,
    load_metric_modules,
    register_generator_metric,
    register_metric,
)
from gankit.metrics.resize import resize_tf1
from gankit.metrics.stats_file import read_stats, write_stats

load_metric_modules()

__all__ = [
    "PROTOCOLS",
    "PROTOCOL_VERSION",
    "FeatureExtractor",
    "FeatureSet",
    "MetricOptions",
    "density_coverage",
    "evaluate_generator",
    "evaluate_images",
    "feature_stats",
    "fid_from_features",
    "fid_from_stats",
    "fid_infinity",
    "find_weights",
    "generator_features",
    "get_extractor",
    "get_metric",
    "inception_input",
    "inception_score",
    "kid_from_features",
    "list_metrics",
    "load_image_set",
    "per_class_fid",
    "precision_recall",
    "read_stats",
    "reference_features",
    "reference_stats",
    "register_generator_metric",
    "register_metric",
    "resize_tf1",
    "save_source_stats",
    "to_uint8",
    "write_stats",
]
