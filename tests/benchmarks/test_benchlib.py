"""benchmarks/benchlib.py: the facts and files every benchmark row shares."""

from __future__ import annotations

import json
import time

import pytest

from tests.benchmarks.conftest import load_benchmark

benchlib = load_benchmark("benchlib")


def test_run_tag_names_the_budget_and_separates_override_sets():
    plain = benchlib.run_tag("best-fashion", [], minutes=30)
    assert plain == "best-fashion-30min"
    assert benchlib.run_tag("best-cifar10", [], steps=100_000) == "best-cifar10-100000steps"
    tagged = benchlib.run_tag("best-fashion", ["train.ema=false"], minutes=30)
    assert tagged.startswith("best-fashion-30min-") and tagged != plain
    here = benchlib.run_tag("dcgan-cifar10", ["data.name=folder", "data.root=/a/c"], minutes=20)
    there = benchlib.run_tag("dcgan-cifar10", ["data.name=folder", "data.root=/b/c"], minutes=20)
    assert here == there != benchlib.run_tag("dcgan-cifar10", [], minutes=20)


def test_rows_append_atomically_and_load_back(tmp_path):
    path = tmp_path / "sub" / "rows.jsonl"
    assert benchlib.load_rows(path) == []
    benchlib.append_row(path, {"a": 1})
    path.write_text(path.read_text().rstrip("\n"))  # a file edited by hand, no final newline
    benchlib.append_row(path, {"b": [2, 3]})
    assert benchlib.load_rows(path) == [{"a": 1}, {"b": [2, 3]}]
    assert path.read_text() == '{"a": 1}\n{"b": [2, 3]}\n'
    assert not list(path.parent.glob("*.tmp*"))


def test_a_broken_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"a": 1}) + "\n{oops\n")
    with pytest.raises(SystemExit, match=r"rows\.jsonl:2 is not a JSON row"):
        benchlib.load_rows(path)


def test_cpu_share_and_usage():
    assert benchlib.cpu_share(18.0, 10.0, 2) == 0.9
    with benchlib.measure_usage() as usage:
        started = time.process_time()
        while time.process_time() - started < 0.2:  # busy: 0.2 s of CPU, however shared
            pass
        time.sleep(0.3)  # idle: wall time without CPU time
    assert 0.18 <= usage.cpu_s <= usage.wall_s - 0.25
    assert usage.share(1) == benchlib.cpu_share(usage.cpu_s, usage.wall_s, 1) < 1
    assert usage.share(2) == pytest.approx(usage.share(1) / 2, abs=1e-3)


def test_cpu_facts_name_the_cpu_and_what_the_process_may_use():
    facts = benchlib.cpu_facts()
    assert set(facts) == {"cpu", "native_bf16", "cores", "threads"}
    assert facts["cpu"] and isinstance(facts["native_bf16"], bool)
    assert facts["cores"] >= 1 and facts["threads"] >= 1
