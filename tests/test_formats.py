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
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import IO, cast
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
from dedup.formats import Source, archives, json_array, open_input
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
        (
            "c.json",
            b'[{"text": "x"}, {"body": 1}]',
            r"c\.json: object 2: no 'text' field \(it has 'body';",
        ),
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


# Zip archives: a folder of files, members of any format dedup reads.

DAY = (2015, 7, 21, 12, 0, 0)


def zip_of(path: Path, files: dict[str, bytes], stored: tuple[str, ...] = ()) -> Path:
    """A zip archive of ``files``, deflated but for those ``stored``."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name, DAY), data, method)
    return path


def seed_files() -> dict[str, bytes]:
    """The seeds as files of several formats: each text twice (copies to find)."""
    seeds = sorted(SEEDS.glob("*.txt"))
    docs = [Document(p.stem, read_text(p)) for p in seeds]
    files = {f"seeds/{p.name}": p.read_bytes() for p in seeds}
    files["more/copies.json"] = encode("json", docs[:3])
    files["more/copies.jsonl.gz"] = COMPRESS[".gz"](encode("jsonl", docs[3:]))
    files["README.md"] = b"# not a document"
    return files


def extracted(files: dict[str, bytes], folder: Path) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def findings(report: dict[str, object]) -> dict[str, object]:
    return {k: report[k] for k in ("documents", "spans", "clusters", "boilerplate", "related")}


def test_a_zip_archive_reads_as_the_folder_it_holds(tmp_path: Path) -> None:
    """Its members are files in a folder of its name: the same documents,
    ids and findings as the folder they unpack to (two workers read it, a
    member a task: a deflated member cannot be entered in the middle), and
    what it holds of other kinds is left out and counted."""
    files = seed_files()
    archive = zip_of(tmp_path / "news.zip", files, stored=("seeds/000_612583348e3eef60.txt",))
    folder = extracted(files, tmp_path / "news")
    docs = [(d.id, d.text) for d in read_documents(archive)]
    assert docs == [(d.id, d.text) for d in read_documents(folder)]
    assert docs[0][0] == "more/copies.json:000_612583348e3eef60" and len(docs) == 10
    assert all(part.range is None for load in parts(Source(archive), Engine()) for part in load)
    result = scan(Source(archive), workers=2)
    assert findings(to_dict(result)) == findings(to_dict(scan(Source(folder), workers=1)))
    assert result.clusters
    # The doubled block, in the seed as the archive holds it.
    seed = "seeds/001_78ea9c6ae5c3d444.txt"
    (block,) = [s for s in result.spans if s.doc == seed and s.kind == "within"]
    assert (block.start, block.end) == (1835, 3390)
    assert dict(docs)[seed][1835:3390] == read_text(SEEDS / seed[6:])[1835:3390]
    done = runner.invoke(app, ["scan", str(archive)])
    assert done.exit_code == 0 and "left out 1 files of kinds dedup does not read (1 .md)" in (
        done.output
    )
    # Inside a folder, beside other files: ids by its path in the folder.
    outer = tmp_path / "outer"
    (outer / "2015").mkdir(parents=True)
    archive.rename(outer / "2015" / "news.zip")
    (outer / "a.txt").write_text("نص", encoding="utf-8")
    ids = [d.id for d in read_documents(Source(outer, exclude=("*.gz",)))]
    assert ids[:2] == [
        "2015/news.zip/more/copies.json:000_612583348e3eef60",
        "2015/news.zip/more/copies.json:001_78ea9c6ae5c3d444",
    ]
    assert ids[-1] == "a.txt" and len(ids) == 9


def test_saudinewsnet_as_distributed(tmp_path: Path) -> None:
    """SaudiNewsNet's own files, a zip archive a day holding a JSON array:
    read as they are, the texts the corpus reader of benchmarks/ reads, and
    each object as ijson's exact (pure-Python) parser reads it."""
    day = needs(SAUDINEWSNET) / "2015-07-21.zip"
    docs = list(read_documents(Source(day, text_key="content")))
    reference = list(saudinewsnet(len(docs) + 1))
    assert [d.text for d in docs] == [d.text for d in reference[: len(docs)]]
    assert not reference[len(docs)].id.startswith("2015-07-21/")  # the day is whole
    assert docs[0].id == "2015-07-21.json:1" and len(docs) == 2972
    (file,) = input_files(Source(day, text_key="content"))
    with zipfile.ZipFile(day) as z:
        exact = list(json_array._EXACT.items(z.open("2015-07-21.json"), "item", use_float=True))
    read = [r.fields for r in json_array.read(file, Source(day, text_key="content"))]
    assert read == exact


