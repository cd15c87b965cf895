"""Outputs never replace an input or each other, appear together or not at all,
and reports are trusted only when they match the corpus (issue 13, item by item)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedup import Config, Document, ScanResult, scan
from dedup.clean import clean_documents
from dedup.cli import app
from dedup.errors import OutputError
from dedup.outputs import spill_folder, staged
from dedup.reports.html import render_html
from dedup.reports.json import read_json, to_dict
from tests.conftest import SEEDS, read_text
from tests.test_html import embedded

runner = CliRunner()
S000, S001, S002, S003, S004 = sorted(p.name for p in SEEDS.glob("*.txt"))


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def seeds_jsonl(path: Path, extra: list[dict] | None = None) -> Path:
    rows = [{"id": p.name, "text": read_text(p)} for p in sorted(SEEDS.glob("*.txt"))]
    with path.open("w", encoding="utf-8") as fh:
        for row in rows + (extra or []):
            fh.write(json.dumps(row) + "\n")  # lone surrogates as "\ud800" escapes
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# 1. An output never replaces an input or another output.


def test_outputs_that_are_inputs_or_each_other_are_refused(tmp_path: Path) -> None:
    corpus = seeds_jsonl(tmp_path / "in.jsonl")
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    before = snapshot(tmp_path)
    cases = [
        (["scan", str(corpus), "--json", str(corpus)], "is an input"),
        (["scan", str(folder), "--html", str(folder / S000)], "inside the input folder"),
        (
            [
                "scan",
                str(folder),
                "--json",
                str(tmp_path / "r.json"),
                "--html",
                str(tmp_path / "r.json"),
            ],
            "named for two outputs",
        ),
        (
            [
                "clean",
                str(corpus),
                "--out",
                str(tmp_path / "c.jsonl"),
                "--log",
                str(tmp_path / "c.jsonl"),
            ],
            "named for two outputs",
        ),
        (
            ["clean", str(corpus), "--out", str(tmp_path / "c.jsonl"), "--log", str(corpus)],
            "is an input",
        ),
        (["clean", str(folder), "--out", str(tmp_path)], "holds the input"),
    ]
    for args, why in cases:
        code, output = invoke(*args, "--force")
        assert code == 1 and why in output, (args, output)
        assert output.count("\n") == 1  # one line
    assert snapshot(tmp_path) == before


def test_nothing_existing_is_replaced_without_force(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text("mine", encoding="utf-8")
    code, output = invoke("scan", str(SEEDS), "--json", str(report), "-q")
    assert code == 1 and "already exists (use --force" in output
    assert report.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # nothing moved aside
    assert invoke("scan", str(SEEDS), "--json", str(report), "-q", "--force")[0] == 0
    assert json.loads(report.read_text(encoding="utf-8"))["schema"] == "dedup.report/3"
    # made by another program while a run worked: refused at publication too
    with (
        pytest.raises(OutputError, match="already exists"),
        staged([tmp_path / "x"], False) as (x,),
    ):
        x.write_text("ours", encoding="utf-8")
        (tmp_path / "x").write_text("theirs", encoding="utf-8")
    assert (tmp_path / "x").read_text(encoding="utf-8") == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "x"]


# 2. A report of an edited corpus is refused, naming the first document that differs.


def test_an_edited_corpus_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    report = tmp_path / "r.json"
    assert invoke("scan", str(corpus), "--json", str(report), "-q")[0] == 0
    text = read_text(corpus / S001)
    lines = text.split("\n")
    lines[1], lines[2] = lines[2], lines[1]  # same characters, same length
    swapped = "\n".join(lines)
    assert swapped != text and len(swapped) == len(text)
    (corpus / S001).write_text(swapped, encoding="utf-8")
    for args in (
        ["clean", str(corpus), "--out", str(tmp_path / "out"), "--report", str(report)],
        ["report", str(report), "--html", str(tmp_path / "r.html")],
    ):
        code, output = invoke(*args)
        assert code == 1 and f"'{S001}' is not the text the report describes" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "r.json"]


def test_a_corpus_with_a_document_less_or_more_is_refused(tmp_path: Path) -> None:
    """clean --report and report check the corpus as they read it for their
    own sake: one missing at the end, or one the report lacks, and nothing
    is written."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    report = tmp_path / "r.json"
    assert invoke("scan", str(corpus), "--json", str(report), "-q")[0] == 0
    last = sorted(corpus.iterdir())[-1]
    kept = last.read_bytes()
    commands = (
        ["clean", str(corpus), "--out", str(tmp_path / "out"), "--report", str(report)],
        ["report", str(report), "--html", str(tmp_path / "r.html")],
    )
    last.unlink()
    for args in commands:
        code, output = invoke(*args)
        assert code == 1 and f"'{last.name}' of the report is missing" in output
    last.write_bytes(kept)
    (corpus / "999_more.txt").write_text(read_text(SEEDS / S001), encoding="utf-8")
    for args in commands:
        code, output = invoke(*args)
        assert code == 1 and "'999_more.txt' is not in the report (more documents)" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "r.json"]


