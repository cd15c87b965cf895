"""Findings as JSONL: the same spans and clusters as the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import InputError, scan
from dedup.cli import app
from dedup.reports.json import read_json
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