def cleaned_alike(tmp_path: Path, archive: Path, folder: Path, out: str) -> dict[str, bytes]:
    """``archive`` cleaned to ``out`` and the ``folder`` it unpacks to to
    ``clean``, their removals logged alike: the folder's files written."""
    for args in (
        [str(archive), "--out", str(tmp_path / out)],
        [str(folder), "--out", str(tmp_path / "clean")],
    ):
        done = runner.invoke(app, ["clean", *args, "--workers", "1", "-q"])
        assert done.exit_code == 0, done.output
    logs = [
        (tmp_path / name).read_text(encoding="utf-8")
        for name in (f"{out}.removals.jsonl", "clean.removals.jsonl")
    ]
    assert logs[0] == logs[1] and logs[0]
    return {
        p.relative_to(tmp_path / "clean").as_posix(): p.read_bytes()
        for p in (tmp_path / "clean").rglob("*")
        if p.is_file()
    }


def cleaned_by_report(tmp_path: Path, outer: Path) -> Path:
    """The folder ``outer`` scanned, then cleaned from the report (which
    checks each document against it, in the corpus's order)."""
    report = tmp_path / "outer.json"
    done = runner.invoke(app, ["scan", str(outer), "--json", str(report), "-q"])
    assert done.exit_code == 0, done.output
    out = tmp_path / "o"
    done = runner.invoke(app, ["clean", str(outer), "--out", str(out), "--report", str(report)])
    assert done.exit_code == 0, done.output
    return out


def test_clean_writes_a_zip_archive_back_as_one(tmp_path: Path) -> None:
    """Each member cleaned as the folder's file is, under its name, with its
    date and compression; members of other kinds left out, as a folder's
    files are. In a folder, the archive is cleaned in its place."""
    files = seed_files()
    archive = zip_of(tmp_path / "news.zip", files, stored=("more/copies.json",))
    written = cleaned_alike(tmp_path, archive, extracted(files, tmp_path / "news"), "clean.zip")
    with zipfile.ZipFile(tmp_path / "clean.zip") as z:
        infos = z.infolist()
        members = {i.filename: z.read(i) for i in infos}
    assert members == written and "README.md" not in members
    # The seeds copy the archive's JSON (earlier): they are dropped, and its
    # copy of 001 loses the doubled block.
    assert sorted(members) == ["more/copies.json", "more/copies.jsonl.gz"]
    assert len(members["more/copies.json"]) < len(files["more/copies.json"]) - 1500
    assert all(i.date_time == DAY for i in infos)
    assert {i.filename: i.compress_type for i in infos}["more/copies.json"] == zipfile.ZIP_STORED
    assert {i.compress_type for i in infos if i.filename != "more/copies.json"} == {
        zipfile.ZIP_DEFLATED
    }
    # In a folder, between other files: cleaned in its place.
    outer = tmp_path / "outer"
    (outer / "b").mkdir(parents=True)
    archive.rename(outer / "b" / "news.zip")
    for name in ("a.txt", "c.txt"):
        (outer / name).write_bytes(files["seeds/001_78ea9c6ae5c3d444.txt"])
    out = cleaned_by_report(tmp_path, outer)
    assert sorted(p.name for p in out.rglob("*")) == ["a.txt", "b", "news.zip"]
    with zipfile.ZipFile(out / "b" / "news.zip") as z:
        kept = json.loads(z.read("more/copies.json"))
    assert [d["id"] for d in kept] == ["000_612583348e3eef60", "002_5fedb9670b56af32"]  # 001: a.txt


def test_a_zip_archive_rewritten_is_read_anew(tmp_path: Path) -> None:
    """A process keeps an archive open for its members, until it changes."""
    path = zip_of(tmp_path / "day.zip", {"a.txt": "أول".encode()})
    assert [d.text for d in read_documents(path)] == ["أول"]
    zip_of(tmp_path / "new.zip", {"a.txt": "ثاني نص".encode(), "b.txt": b"x"}).replace(path)
    assert [d.text for d in read_documents(path)] == ["ثاني نص", "x"]


# Tar archives: a folder of files too, a compressed one's read in turn.

# Each tar suffix with the compression (COMPRESS, DECOMPRESS) of its bytes.
TARRED = {
    ".tar": "",
    ".tar.gz": ".gz",
    ".tgz": ".gz",
    ".tar.bz2": ".bz2",
    ".tar.xz": ".xz",
    ".tar.zst": ".zst",
}
WHEN = 1437480000  # 21 July 2015


def tar_of(path: Path, files: dict[str, bytes]) -> Path:
    """A tar archive of ``files``, in their order, with a folder's entry and
    a link (neither is a file), compressed as its name says."""
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w", format=tarfile.GNU_FORMAT) as tar:
        folder = tarfile.TarInfo("seeds")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), WHEN, 0o640
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("latest.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "seeds/000_612583348e3eef60.txt"
        tar.addfile(link)
    compression = TARRED[cast(str, archives.archive_kind(path.name))]
    path.write_bytes(COMPRESS[compression](packed.getvalue()))
    return path


def untarred(path: Path, suffix: str) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(DECOMPRESS[TARRED[suffix]](path.read_bytes()))) as tar:
        return [(i, cast(IO[bytes], tar.extractfile(i)).read()) for i in tar if i.isfile()]


