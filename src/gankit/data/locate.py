"""Where datasets are looked for on disk.

One list of places, in a fixed order, is used both to find a dataset and to tell the user where
it was not found, so the error message and ``gankit data list`` can never disagree with the
loader. Order: the explicit ``root``, each entry of ``$GANKIT_DATA`` (``os.pathsep``-separated),
the default download folder, then system-wide package folders (the Debian package
``dataset-fashion-mnist`` installs ``/usr/share/datasets/fashion-mnist``).

Inside each base folder the sub-folders a dataset names (its ``DatasetSpec.subdirs``, the
torchvision layouts first: ``MNIST/raw``, ``FashionMNIST/raw``, ``cifar-10-batches-py``,
``celeba/img_align_celeba``) are tried, so an existing torchvision data folder works as-is; the
base folder itself is only tried when it is the explicit ``root``, since MNIST and
Fashion-MNIST use identical file names and a shared folder could otherwise be read as the wrong
dataset. System folders (``DatasetSpec.system_dirs``) come last.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

ENV_VAR = "GANKIT_DATA"


def default_data_root() -> Path:
    """Folder that downloads go to when neither ``root`` nor ``$GANKIT_DATA`` is set:
    ``$XDG_CACHE_HOME/gankit/data``, i.e. ``~/.cache/gankit/data`` (as scripts/ uses)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gankit" / "data"


def env_roots() -> list[Path]:
    """Entries of ``$GANKIT_DATA`` (empty entries ignored)."""
    value = os.environ.get(ENV_VAR, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def search_roots(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Base folders in search order, without duplicates."""
    bases: list[Path] = []
    if root is not None:
        bases.append(Path(root).expanduser())
    bases.extend(env_roots())
    bases.append(default_data_root())
    return _unique(bases)


def download_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Base folder that ``prepare`` writes into: ``root``, else ``$GANKIT_DATA``, else default."""
    if root is not None:
        return Path(root).expanduser()
    envs = env_roots()
    return envs[0] if envs else default_data_root()


def candidate_dirs(
    subdirs: Sequence[str],
    root: str | os.PathLike[str] | None = None,
    system_dirs: Sequence[Path] = (),
) -> list[Path]:
    """Every folder where a dataset kept in ``subdirs`` of a base folder may live, in the
    order they are tried."""
    explicit = Path(root).expanduser() if root is not None else None
    dirs: list[Path] = []
    for base in search_roots(root):
        dirs.extend(base / sub for sub in subdirs)
        if explicit is not None and base == explicit:
            dirs.append(base)
    dirs.extend(system_dirs)
    return _unique(dirs)


def find_dir(
    subdirs: Sequence[str],
    root: str | os.PathLike[str] | None,
    is_complete: Callable[[Path], bool],
    system_dirs: Sequence[Path] = (),
) -> tuple[Path | None, list[Path]]:
    """First candidate folder that ``is_complete`` accepts, and the list of places looked."""
    looked = candidate_dirs(subdirs, root, system_dirs)
    for folder in looked:
        try:
            if folder.is_dir() and is_complete(folder):
                return folder, looked
        except OSError:  # unreadable folder: treat as absent, it is still listed as looked
            continue
    return None, looked


def _unique(paths: list[Path]) -> list[Path]:
    seen: set[str] = set()
    out: list[Path] = []
    for path in paths:
        key = os.path.normpath(str(path))
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out