# 3 and 4. clean's corpus and log together or not at all; one run at a time.


KILLED_BETWEEN_RENAMES = """
import os, sys
from pathlib import Path
from dedup.outputs import staged
out, log = Path(sys.argv[1]), Path(sys.argv[2])
real_replace = os.replace
def replace(src, dst):
    real_replace(src, dst)
    if Path(dst) == out:
        os._exit(9)  # as kill -9 would: nothing after this runs
os.replace = replace
with staged([out, log], False) as (o, lg):
    o.write_text("corpus", encoding="utf-8")
    lg.write_text("log", encoding="utf-8")
"""


def test_a_killed_publication_is_rolled_back_by_the_next_run(tmp_path: Path) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "out.jsonl.removals.jsonl"
    killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(out), str(log)])
    assert killed.returncode == 9
    assert out.exists() and not log.exists()  # the microseconds between two renames
    with staged([out, log], False) as (o, lg):  # the next run rolls it back first
        o.write_text("corpus 2", encoding="utf-8")
        lg.write_text("log 2", encoding="utf-8")
    assert out.read_text(encoding="utf-8") == "corpus 2"
    assert log.read_text(encoding="utf-8") == "log 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, log.name]


KILLED_BETWEEN_READY_MARKS = """
import os, sys
from pathlib import Path
import dedup.outputs as outputs
out, log = Path(sys.argv[1]), Path(sys.argv[2])
real = outputs._write_synced
def written(path, text):
    real(path, text)
    os._exit(9)  # the log's work folder is marked ready, the corpus's not yet
outputs._write_synced = written
with outputs.staged([out, log], False) as (o, lg):
    o.write_text("corpus", encoding="utf-8")
    lg.write_text("log", encoding="utf-8")
"""


def test_a_run_killed_marking_its_work_folders_ready_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """The next run recovers the corpus's work folder first and makes its
    own at the same path; the log's, recovered next, names that path as its
    run's first folder, and must not take the new run's for it (the
    rerun once failed: ``cannot write (No such file or directory)``)."""
    out, log = tmp_path / "out.jsonl", tmp_path / "out.jsonl.removals.jsonl"
    killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_READY_MARKS, str(out), str(log)])
    assert killed.returncode == 9
    assert not out.exists() and not log.exists()
    with staged([out, log], False) as (o, lg):
        o.write_text("corpus 2", encoding="utf-8")
        lg.write_text("log 2", encoding="utf-8")
    assert out.read_text(encoding="utf-8") == "corpus 2"
    assert log.read_text(encoding="utf-8") == "log 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, log.name]


KILLED_MAKING_ITS_WORK_FOLDER = """
import os, sys, tempfile
from pathlib import Path
from dedup.outputs import staged
out, log, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
real = getattr(tempfile, step)
def killed(*args, **kwargs):
    real(*args, **kwargs)
    os._exit(9)  # its half-made work folder has no lock: none, or not yet in place
setattr(tempfile, step, killed)
with staged([out, log], False) as (o, lg):
    pass
"""


@pytest.mark.parametrize("step", ["mkdtemp", "mkstemp"])
def test_a_run_killed_making_its_work_folder_leaves_nothing_behind(
    tmp_path: Path, step: str
) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "out.jsonl.removals.jsonl"
    args = [str(out), str(log), step]
    killed = subprocess.run([sys.executable, "-c", KILLED_MAKING_ITS_WORK_FOLDER, *args])
    assert killed.returncode == 9
    left = [p.name for p in tmp_path.iterdir()]  # the half-made folder, lockless
    assert len(left) == 1 and left[0].startswith(".out.jsonl.dedup.")
    with staged([out, log], False) as (o, lg):
        o.write_text("corpus", encoding="utf-8")
        lg.write_text("log", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, log.name]


