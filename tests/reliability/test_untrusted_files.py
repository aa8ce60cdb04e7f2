"""Files from strangers: a crafted pickle never runs, and exported generators need no pickle.

The payload opens (creates) a marker file when unpickled; the tests first prove that plain
``pickle.loads`` really does create it, then that every gankit entry point refuses the file
with one sentence and the marker never appears.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from gankit.errors import CheckpointError, DataError
from gankit.export import load_exported_generator
from gankit.training.checkpoint import load_checkpoint
from gankit.training.generator_io import load_run
from tests.reliability.conftest import assert_clean_error, run_cli


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: code chosen by the file's author."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def _proves_payload_works(data: bytes, marker: Path) -> None:
    """Unsafe unpickling really runs the payload, so the refusals below mean something."""
    loaded = pickle.loads(data)
    assert marker.exists()

    def close(obj: Any) -> None:
        if hasattr(obj, "close"):
            obj.close()
        elif isinstance(obj, dict):
            for value in obj.values():
                close(value)

    close(loaded)
    marker.unlink()


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "PWNED"


@pytest.mark.parametrize("container", ["torch-zip", "raw-pickle"])
def test_crafted_checkpoint_is_refused_everywhere(
    tmp_path: Path, marker: Path, capsys, container: str
) -> None:
    run = tmp_path / "run"
    last = run / "checkpoints" / "last.pt"
    last.parent.mkdir(parents=True)
    state = {"format": "gankit-checkpoint", "config": {}, "generator": _Payload(marker)}
    if container == "torch-zip":
        torch.save(state, last)
    else:
        last.write_bytes(pickle.dumps(state, protocol=4))
        _proves_payload_works(last.read_bytes(), marker)

    with pytest.raises(CheckpointError, match=r"Refusing to load .* imports (builtins|io)\.open"):
        load_checkpoint(last)
    code, _, err = run_cli(
        capsys, ["sample", str(run), "--n", "2", "--out", str(tmp_path / "x.npz")]
    )
    assert_clean_error(code, err, "Refusing to load", "could run code", "nothing in it was")
    code, _, err = run_cli(capsys, ["train", "--resume", "--out", str(run), "--quiet"])
    assert_clean_error(code, err, "Refusing to load")
    code, _, err = run_cli(capsys, ["export", str(run), "--out", str(tmp_path / "g.safetensors")])
    assert_clean_error(code, err, "Refusing to load")
    assert not marker.exists(), "the crafted checkpoint ran code"


def test_crafted_cifar_batch_is_refused(tmp_path: Path, marker: Path, capsys, monkeypatch):
    monkeypatch.setenv("GANKIT_DATA", "")
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(2, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), b"labels": [0, 1]}
        (root / name).write_bytes(pickle.dumps(batch, protocol=2))
    evil = pickle.dumps({b"data": _Payload(marker), b"labels": [0]}, protocol=2)
    _proves_payload_works(evil, marker)
    (root / "data_batch_1").write_bytes(evil)

    from gankit.data import load_dataset

    with pytest.raises(DataError, match="refused without running anything"):
        load_dataset("cifar10", root=tmp_path)
    code, _, err = run_cli(capsys, ["data", "check", "cifar10", "--root", str(tmp_path)])
    assert_clean_error(code, err, "data_batch_1", "refused without running anything")
    assert not marker.exists(), "the crafted CIFAR batch ran code"


def test_export_round_trip_without_pickle(
    trained_run: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    out = tmp_path / "g.safetensors"
    code, _, err = run_cli(capsys, ["export", str(trained_run), "--out", str(out)])
    assert code == 0, err
    head = out.read_bytes()[:16]
    assert not head.startswith((b"PK\x03\x04", b"\x80")), "export is a zip/pickle, not safetensors"
    (header_len,) = struct.unpack("<Q", head[:8])
    assert 0 < header_len < out.stat().st_size and head[8:9] == b"{"  # safetensors JSON header

    # Loading must not touch any unpickler: make every one of them explode.
    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("load_exported_generator used pickle")

    with monkeypatch.context() as patch:
        for name in ("load", "loads", "Unpickler"):
            patch.setattr(pickle, name, forbidden)
        patch.setattr(torch, "load", forbidden)
        exported = load_exported_generator(out)

    original = load_run(trained_run)
    assert original.used_ema  # the run trains EMA weights; the export must carry those
    z = torch.randn(16, original.generator.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(exported(z), original.generator(z))


@pytest.mark.parametrize("damage", ["truncated", "foreign", "bad-metadata"])
def test_damaged_export_is_refused(trained_run: Path, tmp_path: Path, damage: str) -> None:
    from safetensors.torch import save_file

    out = tmp_path / "g.safetensors"
    if damage == "foreign":
        save_file({"w": torch.zeros(2)}, str(out))
        expected = "not a gankit generator export"
    elif damage == "bad-metadata":
        save_file(
            {"w": torch.zeros(2)},
            str(out),
            metadata={
                "format": "gankit-generator",
                "config": '{"model": {"widht": 8}}',
                "image_shape": "[1, 8, 8]",
                "num_classes": "0",
            },
        )
        expected = "damaged gankit metadata"
    else:
        from gankit.export import export_generator

        export_generator(trained_run, out)
        out.write_bytes(out.read_bytes()[:100])
        expected = "not a valid safetensors file"
    with pytest.raises(CheckpointError, match=expected):
        load_exported_generator(out)
