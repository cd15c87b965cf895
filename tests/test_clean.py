"""dedup clean: the corpus without its repeats, every removal logged, nothing lost."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet, write_jsonl
from dedup import Document
from dedup.clean import CleanPolicy, clean_documents
from dedup.cli import app
from tests.conftest import SEEDS, needs, read_text

runner = CliRunner()
S000, S001, S002, S003, S004 = sorted(p.name for p in SEEDS.glob("*.txt"))


def run_clean(*args: str) -> str:
    result = runner.invoke(app, ["clean", *args])
    assert result.exit_code == 0, result.output
    return result.output


def apply_log(text: str, removals: list[dict]) -> str:
    for r in sorted(removals, key=lambda r: -r["start"]):
        text = text[: r["start"]] + text[r["end"] :]
    return text


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_seeds_cleaned(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    out = tmp_path / "clean"
    run_clean(str(SEEDS), "--out", str(out), "-q")
    cleaned = {p.name: read_text(p) for p in out.iterdir()}
    t001 = seed_texts[S001]
    assert cleaned[S001] == t001[:1835].rstrip()
    t004 = seed_texts[S004]
    headline = t004[74:131]
    assert cleaned[S004] == t004[:74] + t004[133:]  # the headline and its blank line
    assert headline not in cleaned[S004] and t004[17:72] in cleaned[S004]
    for name in (S000, S002, S003):
        assert (out / name).read_bytes() == (SEEDS / name).read_bytes()
    log = read_log(tmp_path / "clean.removals.jsonl")
    assert [(r["doc"], r["reason"], r["span"]) for r in log] == [
        (S001, "within", [1835, 3390]),
        (S004, "within", [74, 131]),
    ]
    for name, text in seed_texts.items():
        assert apply_log(text, [r for r in log if r["doc"] == name]) == cleaned[name]


def test_cleaning_a_cleaned_corpus_changes_nothing(tmp_path: Path) -> None:
    run_clean(str(SEEDS), "--out", str(tmp_path / "once"), "-q")
    run_clean(str(tmp_path / "once"), "--out", str(tmp_path / "twice"), "-q")
    for p in (tmp_path / "once").iterdir():
        assert (tmp_path / "twice" / p.name).read_bytes() == p.read_bytes()
    assert read_log(tmp_path / "twice.removals.jsonl") == []


@pytest.fixture(scope="module")
def news_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    needs(SAUDINEWSNET)
    path = tmp_path_factory.mktemp("news") / "news.jsonl"
    write_jsonl(saudinewsnet(2500), path)
    return path


def records(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_news_jsonl_clean_log_and_idempotence(tmp_path: Path, news_jsonl: Path) -> None:
    once, twice = tmp_path / "once.jsonl", tmp_path / "twice.jsonl"
    run_clean(str(news_jsonl), "--out", str(once), "-q")
    before = {r["id"]: r for r in records(news_jsonl)}
    after = {r["id"]: r for r in records(once)}
    log = read_log(tmp_path / "once.jsonl.removals.jsonl")
    dropped = {r["doc"] for r in log if r["reason"] == "near-duplicate"}
    assert dropped and set(before) - set(after) == dropped
    changed = 0
    for doc_id, rec in after.items():
        assert list(rec) == list(before[doc_id])  # same fields, same order
        assert {k: v for k, v in rec.items() if k != "text"} == {
            k: v for k, v in before[doc_id].items() if k != "text"
        }
        cut = [r for r in log if r["doc"] == doc_id]
        assert apply_log(before[doc_id]["text"], cut) == rec["text"]
        changed += rec["text"] != before[doc_id]["text"]
    assert changed > 0
    # unchanged records keep their line byte for byte
    raw_in = set(news_jsonl.read_bytes().splitlines())
    raw_out = once.read_bytes().splitlines()
    assert sum(line in raw_in for line in raw_out) == len(raw_out) - changed
    run_clean(str(once), "--out", str(twice), "-q")
    assert twice.read_bytes() == once.read_bytes()


def test_gzip_jsonl_stays_gzip(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl.gz"
    lines = [
        {
            "id": "a",
            "text": "سطر أول مكرر في الخبر هنا اليوم\nسطر أول مكرر في الخبر هنا اليوم",
            "src": "x",
        },
        {"id": "b", "text": "نص آخر"},
    ]
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
    run_clean(str(src), "--out", str(tmp_path / "out.jsonl.gz"), "-q")
    assert records(tmp_path / "out.jsonl.gz") == [
        {"id": "a", "text": "سطر أول مكرر في الخبر هنا اليوم", "src": "x"},
        lines[1],
    ]


def test_policies(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    footer = "اترك تعليقاً على هذا الخبر وشاركه مع أصدقائك"
    docs = [Document(k, v.rstrip() + "\n" + footer) for k, v in seed_texts.items()]
    docs.append(Document("copy", "مقدمة خبر جديد اليوم\n" + docs[2].text))
    kept = {d.id: d.text for d, _ in clean_documents(docs) if d is not None}
    assert "copy" not in kept and S002 in kept  # the first of the cluster stays
    assert kept[S001].count(footer) == 1  # boilerplate stays by default
    longest = {d.id for d, _ in clean_documents(docs, CleanPolicy(keep="longest")) if d}
    assert "copy" in longest and S002 not in longest
    nothing = [
        r
        for _, rs in clean_documents(docs, CleanPolicy(within=False, near_duplicates=False))
        for r in rs
    ]
    assert nothing == []
    from dedup import Config

    strip = CleanPolicy(boilerplate=True, near_duplicates=False)
    out = dict(
        (d.id, d.text) for d, _ in clean_documents(docs, strip, Config(boilerplate_min_docs=5)) if d
    )
    assert all(footer not in t for t in out.values())
    assert out[S000] == seed_texts[S000].rstrip()
    across = {
        d.id: d.text
        for d, _ in clean_documents(docs, CleanPolicy(near_duplicates=False, across=True))
        if d
    }
    assert across["copy"] == "مقدمة خبر جديد اليوم"  # every copied paragraph gone


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    output = run_clean(str(SEEDS), "--out", str(tmp_path / "out"), "--dry-run")
    assert "would remove" in output and "[1834, 3390)" in output
    assert list(tmp_path.iterdir()) == []


def test_report_reuse_and_mismatch(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    assert runner.invoke(app, ["scan", str(SEEDS), "--json", str(report), "-q"]).exit_code == 0
    run_clean(str(SEEDS), "--out", str(tmp_path / "out"), "--report", str(report), "-q")
    assert len(read_log(tmp_path / "out.removals.jsonl")) == 2
    other = tmp_path / "other"
    shutil.copytree(SEEDS, other)
    (other / S000).write_text("نص مختلف", encoding="utf-8")
    bad = runner.invoke(
        app, ["clean", str(other), "--out", str(tmp_path / "o2"), "--report", str(report)]
    )
    assert bad.exit_code == 1 and f"'{S000}' is not the text the report describes" in bad.output


def test_refuses_to_overwrite_or_write_into_the_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["clean", str(SEEDS), "--out", str(out)])
    assert result.exit_code == 1 and "already exists (use --force" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    run_clean(str(SEEDS), "--out", str(out), "--force", "-q")
    assert sorted(p.name for p in out.iterdir()) == [S000, S001, S002, S003, S004]
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    for target, why in ((corpus, "is an input"), (corpus / "sub", "is inside the input folder")):
        result = runner.invoke(app, ["clean", str(corpus), "--out", str(target)])
        assert result.exit_code == 1 and why in result.output
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_bad_input_leaves_no_output(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "zz.txt").write_bytes(b"\xff\xfe")
    result = runner.invoke(app, ["clean", str(corpus), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "zz.txt: not valid UTF-8" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_failure_while_writing_leaves_no_output(tmp_path: Path) -> None:
    from dedup.formats import Source
    from dedup.outputs import staged
    from dedup.writers import write_corpus

    def explode(doc: Document) -> str:
        if doc.id == S003:
            raise OSError(28, "No space left on device")
        return doc.text

    out, log = tmp_path / "out", tmp_path / "log.jsonl"
    with pytest.raises(OSError, match="No space left"), staged([out, log], False) as (o, lg):
        lg.write_text("a log written before the corpus failed", encoding="utf-8")
        write_corpus(Source(SEEDS), o, explode, out.name)
    assert list(tmp_path.iterdir()) == []
