"""Every input format reads the same corpus as JSONL does, and clean writes
each back in kind (tests/test_readers.py covers each format's errors)."""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import lzma
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import InputError, read_documents, scan
from dedup.cli import app
from dedup.engines import Engine, ProcessEngine
from dedup.formats import Source
from dedup.models import Document
from dedup.pipeline import _loads, _Read
from dedup.readers import input_files, parts
from dedup.reports.json import to_dict
from tests.conftest import ROOT, SEEDS, needs, read_text

runner = CliRunner()

# The inputs at each format's fastest level (the readers take any): at the
# default levels, writing them took 9 s of the tests' time.
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": lambda b: gzip.compress(b, compresslevel=1),
    ".bz2": lambda b: bz2.compress(b, compresslevel=1),
    ".xz": lambda b: lzma.compress(b, preset=0),
    ".zst": zstandard.ZstdCompressor(level=1).compress,
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
    if kind == "wet":  # by warcio, as Common Crawl's are
        sink = io.BytesIO()
        writer = WARCWriter(sink, gzip=False)
        for d in docs:
            headers = {"WARC-Record-ID": d.id, "Content-Type": "text/plain"}
            data = d.text.encode()
            record = writer.create_warc_record(
                f"https://example.com/{d.id}",
                "conversion",
                payload=io.BytesIO(data),
                length=len(data),  # else warcio spools it to a file it leaves open
                warc_headers_dict=headers,
            )
            writer.write_record(record)
        return sink.getvalue()
    if kind == "parquet":  # several row groups, compressed by zstd
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), sink, row_group_size=700, compression="zstd")
        return sink.getvalue()
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
    # Ids a WARC record can have too.
    docs = [
        Document(f"<urn:uuid:{uuid5(NAMESPACE_URL, d.id)}>", d.text, d.meta)
        for d in saudinewsnet(2000)
    ]
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
CASES += [("tsv", ".bz2"), ("parquet", ""), ("wet", ".gz")]


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


def test_a_compressed_file_is_read_here_for_the_workers(
    tmp_path: Path, news: list[Document], news_report: dict[str, object]
) -> None:
    """One .jsonl.gz, which cannot be cut, holds more than a worker's share:
    this process reads it, a batch of texts a task for two workers
    (pipeline._loads), who find what a scan of the documents finds. An id
    met twice is still told by its file and line."""
    path = tmp_path / "news.jsonl.gz"
    path.write_bytes(COMPRESS[".gz"](encode("jsonl", news)))
    source = Source(path)
    loads = list(_loads(parts(source, Engine()), source, ProcessEngine(2)))
    assert loads and all(isinstance(load, _Read) for load in loads)
    assert sum(len(load.ids) for load in loads) == len(news)
    assert to_dict(scan(source, workers=2)) == news_report
    twice = [*news[:1500], Document(news[7].id, "نص آخر"), *news[1500:]]
    path.write_bytes(COMPRESS[".gz"](encode("jsonl", twice)))
    with pytest.raises(InputError, match=r"news\.jsonl\.gz:1501: duplicate document id"):
        scan(Source(path), workers=2)


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
    if kind == "parquet":  # the same schema and compression, every column
        table, before = pq.read_table(cleaned), pq.ParquetFile(path)
        assert table.schema == before.schema_arrow and table.num_rows == len(news_cleaned)
        assert pq.ParquetFile(cleaned).metadata.row_group(0).column(0).compression == "ZSTD"
        return
    if compression == ".gz":  # at gzip's own default level, 6: the header's XFL byte is 0, not 2
        assert cleaned.read_bytes()[8] == 0
    data = DECOMPRESS[compression](cleaned.read_bytes()).decode()
    if kind == "wet":  # a conversion record a kept document, with its URL
        assert data.count("WARC-Type: conversion") == data.count("https://example.com/")
        return
    assert data.count("outlet") == (1 if kind in ("csv", "tsv") else len(news_cleaned))