def test_an_interrupted_publication_is_undone_at_once(tmp_path: Path) -> None:
    out, log = tmp_path / "out.jsonl", tmp_path / "log.jsonl"
    out.write_text("old", encoding="utf-8")
    real_replace, calls = os.replace, []

    def interrupted(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        if Path(dst) == out and not calls:  # the new corpus is in place, not yet the log
            calls.append(dst)
            raise KeyboardInterrupt  # Ctrl-C between the two renames

    os.replace = interrupted  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt), staged([out, log], True) as (o, lg):
            o.write_text("new", encoding="utf-8")
            lg.write_text("log", encoding="utf-8")
    finally:
        os.replace = real_replace
    assert out.read_text(encoding="utf-8") == "old"  # put back as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_second_run_on_the_same_output_stops(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged([out, tmp_path / "out.removals.jsonl"], False) as (o, lg):
        code, output = invoke("clean", str(SEEDS), "--out", str(out), "-q")
        assert code == 1 and "another dedup run is writing it" in output
        o.mkdir()
        lg.write_text("", encoding="utf-8")
    shutil.rmtree(out)
    (tmp_path / "out.removals.jsonl").unlink()
    assert not out.exists()
    assert invoke("clean", str(SEEDS), "--out", str(out), "-q")[0] == 0


# 5. Lone surrogates go through losslessly.


def test_lone_surrogates_are_carried_through(tmp_path: Path) -> None:
    line = max(read_text(SEEDS / S002).splitlines(), key=len)
    weird = {"id": "x\ud800", "text": f"{line}\n\ud800 {line}\n"}
    corpus = tmp_path / "in.jsonl"
    rows = [{"id": S000, "text": read_text(SEEDS / S000)}, weird]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert "\\ud800" in corpus.read_text(encoding="utf-8")  # as JSON escapes it
    code, output = invoke("scan", str(corpus), "--json", str(tmp_path / "r.json"))
    assert code == 0, output
    result = read_json(tmp_path / "r.json")
    (span,) = result.spans
    assert span.doc == "x\ud800" and weird["text"][span.start : span.end] == f"\ud800 {line}"
    out = tmp_path / "out.jsonl"
    for args in (["--dry-run"], []):
        code, output = invoke("clean", str(corpus), "--out", str(out), *args)
        assert code == 0, output
    cleaned = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert cleaned == [rows[0], {"id": "x\ud800", "text": line}]
    log = (tmp_path / "out.jsonl.removals.jsonl").read_text(encoding="utf-8")
    (removal,) = [json.loads(x) for x in log.splitlines()]
    assert removal["doc"] == "x\ud800"
    assert weird["text"][: removal["start"]] + weird["text"][removal["end"] :] == line


# 6. Tampered reports: one clear line each.


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("spans", 0, "kind"),
            "copy",
            "spans[0].kind: expected within | formula | across | boilerplate",
        ),
        (("spans", 0, "start"), "12", "spans[0].start: expected a whole number"),
        (("spans", 0, "doc"), "nobody", "spans[0].doc: 'nobody' is not a document"),
        (("spans", 0, "end"), 10**6, "is not inside"),
        (("documents", 0, "fingerprint"), "xyz", "documents[0].fingerprint"),
        (("documents", 0, "fingerprint"), "0123456789ABCDEF", "documents[0].fingerprint"),
        (("documents", 0, "repetition"), {"top_2gram": True}, "documents[0].repetition"),
        (("documents", 0, "repetition"), {"top_2gram": "0.1"}, "documents[0].repetition"),
        (("config", "representative"), "best", "config.representative"),
    ],
)
def test_tampered_reports_are_refused(
    tmp_path: Path, path: tuple[str | int, ...], value: object, message: str
) -> None:
    report = tmp_path / "r.json"
    assert invoke("scan", str(SEEDS), "--json", str(report), "-q")[0] == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    report.write_text(json.dumps(data), encoding="utf-8")
    for args in (
        ["report", str(report), "--html", str(tmp_path / "r.html")],
        ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "--report", str(report)],
    ):
        code, output = invoke(*args)
        assert code == 1 and message in output and output.count("\n") == 1, output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


