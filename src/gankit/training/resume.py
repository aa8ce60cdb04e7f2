"""What resuming a run reads before the trainer starts: its checkpoint and its config.

The config of a resumed run is the one stored in its ``last.pt`` (not ``config.yaml``, which a
user may have edited), with the given ``--set`` overrides applied and validated again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gankit.config import Config, from_dict, parse_override, set_key, validate
from gankit.errors import CheckpointError
from gankit.rundir import RunDir
from gankit.training.checkpoint import load_checkpoint


def load_resume_checkpoint(run: RunDir) -> dict[str, Any]:
    """``last.pt`` of a run; if it is damaged, the error names the newest periodic copy that
    loads, to copy over it."""
    run.check_resumable()
    try:
        return load_checkpoint(run.last)
    except CheckpointError as exc:
        for candidate in sorted(run.checkpoints.glob("step_*.pt"), reverse=True):
            try:
                load_checkpoint(candidate)
            except CheckpointError:
                continue
            raise CheckpointError(
                f"{str(exc).rstrip('.').split(';')[0]}; copy {candidate} over it and resume again."
            ) from exc
        raise


def resume_config(run: RunDir, overrides: Sequence[str] = ()) -> Config:
    """The config stored in the run's checkpoint, with ``key=value`` overrides applied."""
    cfg = from_dict(load_resume_checkpoint(run)["config"])
    for text in overrides:
        set_key(cfg, *parse_override(text))
    return validate(cfg)