def test_unknown_files_are_refused_or_counted(tmp_path: Path) -> None:
    """A file of an unknown kind is never read as one document; a folder
    says what it left out."""
    (tmp_path / "data.avro").write_bytes(b"PAR1")
    with pytest.raises(InputError, match=r"data\.avro: not a kind of file dedup reads"):
        list(read_documents(tmp_path / "data.avro"))
    (tmp_path / "notes.md").write_text("# notes", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"text": "نص"}\n', encoding="utf-8")
    done = runner.invoke(app, ["scan", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "left out 2 files of kinds dedup does not read (1 .avro, 1 .md)" in done.output
    done = runner.invoke(app, ["scan", str(tmp_path / "data.avro")])
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
        ("c.csv", b"id,text\n1,x\n\n2,y,z\n", r"c\.csv:4: 3 fields where the header has 2"),
        ("c.csv", b'id,text\n1,"x\xff"\n', r"c\.csv:\d+: not valid UTF-8"),
        ("c.json", b'{"text": "x"}\n{"text": "y"}\n', r"c\.json: not a JSON array of objects"),
        ("c.json", b'[{"text": "x"}, {"body": 1}]', r"c\.json: object 2: no 'text' field"),
        ("c.json", b'[{"text": "x"}, 3]', r"c\.json: object 2: expected a JSON object"),
        ("c.json", b'[{"text": "x"}, {"text": ', r"c\.json: object 2: not valid JSON"),
        ("c.jsonl.zst", b"not zstd", r"c\.jsonl\.zst:1: cannot read"),
        ("c.parquet", b"PAR1 not really", r"c\.parquet: row 1: cannot read as Parquet"),
    ],
)
def test_bad_files_name_the_file_and_record(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(read_documents(tmp_path / name))


def test_a_cut_compressed_json_array_says_one_line(tmp_path: Path) -> None:
    """A .json.gz cut short (no end-of-stream marker) in the middle of an
    Arabic letter: the read error in one line, and no traceback from ijson's
    generators after it."""
    texts = [read_text(p) for p in sorted(SEEDS.glob("*.txt"))]
    data = json.dumps([{"text": t} for t in texts], ensure_ascii=False).encode("utf-8")
    cut = data[: data.index("ا".encode()) + 1]  # the letter's first byte of two
    packer = zlib.compressobj(wbits=31)  # gzip, never finished
    (tmp_path / "cut.json.gz").write_bytes(packer.compress(cut) + packer.flush(zlib.Z_SYNC_FLUSH))
    command = [sys.executable, "-m", "dedup", "scan", str(tmp_path / "cut.json.gz"), "-q"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "cut.json.gz: object 1: cannot read (Compressed file" in lines[0]


def test_bad_parquet_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": [1, 2], "body": ["a", "b"]}), path)
    with pytest.raises(InputError, match=r"c\.parquet: no 'text' column \(it has 'id', 'body'"):
        list(read_documents(path))
    pq.write_table(pa.table({"text": [1, 2]}), path)
    with pytest.raises(InputError, match=r"c\.parquet: column 'text' holds int64, not text"):
        list(read_documents(path))
    pq.write_table(pa.table({"text": ["a", None]}), path)
    with pytest.raises(InputError, match=r"c\.parquet: row 2: no text"):
        list(read_documents(path))


def test_findings_as_parquet_and_dolma_attributes(tmp_path: Path, news: list[Document]) -> None:
    """--parquet holds the JSON report's spans and pairs; --attributes a line
    per document of each input file, in its order, with the same spans."""
    folder = tmp_path / "in"
    (folder / "news").mkdir(parents=True)
    (folder / "news" / "part.jsonl.gz").write_bytes(gzip.compress(encode("jsonl", news[:600])))
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        (folder / seed.name).write_bytes(seed.read_bytes())
    out = {name: tmp_path / name for name in ("r.json", "f.parquet", "attrs")}
    args = ["scan", str(folder), "--json", str(out["r.json"]), "--parquet", str(out["f.parquet"])]
    done = runner.invoke(app, [*args, "--attributes", str(out["attrs"]), "-q", "--workers", "1"])
    assert done.exit_code == 0, done.output
    report = json.loads(out["r.json"].read_text(encoding="utf-8"))
    texts = {d.id: d.text for d in read_documents(folder)}

    table = pq.read_table(out["f.parquet"]).to_pylist()
    spans = [r for r in table if r["type"] == "span"]
    assert [(r["doc"], r["start"], r["end"], r["kind"], r["similarity"]) for r in spans] == [
        (s["doc"], s["start"], s["end"], s["kind"], s["similarity"]) for s in report["spans"]
    ]
    for r, s in zip(spans, report["spans"], strict=True):
        o = s["duplicate_of"]
        assert (r["of_doc"], r["of_start"], r["of_end"]) == (o["doc"], o["start"], o["end"])
        assert texts[r["doc"]][r["start"] : r["end"]]  # a span of the original text
    pairs = {(r["doc"], r["of_doc"]) for r in table if r["type"] == "pair"}
    expected = {(p["a"], p["b"]) for c in report["clusters"] for p in c["pairs"]}
    assert pairs == expected | {(p["a"], p["b"]) for p in report["related"]}

    lines = []
    for file in input_files(folder):  # in reading order
        name = file.rel if file.format.name == "jsonl" else f"{file.rel}.jsonl"
        data = (out["attrs"] / name).read_bytes()
        data = gzip.decompress(data) if name.endswith(".gz") else data
        prefix = file.id_prefix if file.format.name == "jsonl" else ""
        lines += [(prefix, json.loads(line)) for line in data.decode().splitlines()]
    assert [prefix + line["id"] for prefix, line in lines] == [d["id"] for d in report["documents"]]
    by_doc: dict[str, list[list[float]]] = {}
    for s in report["spans"]:
        by_doc.setdefault(f"dedup__{s['kind']}:{s['doc']}", []).append(
            [s["start"], s["end"], s["similarity"]]
        )
    dropped = 0
    for prefix, line in lines:
        doc = prefix + line["id"]
        for key, found in line["attributes"].items():
            if key == "dedup__near_duplicate":
                dropped += len(found)
                assert found in ([], [[0, len(texts[doc]), found[0][2] if found else 0]])
            else:
                assert sorted(found) == sorted(by_doc.get(f"{key}:{doc}", []))
    assert dropped > 0  # SaudiNewsNet has near-duplicate articles


def test_warc_html_responses_are_read_as_their_text(tmp_path: Path) -> None:
    """A WARC response with HTML becomes its main text (offsets into that
    text); requests and non-HTML responses are skipped."""
    copied = "هذه فقرة منقولة كاملة من صفحة إلى أخرى بلا تغيير في كلماتها " * 3
    pages = {
        "https://a.example/1": f"<nav>القائمة</nav><p>{copied}</p><p>خبر أول عن الطقس</p>",
        "https://b.example/2": f"<p>مقدمة مختلفة تماما عن الأولى</p><p>{copied}</p>",
    }
    sink = io.BytesIO()
    writer = WARCWriter(sink, gzip=True)

    def record(url: str, kind: str, data: bytes, content_type: str = "") -> None:
        http = None
        if content_type:
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], "HTTP/1.1")
        payload = io.BytesIO(data)
        made = writer.create_warc_record(url, kind, payload, len(data), http_headers=http)
        writer.write_record(made)

    for url, html in pages.items():
        page = f"<html><body>{html}</body></html>".encode()
        record(url, "response", page, "text/html; charset=utf-8")
        record(url, "request", b"GET / HTTP/1.1\r\n\r\n")
    record("https://a.example/x.png", "response", b"\x89PNG", "image/png")
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(sink.getvalue())
    docs = list(read_documents(path))
    assert [d.meta["url"] for d in docs] == list(pages)
    assert all("<p>" not in d.text and copied.strip() in d.text for d in docs)
    result = scan(docs)
    (span,) = [s for s in result.spans if s.kind == "across"]
    texts = {d.id: d.text for d in docs}
    assert texts[span.doc][span.start : span.end].strip() == copied.strip()
    o = span.duplicate_of
    assert texts[o.doc][o.start : o.end] == texts[span.doc][span.start : span.end]


