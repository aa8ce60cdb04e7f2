"""Checksum-verified, atomic dataset downloads -- only when the user asks for them.

Nothing here runs implicitly: ``load_dataset(..., download=True)`` or ``gankit data prepare
NAME`` are the only callers. Each file streams into a temporary sibling while its MD5/SHA-256
is computed and is renamed into place only if the digest matches, so an interrupted or
corrupted download never leaves a plausible-looking file behind. Mirrors are tried in order;
``mirrors=`` overrides them (tests use ``file://`` URLs). Archives are extracted member by member
after checking that no member is a link or escapes the destination folder.

URLs and MD5s are the official ones (the same torchvision uses). CelebA is hosted on Google
Drive behind an interactive confirmation page, so it must be downloaded by hand.
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
from gankit.data.locate import SUBDIRS, download_root
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


SOURCES: dict[str, Source] = {
    "mnist": Source(
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        resources=(
            Resource("train-images-idx3-ubyte.gz", md5="f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            Resource("train-labels-idx1-ubyte.gz", md5="d53e105ee54ea40749a09fcbcd1e9432"),
            Resource("t10k-images-idx3-ubyte.gz", md5="9fb629c4189551a2d022fa330f9573f3"),
            Resource("t10k-labels-idx1-ubyte.gz", md5="ec29112dd5afa0611ce80d1b7f02629c"),
        ),
        subdir=SUBDIRS["mnist"][0],
    ),
    "fashion-mnist": Source(
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        resources=(
            Resource("train-images-idx3-ubyte.gz", md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            Resource("train-labels-idx1-ubyte.gz", md5="25c81989df183df01b3e8a0aad5dffbe"),
            Resource("t10k-images-idx3-ubyte.gz", md5="bef4ecab320f06d8554ea6380940ec79"),
            Resource("t10k-labels-idx1-ubyte.gz", md5="bb300cfdad3c16e7a12a480ee83cd310"),
        ),
        subdir=SUBDIRS["fashion-mnist"][0],
    ),
    "cifar10": Source(
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        resources=(Resource("cifar-10-python.tar.gz", md5="c58f30108f718f92721af3b95e74349a"),),
        subdir=SUBDIRS["cifar10"][0],
        archive_folder="cifar-10-batches-py",
        extracted=(
            Resource("data_batch_1", md5="c99cafc152244af753f735de768cd75f"),
            Resource("data_batch_2", md5="d4bba439e000b95fd0a9bffe97cbabec"),
            Resource("data_batch_3", md5="54ebc095f3ab1f0389bbae665268c751"),
            Resource("data_batch_4", md5="634d18415352ddfa80567beed471001a"),
            Resource("data_batch_5", md5="482c414d41f54cd18b22e5b47cb7c3cb"),
            Resource("test_batch", md5="40351d587109b95175f43aff81a1287e"),
            Resource("batches.meta", md5="5ff9c542aee3614f3951f8cda6e48888"),
        ),
    ),
}

CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
CELEBA_MANUAL = (
    "CelebA cannot be downloaded automatically (it is on Google Drive behind a confirmation "
    f"page): download img_align_celeba.zip and list_eval_partition.txt from {CELEBA_PAGE} "
    "(Align&Cropped Images) and extract them into DIR/celeba/ so that "
    "DIR/celeba/img_align_celeba/000001.jpg exists, then pass --root DIR"
)

HOW_TO_GET = {
    "mnist": (
        "run `gankit data prepare mnist --root DIR` while online (downloads from "
        f"{SOURCES['mnist'].mirrors[0]}), or copy the four IDX files into DIR/MNIST/raw"
    ),
    "fashion-mnist": (
        "install it with `apt-get install dataset-fashion-mnist`, or run `gankit data prepare "
        "fashion-mnist --root DIR` while online (downloads from "
        f"{SOURCES['fashion-mnist'].mirrors[0]})"
    ),
    "cifar10": (
        "run `gankit data prepare cifar10 --root DIR` while online, or download "
        f"{SOURCES['cifar10'].mirrors[0]}cifar-10-python.tar.gz and extract it into DIR"
    ),
    "celeba": CELEBA_MANUAL,
    "folder": "set data.root (or --root) to a folder of images or of class sub-folders",
    "synthetic": "nothing to get: synthetic images are generated on the fly",
}


def how_to_get(name: str) -> str:
    """One clause telling the user how to obtain dataset ``name``."""
    return HOW_TO_GET.get(name, f"see the documentation of dataset {name!r}")


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
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    mirrors: Sequence[str] | None = None,
    log: Callable[[str], None] | None = _stderr,
) -> Path:
    """Fetch dataset ``name`` into the data root; returns the folder holding its files.

    Files already present with the right checksum are kept. ``mirrors`` replaces the official
    base URLs (e.g. ``["file:///tmp/mirror/"]``).
    """
    if name == "celeba":
        raise DataError(CELEBA_MANUAL + ".")
    if name not in SOURCES:
        raise DataError(f"Dataset {name!r} has nothing to download; {how_to_get(name)}.")
    source = SOURCES[name]
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
            if not verify_file(extracted / resource.filename, md5=resource.md5,
                               sha256=resource.sha256):
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