# 7. HTML: nothing of the corpus is markup (tests/test_html.py tries it in Chromium).


def test_html_holds_the_corpus_only_as_data() -> None:
    text = read_text(SEEDS / S002)
    ids = ["<script>alert(1)</script>", "\u202eevil.txt"]
    docs = [Document(ids[0], text), Document(ids[1], text)]
    result = scan(docs)
    assert result.clusters
    page = render_html(result, lambda wanted: ((d.id, d.text) for d in docs if d.id in wanted))
    assert "alert" not in page and "evil" not in page and page.count("<script") == 2
    assert [d[0] for d in embedded(page)["docs"]] == ids


# 8. Killed scans' spill folders are removed by the next scan.


def test_spill_folders_of_killed_scans_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "dedup-killed"
    stale.mkdir()
    (stale / "lock").write_text("", encoding="utf-8")
    (stale / "doc_sets.123").write_bytes(b"x" * 1000)
    other = tmp_path / "dedup-not-ours"  # no lock file: not a scan's, left alone
    other.mkdir()
    with spill_folder(tmp_path) as live:
        assert not stale.exists() and other.exists()
        with spill_folder(tmp_path):  # a second scan leaves the live one alone
            assert live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dedup-not-ours"]


# 9. Outputs honour the umask.


def test_outputs_honour_the_umask(tmp_path: Path) -> None:
    script = "import os, sys; os.umask(0o027); from dedup.cli import app; app(prog_name='dedup')"
    for args in (
        ["scan", str(SEEDS), "--json", str(tmp_path / "r.json"), "-q"],
        ["clean", str(SEEDS), "--out", str(tmp_path / "out"), "-q"],
    ):
        subprocess.run([sys.executable, "-c", script, *args], check=True)
    for p in [tmp_path / "r.json", tmp_path / "out.removals.jsonl", tmp_path / "out" / S000]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o640, p
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o750


# 10. Finding defects.


def test_removals_never_overlap_whatever_white_space_separates_them() -> None:
    lines = [x for x in read_text(SEEDS / S000).splitlines() if len(x.split()) > 8][:4]
    for sep in ["\u3000", "\x0b", "\x0c", "\u2028", "\u2029", "\x85", " \t"]:
        text = "\n".join(lines) + "\n" + lines[0] + "\n" + sep + lines[3]
        ((doc, removals),) = clean_documents([Document("d", text)])
        assert doc is not None and removals
        ranges = sorted((r.start, r.end) for r in removals)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(ranges))
        kept = text
        for r in sorted(removals, key=lambda r: -r.start):
            kept = kept[: r.start] + kept[r.end :]
        assert kept == doc.text and doc.text == "\n".join(lines)


def test_a_block_never_claims_an_uncopied_long_paragraph() -> None:
    # The copy leaves out the original's long middle paragraph: one block
    # [0, end) of the original would have similarity below the threshold.
    paras = [x for x in read_text(SEEDS / S001).splitlines() if len(x.split()) > 20][:3]
    paras = [paras[0], paras[2], paras[1]]  # 30, 53 and 27 words
    original = "\n".join(paras)
    copy = "مقدمة مختلفة تماما عن الخبر\n" + paras[0] + "\n" + paras[2]
    result = scan(
        [Document("a", original), Document("b", copy)],
        Config(levels="documents,paragraphs,repetition"),
    )
    spans = [s for s in result.spans if s.doc == "b"]
    assert spans and all(s.similarity >= 0.6 for s in spans)
    middle = original.index(paras[1])
    for s in spans:
        o = s.duplicate_of
        assert not o.start <= middle < o.end  # the uncopied paragraph is no one's original
        assert original[o.start : o.end] == copy[s.start : s.end]


def test_tokens_that_normalize_to_nothing_match_nothing() -> None:
    harakat, tatweel = " ".join(["َُِ"] * 12), " ".join(["ـــ"] * 12)
    result = scan([Document("a", harakat + "\n" + tatweel), Document("b", tatweel)])
    assert result.spans == [] and result.clusters == []
    assert [d.tokens for d in result.documents] == [0, 0]


def test_result_round_trips_through_the_report(seed_result: ScanResult) -> None:
    from dedup.reports.json import from_dict

    assert from_dict(json.loads(json.dumps(to_dict(seed_result)))) == seed_result
