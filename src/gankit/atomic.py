"""Atomic file writes: a reader (or a crash) never sees a half-written file.

Each writer streams into a temporary file in the destination folder, fsyncs it, then renames it
over the target, so the previous version stays intact until the new one is complete. A failure
(full disk, read-only folder) removes the temporary file and raises :class:`OSError`.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600 files; give outputs the mode a plain open() would.
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (no-op where directories cannot be opened)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files that writers killed mid-write (SIGKILL, power loss) left behind.

    A killed writer cannot clean up, and checkpoint-sized leftovers would pile up with every
    crash. Only call this when no writer can be active in ``folder`` (e.g. when a run starts).
    """
    removed: list[Path] = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for path in root.glob(".*.tmp"):
        if path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]) -> None:
    """Let ``writer`` fill an in-memory buffer, then write it to ``path`` atomically.

    Useful for libraries that write to a file object (``PIL.Image.save``, ``np.savez``,
    ``matplotlib.savefig``) whose format must be given explicitly since the buffer has no name.
    """
    buffer = io.BytesIO()
    writer(buffer)
    atomic_write_bytes(path, buffer.getvalue())


def atomic_torch_save(obj: object, path: str | os.PathLike[str]) -> None:
    """``torch.save`` to ``path`` atomically (imported lazily to keep this module light).

    The object is serialised in memory first: when ``torch.save`` streams into a file that hits
    a full disk, its zip writer turns the ``OSError`` into an opaque ``RuntimeError``
    ("unexpected pos"), so callers could not report "disk full". Writing finished bytes keeps
    disk errors as ``OSError`` (checkpoints are small next to the memory training uses).
    """
    import torch

    atomic_write_with(path, lambda handle: torch.save(obj, handle))
