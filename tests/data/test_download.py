"""Checksums, atomic downloads from file:// mirrors, safe tar extraction, prepare."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile

import pytest

from gankit.data import cifar, fashion_mnist, load_dataset, mnist, prepare_dataset
from gankit.data.download import (
    DownloadError,
    Resource,
    download_file,
    safe_extract_tar,
    verify_file,
)
from gankit.errors import DataError

from .formats import write_cifar, write_mnist


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_verify_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"gankit")
    md5, sha = hashlib.md5(b"gankit").hexdigest(), hashlib.sha256(b"gankit").hexdigest()
    assert verify_file(path, md5=md5) and verify_file(path, sha256=sha.upper())
    assert verify_file(path, md5=md5, sha256=sha)
    assert not verify_file(path, md5="0" * 32)
    assert not verify_file(path, md5=md5, sha256="0" * 64)
    assert not verify_file(tmp_path / "missing", md5=md5)


def test_download_file_verifies_before_keeping(tmp_path):
    src = tmp_path / "mirror" / "data.gz"
    src.parent.mkdir()
    src.write_bytes(b"x" * 3_000_000)  # several chunks
    dest = tmp_path / "out" / "data.gz"
    download_file(src.as_uri(), dest, md5=_md5(src), log=None)
    assert dest.read_bytes() == src.read_bytes()

    bad = tmp_path / "out2" / "data.gz"
    with pytest.raises(DownloadError, match="Checksum mismatch") as err:
        download_file(src.as_uri(), bad, md5="0" * 32, log=None)
    assert src.as_uri() in str(err.value)
    assert not bad.exists() and list(bad.parent.iterdir()) == []  # no temp file left

    with pytest.raises(DataError, match="Could not download"):
        download_file((tmp_path / "nope").as_uri(), bad, md5="0" * 32, log=None)


def _local_mnist_source(tmp_path, monkeypatch):
    """Point the MNIST source at a file:// mirror holding tiny IDX files with their md5s."""
    mirror = tmp_path / "mirror"
    write_mnist(mirror, gz_train=True, gz_test=True)
    resources = tuple(
        Resource(r.filename, md5=_md5(mirror / r.filename)) for r in mnist.SOURCE.resources
    )
    source = dataclasses.replace(
        mnist.SOURCE, resources=resources, mirrors=(mirror.as_uri() + "/",)
    )
    monkeypatch.setattr(mnist.SPEC, "source", source)
    return mirror


def test_load_with_download_fetches_into_root(tmp_path, monkeypatch):
    _local_mnist_source(tmp_path, monkeypatch)
    root = tmp_path / "data"
    with pytest.raises(DataError, match="not found"):
        load_dataset("mnist", root=root)  # never downloads unless asked
    ds = load_dataset("mnist", "test", root=root, download=True)
    assert len(ds) == 7 and ds.source == str(root / "MNIST" / "raw")
    assert (root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()


def test_prepare_tries_next_mirror_and_reports_offline(tmp_path, monkeypatch):
    mirror = _local_mnist_source(tmp_path, monkeypatch)
    dead = (tmp_path / "dead").as_uri()
    path = prepare_dataset("mnist", tmp_path / "data", mirrors=[dead, mirror.as_uri()])
    assert path == tmp_path / "data" / "MNIST" / "raw"
    assert prepare_dataset("mnist", tmp_path / "data", mirrors=[dead]) == path  # already there
    with pytest.raises(DataError, match=r"Could not download .* check that this machine is online"):
        prepare_dataset("mnist", tmp_path / "other", mirrors=[dead])


def _tar_with(tmp_path, name, *, data=b"hi", kind=tarfile.REGTYPE, linkname=""):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return archive


@pytest.mark.parametrize(
    "name, kind, linkname",
    [
        ("../escape.txt", tarfile.REGTYPE, ""),
        ("ok/../../escape.txt", tarfile.REGTYPE, ""),
        ("/tmp/gankit-absolute-escape.txt", tarfile.REGTYPE, ""),
        ("link", tarfile.SYMTYPE, "../escape.txt"),
        ("hard", tarfile.LNKTYPE, "/etc/passwd"),
    ],
)
def test_tar_extraction_refuses_escapes_and_links(tmp_path, name, kind, linkname):
    archive = _tar_with(tmp_path, name, kind=kind, linkname=linkname)
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match="not extracted"):
        safe_extract_tar(archive, dest)
    assert not (tmp_path / "escape.txt").exists()
    assert list(dest.iterdir()) == []


def test_prepare_cifar_extracts_archive_atomically(tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    write_cifar(staging / "cifar-10-batches-py")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    archive = mirror / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    extracted = tuple(
        Resource(r.filename, md5=_md5(staging / "cifar-10-batches-py" / r.filename))
        for r in cifar.SOURCE.extracted
    )
    source = dataclasses.replace(
        cifar.SOURCE,
        mirrors=(mirror.as_uri(),),
        resources=(Resource("cifar-10-python.tar.gz", md5=_md5(archive)),),
        extracted=extracted,
    )
    monkeypatch.setattr(cifar.SPEC, "source", source)
    root = tmp_path / "data"
    path = prepare_dataset("cifar10", root)
    assert path == root / "cifar-10-batches-py"
    assert sorted(p.name for p in root.iterdir()) == [
        "cifar-10-batches-py",
        "cifar-10-python.tar.gz",
    ]
    assert len(load_dataset("cifar10", root=root)) == 20


def test_celeba_and_local_datasets_explain_manual_steps(tmp_path):
    with pytest.raises(DataError, match="Google Drive") as err:
        prepare_dataset("celeba", tmp_path)
    assert "img_align_celeba.zip" in str(err.value)
    with pytest.raises(DataError, match="needs no preparation"):
        prepare_dataset("synthetic")


def test_official_sources_are_pinned():
    assert mnist.SPEC.source is mnist.SOURCE and cifar.SPEC.source is cifar.SOURCE
    assert mnist.SOURCE.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert {r.filename: r.md5 for r in fashion_mnist.SOURCE.resources}[
        "train-images-idx3-ubyte.gz"
    ] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert cifar.SOURCE.resources[0].md5 == "c58f30108f718f92721af3b95e74349a"
