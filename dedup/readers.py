"""Stream documents from a ``.txt`` file, a JSONL file (plain or ``.gz``) or a folder.

Text is decoded as UTF-8 with every character kept (``\\r`` included, no BOM
stripping), so offsets agree with the file as other tools read it with
``newline=''``. A folder is walked recursively in sorted path order; each
``.txt`` file is one document whose id is its path relative to the folder, and
each JSONL file's records get ids ``relative/path.jsonl:<id>``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from dedup.errors import InputError
from dedup.models import Document

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


def _is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file of the input: where it is and how its documents are named."""

    path: Path
    rel: str  # path relative to the input folder (the file name for a single file)
    jsonl: bool
    id_prefix: str  # prepended to JSONL record ids inside a folder


@dataclass(frozen=True, slots=True)
class Record:
    """A document and, for JSONL, the line it came from (for writing it back)."""

    doc: Document
    raw: bytes | None = None
    fields: dict[str, Any] | None = None


def input_files(path: str | Path) -> list[InputFile]:
    """The files a path stands for, in reading order."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if not root.is_dir():
        return [InputFile(root, root.name, _is_jsonl(root), "")]
    files = sorted(
        (
            p
            for p in root.rglob("*")
            if p.is_file() and (p.suffix.lower() == ".txt" or _is_jsonl(p))
        ),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    if not files:
        raise InputError(f"{root}: folder holds no .txt or .jsonl files")
    out = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        out.append(InputFile(p, rel, _is_jsonl(p), f"{rel}:"))
    return out


def read_records(file: InputFile, text_key: str = "text", id_key: str = "id") -> Iterator[Record]:
    if file.jsonl:
        yield from _read_jsonl(file.path, text_key, id_key, file.id_prefix)
    else:
        yield Record(Document(file.rel, _read_text(file.path), {"source": str(file.path)}))


def read_documents(
    path: str | Path, text_key: str = "text", id_key: str = "id"
) -> Iterator[Document]:
    """Yield documents one at a time; raise InputError naming the file (and line)."""
    ids: set[str] = set()
    for file in input_files(path):
        for record in read_records(file, text_key, id_key):
            doc = record.doc
            if doc.id in ids:
                where = f"{file.path}:{doc.meta['line']}" if "line" in doc.meta else str(file.path)
                raise InputError(f"{where}: duplicate document id {doc.id!r}")
            ids.add(doc.id)
            yield doc
    if not ids:
        raise InputError(f"{path}: no documents")


def _read_text(file: Path) -> str:
    data = _read_bytes(file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{file}: not valid UTF-8 (byte {e.start})") from None


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as e:
        raise InputError(f"{file}: cannot read ({e.strerror})") from None


def _open_binary(file: Path) -> BinaryIO:
    try:
        if file.name.lower().endswith(".gz"):
            return cast(BinaryIO, gzip.open(file, "rb"))
        return file.open("rb")
    except OSError as e:
        raise InputError(f"{file}: cannot read ({e.strerror})") from None


def _read_jsonl(file: Path, text_key: str, id_key: str, prefix: str) -> Iterator[Record]:
    with _open_binary(file) as fh:
        lineno = 0
        while True:
            try:
                raw = fh.readline()
            except (OSError, EOFError) as e:  # truncated or corrupt gzip
                raise InputError(f"{file}:{lineno + 1}: cannot read ({e})") from None
            if not raw:
                return
            lineno += 1
            where = f"{file}:{lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"{where}: not valid UTF-8 (byte {e.start})") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{where}: not valid JSON ({e.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{where}: expected a JSON object")
            if text_key not in record:
                raise InputError(f"{where}: no {text_key!r} field (choose one with --text-key)")
            text = record[text_key]
            if not isinstance(text, str):
                raise InputError(f"{where}: field {text_key!r} is not a string")
            ident = record.get(id_key)
            doc_id = str(lineno) if ident is None else str(ident)
            doc = Document(f"{prefix}{doc_id}", text, {"source": str(file), "line": lineno})
            yield Record(doc, raw, record)
