from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks.corpora import SAUDINEWSNET
from dedup import InputError, read_documents
from dedup.engines import Engine
from dedup.formats import Source
from dedup.readers import PART_BYTES, parts, read_parts
from tests.conftest import SEEDS, needs, read_text


def test_folder_ids_are_relative_paths_in_sorted_order(seed_texts: dict[str, str]) -> None:
    docs = list(read_documents(SEEDS))
    assert [d.id for d in docs] == sorted(seed_texts)
    assert all(d.text == seed_texts[d.id] for d in docs)


def test_nested_folder_and_single_file(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    assert [(d.id, d.text) for d in read_documents(tmp_path)] == [
        ("a.txt", "first"),
        ("b/x.txt", "second"),
    ]
    assert [d.id for d in read_documents(tmp_path / "b" / "x.txt")] == ["x.txt"]


def test_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffسطر\r\nآخر\r".encode())
    (doc,) = read_documents(path)
    assert doc.text == "\ufeffسطر\r\nآخر\r" == read_text(path)


def test_jsonl_plain_and_gz(tmp_path: Path) -> None:
    records = [{"id": "a", "text": "نص أول", "lang": "ar"}, {"text": "no id here"}]
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n"
    (tmp_path / "c.jsonl").write_text(lines, encoding="utf-8")
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(lines)
    for name in ("c.jsonl", "c.jsonl.gz"):
        docs = list(read_documents(tmp_path / name))
        assert [(d.id, d.text) for d in docs] == [("a", "نص أول"), ("2", "no id here")]
        assert docs[0].meta["line"] == 1


def test_jsonl_custom_keys(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text('{"uid": 7, "content": "x"}\n', encoding="utf-8")
    (doc,) = read_documents(tmp_path / "c.jsonl", text_key="content", id_key="uid")
    assert (doc.id, doc.text) == ("7", "x")


def test_jsonl_inside_folder_gets_prefixed_ids(tmp_path: Path) -> None:
    (tmp_path / "part.jsonl").write_text('{"id": "1", "text": "x"}\n', encoding="utf-8")
    (tmp_path / "1").write_text("not a .txt file", encoding="utf-8")
    assert [d.id for d in read_documents(tmp_path)] == ["part.jsonl:1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "ok"}\n{"text": broken}\n', r"c\.jsonl:2: not valid JSON"),
        (b'{"text": "ok"}\n{"body": "x"}\n', r"c\.jsonl:2: no 'text' field"),
        (b'{"text": 5}\n', r"c\.jsonl:1: field 'text' is not a string"),
        (b'["text"]\n', r"c\.jsonl:1: expected a JSON object"),
        (b'{"text": "\xff"}\n', r"c\.jsonl:1: not valid UTF-8"),
        (b'{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', r"c\.jsonl:2: duplicate document id"),
        (b"\n\n", r"c\.jsonl: no documents"),
    ],
)
def test_bad_jsonl_names_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "c.jsonl").write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(read_documents(tmp_path / "c.jsonl"))


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        list(read_documents(tmp_path / "missing"))
    with pytest.raises(InputError, match=r"holds no files dedup reads \(\.txt, \.jsonl"):
        list(read_documents(tmp_path))
    (tmp_path / "bad.txt").write_bytes("صحيح".encode() + b"\xd8")
    with pytest.raises(InputError, match=r"bad\.txt: not valid UTF-8 \(byte 8\)"):
        list(read_documents(tmp_path))


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(b'{"text": "a"}\n' * 1000)
    (tmp_path / "t.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"t\.jsonl\.gz:\d+: cannot read"):
        list(read_documents(tmp_path / "t.jsonl.gz"))


def test_empty_txt_file_is_an_empty_document(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    assert [(d.id, d.text) for d in read_documents(tmp_path)] == [("empty.txt", "")]


def test_formats_are_known_by_their_suffixes() -> None:
    from dedup.formats import FORMATS, format_of

    assert sorted(FORMATS) == ["csv", "json", "jsonl", "parquet", "tsv", "txt", "warc"]
    kinds = {
        "a.txt": "txt",
        "b.jsonl": "jsonl",
        "C.JSONL.GZ": "jsonl",
        "d.ndjson": "jsonl",
        "e.ndjson.zst": "jsonl",
        "f.csv": "csv",
        "g.json.xz": "json",
        "h.tsv.bz2": "tsv",
        "i.txt.gz": "txt",
        "j.parquet": "parquet",
        "m.warc.gz": "warc",
        "n.wet": "warc",
        "o.avro": None,
        "k.md": None,
        "l": None,
    }
    assert {n: f.name if (f := format_of(Path(n))) else None for n in kinds} == kinds


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.jsonl.gz", "folder"])
def test_every_format_writes_an_unchanged_corpus_back_as_it_was(
    tmp_path: Path, seed_texts: dict[str, str], name: str
) -> None:
    """Each registered format, given a cleaner that changes nothing, writes
    its input back: txt files byte for byte, JSONL records line for line."""
    from dedup.formats import Source
    from dedup.writers import write_corpus

    lines = [
        json.dumps({"id": k, "text": v, "kept": [1, "x"]}, ensure_ascii=False) + "\n"
        for k, v in seed_texts.items()
    ]
    if name == "folder":
        src = tmp_path / "in"
        (src / "sub").mkdir(parents=True)
        for k, v in seed_texts.items():
            (src / "sub" / k).write_bytes(v.encode("utf-8"))
        (src / "more.jsonl").write_text("".join(lines), encoding="utf-8")
    else:
        src = tmp_path / name
        data = "".join(lines).encode("utf-8")
        src.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    out = tmp_path / "out"
    write_corpus(Source(src), out, lambda doc: doc.text, name)

    def content(path: Path, name: str) -> bytes:  # compressed as its name says
        data = path.read_bytes()
        return gzip.decompress(data) if name.endswith(".gz") else data

    if name == "folder":
        written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
        assert written == sorted(p.relative_to(src) for p in src.rglob("*") if p.is_file())
        assert all(content(out / p, p.name) == content(src / p, p.name) for p in written)
    else:
        assert content(out, name) == content(src, name)


def _news_jsonl(path: Path, count: int, break_at: int | None = None) -> list[str]:
    """SaudiNewsNet articles as JSON Lines: every third without an id (named
    by its line number then), blank lines between some, CRLF endings on
    some, no newline after the last; ``break_at``: that line not JSON."""
    from benchmarks.corpora import saudinewsnet

    lines: list[str] = []
    for i, doc in enumerate(saudinewsnet(count)):
        record = {"text": doc.text} if i % 3 == 0 else {"id": doc.id, "text": doc.text}
        lines.append(json.dumps(record, ensure_ascii=False) + ("\r\n" if i % 5 == 0 else "\n"))
        if i % 7 == 0:
            lines.append("\n")
    if break_at is not None:
        lines[break_at - 1] = '{"text": broken}\n'
    path.write_text("".join(lines).rstrip("\n"), encoding="utf-8", newline="")
    return lines


def _by_parts(source: Source, size: int) -> list[tuple[str, str, dict[str, object]]]:
    loads = parts(source, Engine(), size)
    return [(d.id, d.text, d.meta) for load in loads for d, _ in read_parts(load, source)]


def _whole(source: Source) -> list[tuple[str, str, dict[str, object]]]:
    return [(d.id, d.text, d.meta) for d in read_documents(source)]


def test_a_jsonl_file_read_in_byte_ranges_gives_every_document_once(tmp_path: Path) -> None:
    """Ranges cut lines anywhere (in a character, between \\r and \\n); each
    line is read by the range it starts in, with its line number."""
    needs(SAUDINEWSNET)
    path = tmp_path / "news.jsonl"
    _news_jsonl(path, 200)
    source = Source(path)
    whole = _whole(source)
    for size in (97, 4096, 65_536, path.stat().st_size - 1, path.stat().st_size):
        assert _by_parts(source, size) == whole, size
    assert len(parts(source, Engine(), 4096)) > 100


def test_a_parquet_file_read_by_row_groups(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [read_text(p) for p in sorted(SEEDS.iterdir())] * 7
    path = tmp_path / "seeds.parquet"
    pq.write_table(pa.table({"text": texts}), path, row_group_size=4)  # no id: row numbers
    source = Source(path)
    assert len(parts(source, Engine(), 1)) == 9
    assert _by_parts(source, 1) == _whole(source)
    assert _by_parts(source, 1 << 30) == _whole(source)


def test_small_files_are_read_together() -> None:
    source = Source(SEEDS)
    assert [len(load) for load in parts(source, Engine())] == [5]
    assert [len(load) for load in parts(source, Engine(), 1)] == [1] * 5
    assert _by_parts(source, 1) == _by_parts(source, 1 << 20) == _whole(source)


def test_a_source_takes_its_path_as_a_string_too(tmp_path: Path) -> None:
    """As read_documents does (it failed: "'str' object has no attribute 'exists'")."""
    from dedup import scan

    assert Source(str(SEEDS)) == Source(SEEDS)
    assert scan(Source(str(SEEDS))) == scan(Source(SEEDS))
    with pytest.raises(InputError, match="nowhere"):
        list(read_documents(Source(str(tmp_path / "nowhere"))))


def test_a_scan_whose_tasks_read_the_input_names_the_bad_line(tmp_path: Path) -> None:
    """Read in parts by the workers, a bad line or a duplicate id far into a
    file gives the error a whole read gives: file and line."""
    from dedup import scan

    needs(SAUDINEWSNET)
    path = tmp_path / "news.jsonl"
    lines = _news_jsonl(path, 1500, break_at=1400)
    assert len("".join(lines[:1399]).encode()) > PART_BYTES  # in the second part
    with pytest.raises(InputError, match=r"news\.jsonl:1400: not valid JSON"):
        list(read_documents(path))
    with pytest.raises(InputError, match=r"news\.jsonl:1400: not valid JSON"):
        scan(Source(path), workers=2)
    lines[1399] = next(line for line in lines if '"id"' in line)  # an id seen before
    path.write_text("".join(lines), encoding="utf-8", newline="")
    with pytest.raises(InputError, match=r"news\.jsonl:1400: duplicate document id"):
        scan(Source(path), workers=2)
