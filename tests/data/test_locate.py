"""Where datasets are looked for: order, $GANKIT_DATA, torchvision layouts, no duplicates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gankit.data import locate
from gankit.data.cifar import SPEC as CIFAR
from gankit.data.fashion_mnist import SPEC as FASHION
from gankit.data.mnist import SPEC as MNIST


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "gankit" / "data"


def test_default_root_follows_xdg(no_env: Path) -> None:
    assert locate.default_data_root() == no_env
    assert locate.download_root() == no_env
    assert locate.search_roots() == [no_env]


def test_search_order_root_then_env_then_default_without_duplicates(
    monkeypatch: pytest.MonkeyPatch, no_env: Path, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv(locate.ENV_VAR, os.pathsep.join([str(a), "", str(b), str(a) + "/"]))
    assert locate.env_roots() == [a, b, a]
    assert locate.search_roots(b) == [b, a, no_env]
    assert locate.download_root() == a
    assert locate.download_root(tmp_path / "x") == tmp_path / "x"


def test_base_folder_itself_is_tried_only_when_it_is_the_explicit_root(
    monkeypatch: pytest.MonkeyPatch, no_env: Path, tmp_path: Path
) -> None:
    env = tmp_path / "env"
    monkeypatch.setenv(locate.ENV_VAR, str(env))
    mine = tmp_path / "mine"
    dirs = locate.candidate_dirs(MNIST.subdirs, mine, MNIST.system_dirs)
    assert dirs[:4] == [mine / "MNIST/raw", mine / "mnist", mine / "MNIST", mine]
    assert env / "MNIST/raw" in dirs and env not in dirs
    assert dirs[-1] == Path("/usr/share/datasets/mnist")


def test_find_dir_returns_the_first_complete_folder_and_all_places(
    no_env: Path, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    (root / "FashionMNIST/raw").mkdir(parents=True)
    (root / "fashion-mnist").mkdir()
    (root / "fashion-mnist" / "done").write_text("")
    found, looked = locate.find_dir(
        FASHION.subdirs, root, lambda folder: (folder / "done").exists()
    )
    assert found == root / "fashion-mnist"
    assert looked[0] == root / "FashionMNIST/raw"
    missing, looked_all = locate.find_dir(CIFAR.subdirs, root, lambda _f: False)
    assert missing is None
    assert looked_all[0] == root / "cifar-10-batches-py" and root in looked_all
