"""Findings as JSONL: the same spans and clusters as the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import InputError, read_documents, scan
from dedup.cli import app
from dedup.models import DocTable
from dedup.reports.json import _table_lines, dumps, read_json
from dedup.reports.jsonl import read_jsonl, write_jsonl
from tests.conftest import SEEDS, needs

runner = CliRunner()


def test_seeds_report_and_jsonl_hold_the_same_findings(tmp_path: Path) -> None:
    report, findings = tmp_path / "r.json", tmp_path / "f.jsonl"
    args = ["scan", str(SEEDS), "--json", str(report), "--jsonl", str(findings), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    result = read_json(report)
    assert read_jsonl(findings) == (result.spans, result.clusters)
    lines = [json.loads(line) for line in findings.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["schema"] == "dedup.findings/3"
    assert [line["type"] for line in lines[1:]] == ["span", "span"]
    assert (lines[1]["start"], lines[1]["end"]) == (1835, 3390)


def test_round_trip_on_news(tmp_path: Path) -> None:
    needs(SAUDINEWSNET)
    result = scan(list(saudinewsnet(1500)))
    assert result.spans and result.clusters
    write_jsonl(result, tmp_path / "f.jsonl")
    assert read_jsonl(tmp_path / "f.jsonl") == (result.spans, result.clusters)


def test_not_a_findings_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"type": "span"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.jsonl:1: not a dedup\.findings/3 file"):
        read_jsonl(bad)


def test_a_table_of_documents_is_written_as_its_rows_are() -> None:
    """The JSON report writes a DocTable from its columns (_table_lines):
    every line as ``dumps`` writes the row's DocStats, on real scans and on
    the values that format differently (floats' exponents, not-a-number,
    infinities, negative zero; ids with quotes, escapes and a lone
    surrogate, which orjson refuses), across blocks."""
    tables = [scan(list(read_documents(SEEDS))).documents]
    if SAUDINEWSNET.exists():
        tables.append(scan(list(saudinewsnet(1000))).documents)
    names = ["a", "b_frac", "c"]
    values = [0.0, -0.0, 1e-05, 1.5e-300, 123456789012345680.0, 0.1, 1 / 3, float("nan"),
              float("inf"), -float("inf"), 2.0**70, 5e-324]  # fmt: skip
    repetition = np.array(values[: len(values) // 3 * 3]).reshape(-1, 3)
    n = len(repetition)
    ids = ['q"uote', "back\\slash", "tab\tnew\nline", "\ud800 lone", "عربي", "日本", "x"][:n]
    ids += [f"doc{i}" for i in range(n - len(ids))]
    counts = np.arange(3 * n, dtype=np.int64).reshape(n, 3)
    marks = np.array([0, 2**64 - 1, *range(n - 2)], np.uint64)
    tables.append(DocTable(ids, counts, repetition, names, marks))
    tables.append(DocTable(ids, counts, repetition[:, :0], [], marks))  # no repetition level
    for table in tables:
        assert isinstance(table, DocTable)
        for block in (3, 4096):
            assert list(_table_lines(table, block)) == [dumps(row) for row in table]
