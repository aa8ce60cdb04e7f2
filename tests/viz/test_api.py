from __future__ import annotations

import pytest

import gankit.viz as viz


def test_public_names_resolve():
    for name in viz.__all__:
        assert callable(getattr(viz, name)), name
    with pytest.raises(AttributeError):
        viz.does_not_exist  # noqa: B018
