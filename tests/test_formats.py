"""Every input format reads the same corpus as JSONL does, and clean writes
each back in kind (tests/test_readers.py covers each format's errors)."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import InputError, read_documents, scan
from dedup.cli import app
from dedup.formats import Source
from dedup.models import Document
from dedup.reports.json import to_dict
from tests.conftest import ROOT, needs

runner = CliRunner()

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": zstandard.ZstdCompressor().compress,
}
DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": gzip.decompress,
    ".bz2": bz2.decompress,
    ".xz": lzma.decompress,
    ".zst": lambda b: zstandard.ZstdDecompressor().stream_reader(io.BytesIO(b)).read(),
}


def encode(kind: str, docs: list[Document]) -> bytes:
    """``docs`` as a file of ``kind``, with an id field or column and one more."""
    rows = [{"id": d.id, "text": d.text, "outlet": d.meta.get("source", "")} for d in docs]
    if kind == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    if kind == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1).encode()
    out = io.StringIO(newline="")
    writer = csv.DictWriter(
        out, ["outlet", "id", "text"], dialect="excel-tab" if kind == "tsv" else "excel"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def news() -> list[Document]:
    needs(SAUDINEWSNET)
    docs = list(saudinewsnet(2000))
    # Line breaks of every kind inside texts: CSV keeps them quoted.
    docs[0] = Document(docs[0].id, docs[0].text + "\r\nسطر\rآخر\n", docs[0].meta)
    return docs


CASES = [
    ("jsonl", ""),
    ("jsonl", ".zst"),
    ("json", ""),
    ("json", ".gz"),
    ("csv", ""),
    ("csv", ".xz"),
]
CASES += [("tsv", ".bz2")]


@pytest.fixture(scope="module")
def news_report(news: list[Document]) -> dict[str, object]:
    return to_dict(scan(news))


def clean_file(src: Path) -> Path:
    out = src.with_name(f"clean-{src.name}")
    done = runner.invoke(app, ["clean", str(src), "--out", str(out), "--workers", "1", "-q"])
    assert done.exit_code == 0, done.output
    return out


@pytest.fixture(scope="module")
def news_cleaned(
    news: list[Document], tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[str, str]]:
    """The JSONL corpus cleaned: what every format's clean must read back as."""
    base = tmp_path_factory.mktemp("jsonl") / "news.jsonl"
    base.write_bytes(encode("jsonl", news))
    cleaned = [(d.id, d.text) for d in read_documents(clean_file(base))]
    assert len(cleaned) < len(news)  # it did drop near-duplicates
    return cleaned


@pytest.mark.parametrize(("kind", "compression"), CASES)
def test_every_format_gives_the_same_findings(
    tmp_path: Path,
    news: list[Document],
    news_report: dict[str, object],
    kind: str,
    compression: str,
) -> None:
    path = tmp_path / f"news.{kind}{compression}"
    path.write_bytes(COMPRESS[compression](encode(kind, news)))
    docs = list(read_documents(path))
    assert [(d.id, d.text) for d in docs] == [(d.id, d.text) for d in news]
    assert to_dict(scan(docs)) == news_report


@pytest.mark.parametrize(("kind", "compression"), CASES[1:])
def test_clean_writes_each_format_back_in_kind(
    tmp_path: Path,
    news: list[Document],
    news_cleaned: list[tuple[str, str]],
    kind: str,
    compression: str,
) -> None:
    """Cleaned in any format, the corpus reads back as the JSONL clean does,
    every other field or column kept, compressed as the input was."""
    path = tmp_path / f"news.{kind}{compression}"
    path.write_bytes(COMPRESS[compression](encode(kind, news)))
    cleaned = clean_file(path)
    assert [(d.id, d.text) for d in read_documents(cleaned)] == news_cleaned
    data = DECOMPRESS[compression](cleaned.read_bytes()).decode()
    assert data.count("outlet") == (1 if kind in ("csv", "tsv") else len(news_cleaned))


def test_unknown_files_are_refused_or_counted(tmp_path: Path) -> None:
    """A file of an unknown kind is never read as one document; a folder
    says what it left out."""
    (tmp_path / "data.parquet").write_bytes(b"PAR1")
    with pytest.raises(InputError, match=r"data\.parquet: not a kind of file dedup reads"):
        list(read_documents(tmp_path / "data.parquet"))
    (tmp_path / "notes.md").write_text("# notes", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"text": "نص"}\n', encoding="utf-8")
    done = runner.invoke(app, ["scan", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "left out 2 files of kinds dedup does not read (1 .md, 1 .parquet)" in done.output
    done = runner.invoke(app, ["scan", str(tmp_path / "data.parquet")])
    assert done.exit_code == 1 and "not a kind of file dedup reads" in done.output


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for name in ("2015/a.txt", "2015/b.txt", "2016/c.txt", "2016/old/d.txt"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name, encoding="utf-8")

    def ids(include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[str]:
        return [d.id for d in read_documents(Source(folder, include=include, exclude=exclude))]

    assert ids(("2016/*",)) == ["2016/c.txt", "2016/old/d.txt"]
    assert ids(exclude=("*/old/*", "*/b.txt")) == ["2015/a.txt", "2016/c.txt"]
    out = tmp_path / "r.json"
    args = ["scan", str(folder), "--include", "2015/*", "--exclude", "*b.txt", "--json", str(out)]
    done = runner.invoke(app, [*args, "-q"])
    assert done.exit_code == 0, done.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [d["id"] for d in report["documents"]] == ["2015/a.txt"]
    assert (report["input"]["include"], report["input"]["exclude"]) == (["2015/*"], ["*b.txt"])


def test_standard_input(tmp_path: Path) -> None:
    """``-`` reads JSON Lines from standard input; clean, which reads its
    input twice, refuses it."""
    lines = "".join(
        json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(["a b c", "a b c"])
    )
    cmd = [sys.executable, "-m", "dedup", "scan", "-", "--json", str(tmp_path / "r.json"), "-q"]
    done = subprocess.run(cmd, input=lines.encode(), capture_output=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in report["documents"]] == ["0", "1"]
    assert "input" not in report  # nothing to read the texts from again
    done = runner.invoke(app, ["clean", "-", "--out", str(tmp_path / "out.jsonl")])
    assert done.exit_code == 1 and "save it to a file first" in done.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.csv", b"id,body\n1,x\n", r"c\.csv:1: no 'text' column \(the header has 'id', 'body'"),
        ("c.csv", b"id,text\n1,x\n2,y,z\n", r"c\.csv:3: 3 fields where the header has 2"),
        ("c.csv", b'id,text\n1,"x\xff"\n', r"c\.csv:\d+: not valid UTF-8"),
        ("c.json", b'{"text": "x"}\n{"text": "y"}\n', r"c\.json: not a JSON array of objects"),
        ("c.json", b'[{"text": "x"}, {"body": 1}]', r"c\.json: object 2: no 'text' field"),
        ("c.json", b'[{"text": "x"}, 3]', r"c\.json: object 2: expected a JSON object"),
        ("c.json", b'[{"text": "x"}, {"text": ', r"c\.json: object 2: not valid JSON"),
        ("c.jsonl.zst", b"not zstd", r"c\.jsonl\.zst:1: cannot read"),
    ],
)
def test_bad_files_name_the_file_and_record(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(read_documents(tmp_path / name))
