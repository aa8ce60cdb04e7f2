"""Checksum-verified, atomic dataset downloads -- only when the user asks for them.

Nothing here runs implicitly: ``load_dataset(..., download=True)`` or ``gankit data prepare
NAME`` are the only callers. Each file streams into a temporary sibling while its MD5/SHA-256
is computed and is renamed into place only if the digest matches, so an interrupted or
corrupted download never leaves a plausible-looking file behind. Mirrors are tried in order;
``mirrors=`` overrides them (tests use ``file://`` URLs). Archives are extracted member by member
after checking that no member is a link or escapes the destination folder.

Each dataset module declares its own :class:`Source` (official URLs and MD5s, the same
torchvision uses) in its ``DatasetSpec``; this module only knows how to fetch one. CelebA is
hosted on Google Drive behind an interactive confirmation page, so it has no source and must be
downloaded by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gankit.atomic import atomic_open
from gankit.data.locate import download_root
from gankit.errors import DataError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Resource:
    """One file to fetch: name (appended to a mirror URL) and its expected digest(s)."""

    filename: str
    md5: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Source:
    """Where a dataset comes from and where its files go under the data root."""

    mirrors: tuple[str, ...]
    resources: tuple[Resource, ...]
    subdir: str  # folder (under the root) that ends up holding the readable files
    archive_folder: str | None = None  # for archives: top folder inside the archive
    extracted: tuple[Resource, ...] = ()  # files checked after extraction


def file_digest(path: str | os.PathLike[str], algorithm: str = "md5") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    hasher = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def verify_file(
    path: str | os.PathLike[str], *, md5: str | None = None, sha256: str | None = None
) -> bool:
    """True if ``path`` exists and matches every digest given (at least one is required)."""
    if md5 is None and sha256 is None:
        raise ValueError("verify_file needs md5= or sha256=")
    if not Path(path).is_file():
        return False
    if md5 is not None and file_digest(path, "md5") != md5.lower():
        return False
    return sha256 is None or file_digest(path, "sha256") == sha256.lower()


class DownloadError(DataError):
    """A download failed (network, HTTP status, or checksum); another mirror may work."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    md5: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
    log: Callable[[str], None] | None = _stderr,
) -> Path:
    """Stream ``url`` into ``dest`` atomically, verifying the digest(s) before the rename.

    Raises :class:`DownloadError` on a network failure or a checksum mismatch; ``dest`` is
    untouched in both cases.
    """
    dest = Path(dest)
    hashers = {}
    if md5 is not None:
        hashers["md5"] = (hashlib.md5(usedforsecurity=False), md5.lower())
    if sha256 is not None:
        hashers["sha256"] = (hashlib.sha256(), sha256.lower())
    if log:
        log(f"downloading {url} -> {dest}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_open(dest) as out:
            size = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                size += len(chunk)
                for hasher, _ in hashers.values():
                    hasher.update(chunk)
            for algorithm, (hasher, expected) in hashers.items():
                actual = hasher.hexdigest()
                if actual != expected:
                    raise DownloadError(
                        f"Checksum mismatch for {url} ({algorithm} {actual}, expected {expected}), "
                        "so the file was discarded; retry later or fetch it by hand and compare "
                        "its checksum."
                    )
    except DownloadError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError(
            f"Could not download {url} ({reason}); check that this machine is online."
        ) from exc
    if log:
        log(f"downloaded {size} bytes, checksum ok")
    return dest


def fetch(
    resource: Resource,
    dest: Path,
    mirrors: Sequence[str],
    *,
    log: Callable[[str], None] | None = _stderr,
) -> Path:
    """Download ``resource`` into ``dest`` from the first mirror that works."""
    errors: list[DownloadError] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + resource.filename
        try:
            return download_file(url, dest, md5=resource.md5, sha256=resource.sha256, log=log)
        except DownloadError as exc:
            errors.append(exc)
            if log:
                log(str(exc))
    if len(errors) == 1:
        raise errors[0]
    raise DownloadError(
        f"Could not download {resource.filename} from any of {', '.join(mirrors)} "
        f"(last error: {errors[-1]})"
    )


def safe_extract_tar(archive: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Extract ``archive`` into ``dest``, refusing links, devices and paths that escape it."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    fix = "delete it and download the archive again from the official site."
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                if not (member.isfile() or member.isdir()):
                    raise DataError(
                        f"{archive} contains {member.name!r}, a link or special file, so it was "
                        f"not extracted; {fix}"
                    )
                target = (root / member.name).resolve()
                if os.path.isabs(member.name) or not target.is_relative_to(root):
                    raise DataError(
                        f"{archive} contains {member.name!r}, which would be written outside "
                        f"{dest}, so it was not extracted; {fix}"
                    )
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tar.extractall(root, members=members)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise DataError(f"{archive} is not a readable tar archive ({exc}); {fix}") from exc


def download_dataset(
    source: Source,
    root: str | os.PathLike[str] | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    log: Callable[[str], None] | None = _stderr,
) -> Path:
    """Fetch ``source`` into the data root; returns the folder holding its files.

    Files already present with the right checksum are kept. ``mirrors`` replaces the official
    base URLs (e.g. ``["file:///tmp/mirror/"]``).
    """
    base = download_root(root)
    bases = tuple(mirrors) if mirrors else source.mirrors
    if source.archive_folder is None:
        target = base / source.subdir
        for resource in source.resources:
            dest = target / resource.filename
            if not verify_file(dest, md5=resource.md5, sha256=resource.sha256):
                fetch(resource, dest, bases, log=log)
        return target
    (archive_res,) = source.resources
    archive = base / archive_res.filename
    if not verify_file(archive, md5=archive_res.md5, sha256=archive_res.sha256):
        fetch(archive_res, archive, bases, log=log)
    return _install_archive(archive, base, source, log=log)


def _install_archive(
    archive: Path, base: Path, source: Source, *, log: Callable[[str], None] | None
) -> Path:
    """Extract into a temporary folder, check the files, then rename the folder into place."""
    assert source.archive_folder is not None
    final = base / source.subdir
    scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=base))
    try:
        if log:
            log(f"extracting {archive} -> {final}")
        safe_extract_tar(archive, scratch)
        extracted = scratch / source.archive_folder
        if not extracted.is_dir():
            raise DataError(
                f"{archive} has no {source.archive_folder}/ folder; delete it and download again."
            )
        for resource in source.extracted:
            if not verify_file(
                extracted / resource.filename, md5=resource.md5, sha256=resource.sha256
            ):
                raise DataError(
                    f"{extracted / resource.filename} from {archive} is missing or has the wrong "
                    "checksum; delete the archive and download it again."
                )
        if final.exists():
            os.replace(final, scratch / "previous")
        os.replace(extracted, final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return final
