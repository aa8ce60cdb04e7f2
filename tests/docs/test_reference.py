"""docs/reference.md names every config key and every command and option the code has.

The reference is the contract; these tests fail when the code grows a key, a command or an
option the page does not describe, or when the page describes one the code no longer has.
"""

from __future__ import annotations

import argparse
import re

from gankit.cli import build_parser
from gankit.config import Config, to_dict, valid_keys
from tests.docs.conftest import REFERENCE, section

KEY_ROW = re.compile(r"^\| `([a-z0-9_.]+)` \| (.*?) \|", re.M)


def key_table(text: str) -> dict[str, str]:
    """The config-key table of the reference: key -> its default column."""
    return dict(KEY_ROW.findall(section(text, "Config keys")))


def render_default(value: object) -> str:
    """A default as the reference writes it (YAML-like: null, true, [0.5, 0.999], "")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_default(v) for v in value) + "]"
    if isinstance(value, str):
        return value or '""'
    return repr(value)


def default_of(key: str) -> object:
    value: object = to_dict(Config())
    for part in key.split("."):
        value = value[part]  # type: ignore[index]
    return value


def test_every_schema_key_is_in_the_reference_table_and_no_other():
    documented = set(key_table(REFERENCE.read_text(encoding="utf-8")))
    schema = set(valid_keys())
    assert not schema - documented, f"keys missing from docs/reference.md: {schema - documented}"
    assert not documented - schema, f"keys the config does not have: {documented - schema}"


def test_the_reference_states_each_keys_real_default():
    table = key_table(REFERENCE.read_text(encoding="utf-8"))
    wrong = {
        key: (written, render_default(default_of(key)))
        for key, written in table.items()
        if key in valid_keys() and written.strip().strip("`") != render_default(default_of(key))
    }
    assert not wrong, f"defaults in docs/reference.md differ from gankit.config: {wrong}"


def test_key_table_reader_sees_a_key_that_drifted():
    """The reader itself: a key added to the text appears, a removed one disappears."""
    text = REFERENCE.read_text(encoding="utf-8")
    assert "train.batch_size" in key_table(text)
    drifted = text.replace("| `train.batch_size` |", "| `train.batchsize` |")
    assert "train.batch_size" not in key_table(drifted)
    assert "train.batchsize" in key_table(drifted)


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def command_rows(text: str, command: str) -> str:
    """Every row of the reference's command table that documents ``gankit COMMAND``."""
    rows = re.findall(rf"^\| `gankit {command}\b.*$", section(text, "Command line"), re.M)
    return "\n".join(rows)


def test_every_cli_command_is_in_the_reference():
    text = REFERENCE.read_text(encoding="utf-8")
    missing = [name for name in commands() if not command_rows(text, name)]
    assert not missing, f"commands missing from docs/reference.md's command table: {missing}"


def test_every_option_and_choice_of_each_command_is_in_its_row():
    text = REFERENCE.read_text(encoding="utf-8")
    missing = []
    for name, parser in commands().items():
        rows = command_rows(text, name)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            words = [s for s in action.option_strings if s.startswith("--")]
            if not action.option_strings and action.choices:
                words = [str(c) for c in action.choices]
            missing += [
                f"gankit {name} {w}"
                for w in words
                if not re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", rows)
            ]
    assert not missing, f"options missing from docs/reference.md's command table: {missing}"