@pytest.mark.parametrize("suffix", list(TARRED))
def test_a_tar_archive_reads_as_the_folder_it_holds(tmp_path: Path, suffix: str) -> None:
    """Its files are read in archive order (as ``tar tf`` lists them), as
    files of a folder of its name: in the folder's order, the same
    documents, ids and findings as that folder (two workers; a compressed
    archive is one task's to read, or this process's, a batch a task).
    Folders and links are not files; what it holds of other kinds is left
    out and counted."""
    files = seed_files()
    mixed = tar_of(tmp_path / f"mixed{suffix}", files)
    order = [d.id for d in read_documents(mixed)]
    assert order[0] == "seeds/000_612583348e3eef60.txt" and order[-1].startswith("more/")
    archive = tar_of(tmp_path / f"news{suffix}", dict(sorted(files.items())))
    folder = extracted(files, tmp_path / "news")
    docs = [(d.id, d.text) for d in read_documents(archive)]
    assert docs == [(d.id, d.text) for d in read_documents(folder)]
    assert sorted(docs) == sorted((d.id, d.text) for d in read_documents(mixed))
    loads = parts(Source(archive), Engine(), size=1000)
    files_read = len(input_files(Source(archive)))
    assert len(loads) == (files_read if suffix == ".tar" else 1)  # (in turn: one task's)
    done = runner.invoke(app, ["scan", str(archive)])
    assert done.exit_code == 0 and "left out 1 files of kinds dedup does not read (1 .md)" in (
        done.output
    )
    if suffix not in (".tar", ".tar.gz"):
        return
    result = scan(Source(archive), workers=2)
    assert findings(to_dict(result)) == findings(to_dict(scan(Source(folder), workers=1)))
    seed = "seeds/001_78ea9c6ae5c3d444.txt"
    (block,) = [s for s in result.spans if s.doc == seed and s.kind == "within"]
    assert (block.start, block.end) == (1835, 3390)
    assert dict(docs)[seed][1835:3390] == read_text(SEEDS / seed[6:])[1835:3390]


def test_clean_writes_a_tar_archive_back_as_one(tmp_path: Path) -> None:
    """Each file cleaned as the folder's is, in archive order, with its
    header (name, time, mode), compressed as the output's name says; files
    of other kinds left out. In a folder, the archive is cleaned in its
    place, compressed as it was."""
    files = seed_files()
    archive = tar_of(tmp_path / "news.tgz", dict(sorted(files.items())))
    written = cleaned_alike(tmp_path, archive, extracted(files, tmp_path / "news"), "clean.tgz")
    members = untarred(tmp_path / "clean.tgz", ".tgz")
    assert {i.name: data for i, data in members} == written
    assert [i.name for i, _ in members] == ["more/copies.json", "more/copies.jsonl.gz"]
    assert all((i.mtime, i.mode) == (WHEN, 0o640) for i, _ in members)
    # In a folder, in archive order (not sorted), between other files.
    outer = tmp_path / "outer"
    (outer / "b").mkdir(parents=True)
    tar_of(outer / "b" / "news.tar.xz", files)
    (outer / "a.txt").write_bytes(files["seeds/001_78ea9c6ae5c3d444.txt"])
    out = cleaned_by_report(tmp_path, outer)
    assert sorted(p.name for p in out.rglob("*")) == ["a.txt", "b", "news.tar.xz"]
    kept = untarred(out / "b" / "news.tar.xz", ".tar.xz")
    # 001 copies a.txt, and the JSON files' documents copy the seeds before them.
    seeds = [n for n in files if n.startswith("seeds/") and "001" not in n]
    assert [i.name for i, _ in kept] == [*seeds, "more/copies.json", "more/copies.jsonl.gz"]
    assert kept[0][1] == files[seeds[0]]  # (the first: unchanged)
    assert json.loads(kept[-2][1]) == []


