"""Agreement with torch-fidelity on the same protocol (its Inception weights need a download,
so the comparison covers the resize and the FID/KID maths from shared features)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.metrics.fid import feature_stats, fid_from_stats
from gankit.metrics.kid import kid_from_features
from gankit.metrics.resize import resize_tf1

interp = pytest.importorskip(
    "torch_fidelity.interpolate_compat_tensorflow", reason="torch-fidelity is not installed"
)


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (1, 3, 32, 32), (1, 3, 17, 45)])
def test_resize_agrees_with_torch_fidelity(shape):
    x = torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(0)).float()
    theirs = interp.interpolate_bilinear_2d_like_tensorflow1x(
        x, size=(299, 299), align_corners=False
    )
    # torch-fidelity reproduces TF's float32 source coordinates; ours are exact rationals. On
    # 0..255 pixels that differs by < 1e-3 (4e-6 of the range), far below any effect on FID.
    torch.testing.assert_close(resize_tf1(x), theirs, rtol=0, atol=1e-3)


def test_fid_agrees_with_torch_fidelity_on_the_same_features():
    metric_fid = pytest.importorskip("torch_fidelity.metric_fid")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(600, 64)).astype(np.float32)
    b = (rng.normal(size=(600, 64)) * 1.2 + 0.1).astype(np.float32)
    ours = fid_from_stats(*feature_stats(a), *feature_stats(b))
    stats = [metric_fid.fid_features_to_statistics(torch.from_numpy(f).double()) for f in (a, b)]
    theirs = metric_fid.fid_statistics_to_metric(*stats, verbose=False)[
        "frechet_inception_distance"
    ]
    assert ours == pytest.approx(theirs, rel=1e-9)


def test_kid_agrees_with_torch_fidelity_when_subsets_are_the_whole_set():
    metric_kid = pytest.importorskip("torch_fidelity.metric_kid")
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 16)).astype(np.float32)
    b = (rng.normal(size=(50, 16)) + 0.3).astype(np.float32)
    ours, _ = kid_from_features(a, b, num_subsets=2)
    theirs = metric_kid.kid_features_to_metric(
        torch.from_numpy(a),
        torch.from_numpy(b),
        kid_subsets=2,
        kid_subset_size=50,
        verbose=False,
        rng_seed=0,
        kid_degree=3,
        kid_gamma=None,
        kid_coef0=1,
        kid_kernel="poly",
    )["kernel_inception_distance_mean"]
    assert ours == pytest.approx(theirs, rel=1e-4)