def test_a_metadata_json_in_a_folder_says_how_to_leave_it_out(tmp_path: Path) -> None:
    (tmp_path / "part.jsonl").write_text('{"text": "نص"}\n', encoding="utf-8")
    (tmp_path / "state.json").write_text('{"_data_files": []}', encoding="utf-8")
    with pytest.raises(InputError, match=r"state\.json: not a JSON array .* --exclude leaves it"):
        list(read_documents(tmp_path))
    assert [d.text for d in read_documents(Source(tmp_path, exclude=("*.json",)))] == ["نص"]


def test_hugging_face_dataset_folder(tmp_path: Path, news: list[Document]) -> None:
    """A dataset as the Hub stores it: Parquet shards under data/, beside a
    README and .gitattributes, which are left out with a word."""
    (tmp_path / "data").mkdir()
    for i, part in enumerate((news[:300], news[300:500])):
        shard = tmp_path / "data" / f"train-{i:05d}-of-00002.parquet"
        shard.write_bytes(encode("parquet", part))
    (tmp_path / "README.md").write_text("---\nlicense: cc\n---\n", encoding="utf-8")
    (tmp_path / ".gitattributes").write_text("*.parquet filter=lfs\n", encoding="utf-8")
    docs = list(read_documents(tmp_path))
    assert [d.text for d in docs] == [d.text for d in news[:500]]
    assert docs[300].id == f"data/train-00001-of-00002.parquet:{news[300].id}"
    done = runner.invoke(app, ["scan", str(tmp_path), "--levels", "documents"])
    assert done.exit_code == 0, done.output
    assert "left out 2 files of kinds dedup does not read (1 (no suffix), 1 .md)" in done.output


def test_csv_from_a_spreadsheet_keeps_its_byte_order_mark(tmp_path: Path) -> None:
    """Excel writes UTF-8 CSV with a byte-order mark before the header: the
    first column is still found by its name, and clean writes the mark back."""
    path = tmp_path / "sheet.csv"
    text = "نص مكرر هنا تماما كما هو"
    path.write_bytes(codecs.BOM_UTF8 + f"text,id\r\n{text},1\r\n{text},2\r\n".encode())
    assert [(d.id, d.text) for d in read_documents(path)] == [("1", text), ("2", text)]
    out = clean_file(path)
    assert out.read_bytes().startswith(codecs.BOM_UTF8 + b"text,id\n")
    assert [d.id for d in read_documents(out)] == ["1"]  # the copy dropped