def test_a_compressed_tar_is_read_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A compressed tar's members are read from where the last one ended;
    one behind is read from the start again, the last one again from
    memory (a CSV file's header is read first), or, if big, from the start."""
    files = {f"{i}.txt": f"نص رقم {i}".encode() * (i + 1) for i in range(6)}
    archive = tar_of(tmp_path / "a.tar.zst", files)
    for name in ["1.txt", "2.txt", "2.txt", "0.txt", "5.txt", "3.txt"]:
        with open_input(archive / name) as fh:
            assert fh.read() == files[name]
    monkeypatch.setattr(archives, "_KEEP", 10)  # (every member streamed)
    for name in ["4.txt", "4.txt", "1.txt"]:
        with open_input(archive / name) as fh:
            assert fh.read() == files[name]
    with pytest.raises(InputError, match=r"a\.tar\.zst/9\.txt: no such member"):
        open_input(archive / "9.txt")
    # Rewritten in place: read anew.
    tar_of(tmp_path / "b.tar.zst", {"0.txt": b"new"}).replace(archive)
    assert [d.text for d in read_documents(archive)] == ["new"]


def test_a_damaged_archive_says_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    data = "نص عربي قصير".encode()
    damaged = zip_of(tmp_path / "cut.zip", {"a.txt": data}, stored=("a.txt",))
    raw = damaged.read_bytes()
    at = raw.index(data)
    damaged.write_bytes(raw[:at] + b"X" + raw[at + 1 :])  # its CRC no longer matches
    zip_of(tmp_path / "up.zip", {"a.txt": data, "../b.txt": data})
    zip_of(tmp_path / "root.zip", {"/etc/hostname": data})
    whole = tar_of(tmp_path / "whole.tar.gz", {"a.txt": data * 500}).read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "fake.tar.gz").write_bytes(gzip.compress(b"not a tar archive"))
    tar_of(tmp_path / "up.tar", {"a.txt": data, "../b.txt": data})
    tar_of(tmp_path / "twice.tar.bz2", {"a.txt": data, "./a.txt": data})
    for name, message in [
        ("bad.zip", "bad.zip: not a zip archive, or a damaged one"),
        ("cut.zip", "cut.zip/a.txt: cannot read (Bad CRC-32"),
        ("up.zip", "up.zip: member '../b.txt' names a place outside the archive"),
        ("root.zip", "root.zip: member '/etc/hostname' names a place outside the archive"),
        ("cut.tar.gz", "cut.tar.gz: not a tar archive, or a damaged one (Compressed file ended"),
        ("fake.tar.gz", "fake.tar.gz: not a tar archive, or a damaged one"),
        ("up.tar", "up.tar: member '../b.txt' names a place outside the archive"),
        ("twice.tar.bz2", "twice.tar.bz2: holds './a.txt' twice"),
    ]:
        out = tmp_path / f"{name}.json"
        done = runner.invoke(app, ["scan", str(tmp_path / name), "--json", str(out), "-q"])
        assert done.exit_code == 1 and message in done.output, done.output
        assert done.output.count("\n") == 1 and not out.exists()


# JSON arrays: ijson's C parser, until a text it cannot read exactly.


@pytest.mark.parametrize("block", [5, 64, 65536])
def test_lone_surrogates_are_told_from_pairs_across_blocks(block: int) -> None:
    """The C parser is stopped at a lone surrogate's escape, wherever the
    blocks it is read in cut the escapes; never at a pair's."""
    for text, lone in [("\U0001f600 ok", False), ("\ud800", True), ("x\udc00", True), ("é", False)]:
        for pad in range(0, 70 if block == 64 else 12):
            data = json.dumps([{"text": "a" * pad + text + "\U0001f600"}]).encode()  # escaped
            reads = json_array._Reads(io.BytesIO(data), True)
            given = b""
            while chunk := reads.read(block):
                given += chunk
            assert reads.lone == lone, (text, pad)
            assert given == data or lone


def test_json_arrays_read_as_the_exact_parser_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Objects the C parser cannot read exactly (a lone surrogate, an integer
    past 64 bits) are read again by the pure-Python one, from the first
    object not yet given: every object once, as the exact parser reads it.
    The C parser reads the rest (the exact one is never started)."""
    if json_array._FAST is None:
        pytest.skip("ijson's C parser is not installed here (no compiled wheel)")
    exact = json_array._EXACT
    with_lone = [{"text": f"نص {i} \U0001f600", "n": i} for i in range(3000)]
    with_lone[700]["text"] = "a\ud800b"
    big = [{"text": f"نص {i}", "n": i} for i in range(3000)]
    big[2100]["n"] = 2**70
    plain = [{"text": f"نص {i} \U0001f600", "n": i} for i in range(3000)]
    started: list[int] = []

    def items(*args: object, **options: object) -> object:
        started.append(1)
        return exact.items(*args, **options)

    monkeypatch.setattr(json_array, "_EXACT", SimpleNamespace(items=items))
    for rows, restarts in [(with_lone, 1), (big, 1), (plain, 0)]:
        path = tmp_path / "a.json"
        path.write_bytes(json.dumps(rows).encode())
        with path.open("rb") as fh:
            expected = list(exact.items(fh, "item", use_float=True))
        before = len(started)
        (file,) = input_files(path)
        assert [r.fields for r in json_array.read(file, Source(path))] == expected == rows
        assert len(started) - before == restarts
