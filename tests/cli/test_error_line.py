"""The CLI's error line reaches stderr in one write, so ranks sharing a pipe cannot splice it."""

from __future__ import annotations

import io

from gankit import cli


class RecordingStream(io.StringIO):
    """A text stream that remembers each write call separately."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_an_error_is_one_write_ending_in_its_newline(monkeypatch) -> None:
    stream = RecordingStream()
    monkeypatch.setattr(cli.sys, "stderr", stream)
    cli._err("error: train.sync_bn needs CUDA devices.")
    assert stream.writes == ["error: train.sync_bn needs CUDA devices.\n"]
