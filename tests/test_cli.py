from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from benchmarks.corpora import saudinewsnet, write_jsonl
from dedup.cli import app, huge_pages_switch
from dedup.heap import GLIBC
from dedup.models import ScanResult
from dedup.reports.json import to_dict, write_json
from dedup.reports.jsonl import read_jsonl
from tests.conftest import ROOT, SEEDS

runner = CliRunner()


def test_scan_seeds_prints_summary() -> None:
    result = runner.invoke(app, ["scan", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "within spans" in result.output and "[1835, 3390)" in result.output


def test_scan_writes_versioned_json(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["scan", str(SEEDS), "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["schema"] == "dedup.report/3"
    assert set(report) >= {"config", "documents", "spans", "clusters", "summary", "boilerplate"}
    assert report["config"]["normalization_version"] == "4"
    assert [d["id"] for d in report["documents"]] == sorted(seed_texts)
    assert set(report["documents"][0]["repetition"]) >= {"dup_line_frac", "dup_10_gram_char_frac"}
    for span in report["spans"]:
        text = seed_texts[span["doc"]]
        orig = span["duplicate_of"]
        assert text[span["start"] : span["end"]].strip()
        assert seed_texts[orig["doc"]][orig["start"] : orig["end"]].strip()
    assert {(s["doc"], s["start"], s["end"]) for s in report["spans"]} == {
        ("001_78ea9c6ae5c3d444.txt", 1835, 3390),
        ("004_cfd70046b713ef0e.txt", 74, 131),
    }
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_options_reach_the_config(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    args = [
        "scan",
        str(SEEDS),
        "--json",
        str(out),
        "-q",
        "--shingle-size",
        "3",
        "--num-perm",
        "64",
        "--boilerplate-min-docs",
        "4",
        "--representative",
        "longest",
        "--levels",
        "documents,paragraphs",
        "--passage-threshold",
        "0.5",
    ]
    assert runner.invoke(app, args).exit_code == 0
    cfg = json.loads(out.read_text(encoding="utf-8"))["config"]
    assert (
        cfg["shingle_size"],
        cfg["num_perm"],
        cfg["boilerplate_min_docs"],
        cfg["representative"],
    ) == (3, 64, 4, "longest")
    assert (cfg["levels"], cfg["passage_threshold"]) == ("documents,paragraphs", 0.5)


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"txt": "x"}\n', encoding="utf-8")
    cases = [
        (["scan", str(tmp_path / "missing")], "no such file or folder"),
        (["scan", str(bad)], f"{bad}:2: no 'text' field"),
        (["scan", str(SEEDS), "--paragraph-threshold", "1.5"], "paragraph_threshold"),
        (["scan", str(SEEDS), "--representative", "best"], "covering | first | longest"),
        (["scan", str(SEEDS), "--json", str(tmp_path / "no" / "r.json")], "does not exist"),
        (["scan", str(SEEDS), "--json", str(tmp_path)], "is a folder"),
        (["scan", str(SEEDS), "--tmp-dir", str(tmp_path / "nowhere")], "does not exist"),
        (["scan", str(SEEDS), "--tmp-dir", str(bad)], "--tmp-dir is not a folder"),
        (["scan", str(tmp_path / "news[ar].jsonl")], "news[ar].jsonl: no such file"),  # not markup
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        line = one_error_line(result.output)
        assert line.startswith("error:") and message in line


_IMPORTS_KERNELS = """
import sys
from dedup.cli import app
try:
    app(sys.argv[1:], prog_name="dedup")
except SystemExit as e:
    print(e.code, "numba" in sys.modules)
"""


def test_a_mistyped_input_is_told_before_the_kernels_are_imported(tmp_path: Path) -> None:
    """Each command checks its input before it imports numba and the kernels
    (half a second): a mistyped path is said at once."""
    missing, out, notes = tmp_path / "missing.jsonl", tmp_path / "out", tmp_path / "notes.xyz"
    notes.write_text("a note", encoding="utf-8")
    cases = [
        (["scan", str(missing), "--json", str(out)], f"{missing}: no such file or folder"),
        (["scan", str(notes)], f"{notes}: not a kind of file dedup reads"),
        (["clean", str(missing), "--out", str(out)], f"{missing}: no such file or folder"),
        (["report", str(missing), "--html", str(out)], f"{missing}: cannot read"),
        (["explain", str(missing), "1"], f"{missing}: cannot read"),
    ]

    def probe(args: list[str]) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", _IMPORTS_KERNELS, *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)

    for args, message in cases:
        done = probe(args)
        assert done.stdout.split() == ["1", "False"], (args, done.stdout, done.stderr)
        assert one_error_line(done.stderr).startswith(f"error: {message}"), done.stderr
    # The same check of a real scan imports them: the probe can see it.
    done = probe(["scan", str(SEEDS), "-q"])
    assert done.stdout.split() == ["0", "True"], done.stderr


def test_no_output_file_on_input_error(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("سطر", encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_bytes(b"\xff\xfe broken")
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["scan", str(tmp_path / "in"), "--json", str(out)])
    assert result.exit_code == 1 and "b.txt: not valid UTF-8" in result.output
    assert list(tmp_path.iterdir()) == [tmp_path / "in"]


def test_python_dash_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "--version"], capture_output=True, text=True, check=True
    )
    assert re.fullmatch(r"dedup \d+\.\d+\.\d+\n", done.stdout)


def test_every_command_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        assert f"dedup {command.name or command.callback.__name__}" in readme  # type: ignore[union-attr]


def test_readme_python_examples_run_as_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each ```python block of the README, on its own, from the repository's
    root (```py blocks need what no test machine has, a SLURM cluster)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # a fresh namespace: imports must be there
    printed = capsys.readouterr().out
    assert "001_78ea9c6ae5c3d444.txt 1835 3390 within" in printed  # the doubled block


def test_json_report_is_the_dict_written_piece_by_piece(
    tmp_path: Path, seed_result: ScanResult
) -> None:
    write_json(seed_result, tmp_path / "r.json", {"path": "seeds"})
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == to_dict(
        seed_result, {"path": "seeds"}
    )


def test_spill_files_go_to_tmp_dir_and_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dedup.pipeline

    seen: list[int] = []
    finish = dedup.pipeline.Index.finish

    def spy(self: dedup.pipeline.Index) -> None:  # look inside while the scan runs
        seen.append(sum(p.stat().st_size for p in (tmp_path / "spill").rglob("*")))
        finish(self)

    (tmp_path / "spill").mkdir()
    monkeypatch.setattr(dedup.pipeline.Index, "finish", spy)
    result = runner.invoke(app, ["scan", str(SEEDS), "--tmp-dir", str(tmp_path / "spill"), "-q"])
    assert result.exit_code == 0, result.output
    assert seen[0] > sum(p.stat().st_size for p in SEEDS.iterdir())  # shingles, tokens...
    assert list((tmp_path / "spill").iterdir()) == []


@pytest.mark.parametrize("name", ["in.jsonl", "in.json"])
def test_lone_surrogates_survive_scan_and_clean(tmp_path: Path, name: str) -> None:
    # JSON may escape a lone surrogate ("\ud800"): it has no UTF-8, yet a
    # record holding one must be reported and cleaned, and come back unchanged.
    line = "abc \ud800 def ghi jkl mno"
    # An id may hold one too: the report writes it (orjson refuses it; reports/json.py).
    records = [{"id": "x\udc80", "text": f"{line}\n{line}"}, {"id": "y", "text": line}]
    corpus = tmp_path / name
    lines = "".join(json.dumps(r) + "\n" for r in records)
    corpus.write_text(lines if name == "in.jsonl" else json.dumps(records), encoding="ascii")
    outputs = ["--json", tmp_path / "r.json", "--jsonl", tmp_path / "r.jsonl"]
    args = ["scan", str(corpus), *map(str, outputs), "--html", str(tmp_path / "r.html")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    (span,) = [s for s in report["spans"] if s["kind"] == "within"]
    assert records[0]["text"][span["start"] : span["end"]] == line
    assert span["doc"] == records[0]["id"]
    spans, _ = read_jsonl(tmp_path / "r.jsonl")
    assert [s.doc for s in spans if s.kind == "within"] == [records[0]["id"]]
    cleaned = tmp_path / f"out-{name}"
    result = runner.invoke(app, ["clean", str(corpus), "--out", str(cleaned)])
    assert result.exit_code == 0, result.output
    data = cleaned.read_text(encoding="utf-8")
    if name == "in.jsonl":
        assert [json.loads(x)["text"] for x in data.splitlines()] == [line, line]
    else:
        assert [r["text"] for r in json.loads(data)] == [line, line]
    # The report read back (json reads what orjson refuses) cleans the same.
    again = tmp_path / f"again-{name}"
    args = ["clean", str(corpus), "--out", str(again), "--report", str(tmp_path / "r.json")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == cleaned.read_bytes()


def test_every_config_field_is_an_option_of_scan_and_clean() -> None:
    from dataclasses import fields

    from dedup import Config

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in ("scan", "clean"):
        options = {p.name for p in commands[name].params}
        assert {f.name for f in fields(Config)} | {"config_file"} <= options, name


def test_config_file_and_options(tmp_path: Path) -> None:
    settings = tmp_path / "dedup.toml"
    settings.write_text("shingle_size = 7\nlevels = 'documents'\nrepresentative = 'first'\n")
    report = tmp_path / "r.json"
    args = ["scan", str(SEEDS), "--json", str(report), "-q", "--config", str(settings)]
    assert runner.invoke(app, args).exit_code == 0
    cfg = json.loads(report.read_text(encoding="utf-8"))["config"]
    assert (cfg["shingle_size"], cfg["levels"], cfg["representative"]) == (7, "documents", "first")
    # an option given on the command line wins over the file
    args += ["--shingle-size", "6", "--force"]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads(report.read_text(encoding="utf-8"))["config"]["shingle_size"] == 6
    for text, message in (
        ("shingle_sise = 7\n", "unknown setting 'shingle_sise'"),
        ("shingle_size = '7'\n", "shingle_size must be int"),
        ("levels = 1\n", "levels must be str"),
        ("levels = 'documents,words'\n", "levels must be some of documents, paragraphs"),
        ("shingle_size = 0\n", "shingle_size must be between 1 and 64"),
        ("[scan\n", "not a TOML file"),
    ):
        settings.write_text(text)
        result = runner.invoke(app, ["scan", str(SEEDS), "-q", "--config", str(settings)])
        assert result.exit_code == 1 and message in result.output, (text, result.output)
        assert result.output.count("\n") == 1


def test_clean_takes_the_scan_settings(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    footer = "اترك تعليقاً على هذا الخبر وشاركه مع أصدقائك عبر مواقع التواصل"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in seed_texts.items():
        (corpus / name).write_text(text.rstrip() + "\n" + footer + "\n", encoding="utf-8")
    outs = []
    for n, extra in enumerate(
        (["--workers", "1"], ["--workers", "2", "--boilerplate-min-docs", "3"])
    ):
        out = tmp_path / f"out{n}"
        args = ["clean", str(corpus), "--out", str(out), "--boilerplate", "-q", *extra]
        assert runner.invoke(app, args).exit_code == 0
        outs.append({p.name: p.read_text(encoding="utf-8") for p in out.iterdir()})
    assert all(footer in t for t in outs[0].values())  # in 5 documents: not boilerplate at 10
    assert not any(footer in t for t in outs[1].values())  # boilerplate at 3
    report = tmp_path / "r.json"
    assert runner.invoke(app, ["scan", str(corpus), "--json", str(report), "-q"]).exit_code == 0
    args = ["clean", str(corpus), "--out", str(tmp_path / "o"), "--report", str(report)]
    result = runner.invoke(app, [*args, "--shingle-size", "4"])
    assert result.exit_code == 1 and "scan settings do not apply with --report" in result.output


def test_the_command_asks_numpy_for_no_huge_pages_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """cli.own_process: their faults stalled scans on virtual machines;
    NUMPY_MADVISE_HUGEPAGE, when set, still decides."""
    switch = huge_pages_switch()
    assert switch is not None  # numpy >= 1.20
    before = switch(True)
    try:
        for told, asks in ((None, False), ("1", True)):
            if told is None:
                monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
            else:
                monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", told)
            switch(True)
            result = runner.invoke(app, ["scan", str(SEEDS), "-q"])
            assert result.exit_code == 0, result.output
            assert switch(True) is asks
    finally:
        switch(before)


_FAULTS = """
import resource, sys
from dedup import Config, Source, scan
from dedup.cli import own_process
from dedup.features import prepare

own_process()
prepare(Config())  # the kernels' and tables' own pages first
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
scan(Source(sys.argv[1]), workers=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not GLIBC, reason="not glibc, whose malloc bounds own_process fixes")
def test_the_command_keeps_the_memory_a_batch_freed_for_the_next(tmp_path: Path) -> None:
    """cli.own_process fixes glibc's malloc bounds: a scan of 5,000
    SaudiNewsNet articles (five batches) takes about half the new pages from
    the system it took where the user set malloc's settings (here an
    unrelated one), so glibc's own bounds apply (20,000 page faults against
    40,000)."""
    corpus = tmp_path / "news.jsonl"
    write_jsonl(saudinewsnet(5000), corpus)
    # (without malloc settings: importing dask.distributed sets one for its workers)
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES" and "MALLOC_" not in k}
    faults = []
    for told in ({}, {"GLIBC_TUNABLES": "glibc.malloc.perturb=0"}):
        done = subprocess.run(
            [sys.executable, "-c", _FAULTS, str(corpus)], env={**env, **told}, cwd=ROOT,
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        faults.append(int(done.stdout.split()[-1]))
    assert 3 * faults[0] < 2 * faults[1], faults
