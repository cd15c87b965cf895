"""JSON Lines (``.jsonl``, ``.ndjson``, gzipped or not): a document a line,
its text and id in fields named by ``Source.text_key`` and ``id_key``."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

import orjson

from dedup.errors import InputError
from dedup.formats import Cleaner, File, Format, Record, Source
from dedup.models import Document


def read(file: File, source: Source) -> Iterator[Record]:
    path, text_key = file.path, source.text_key
    with _open_binary(path) as fh:
        lineno = 0
        while True:
            try:
                raw = fh.readline()
            except (OSError, EOFError) as e:  # truncated or corrupt gzip
                raise InputError(f"{path}:{lineno + 1}: cannot read ({e})") from None
            if not raw:
                return
            lineno += 1
            where = f"{path}:{lineno}"
            try:
                record = orjson.loads(raw)  # fast; strict about what json allows
            except orjson.JSONDecodeError:
                if not raw.strip():
                    continue
                record = _loads(raw, where)
            if not isinstance(record, dict):
                raise InputError(f"{where}: expected a JSON object")
            if text_key not in record:
                raise InputError(f"{where}: no {text_key!r} field (choose one with --text-key)")
            text = record[text_key]
            if not isinstance(text, str):
                raise InputError(f"{where}: field {text_key!r} is not a string")
            ident = record.get(source.id_key)
            doc_id = str(lineno) if ident is None else str(ident)
            meta = {"source": str(path), "line": lineno}
            yield Record(Document(f"{file.id_prefix}{doc_id}", text, meta), raw, record)


def _loads(raw: bytes, where: str) -> object:
    """json.loads of a line orjson refused: lone surrogates ("\\ud800") and
    NaN are valid to json; anything else gets its one-line error here."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{where}: not valid UTF-8 (byte {e.start})") from None
    try:
        return json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: not valid JSON ({e.msg})") from None


def write(file: File, source: Source, dest: Path, name: str, clean: Cleaner) -> None:
    """Unchanged records keep their line as it was; a changed one keeps every
    field and their order, only its text replaced; dropped ones are left out.
    Compressed when the output's ``name`` ends in ``.gz``."""
    with _open_out(dest, name.lower().endswith(".gz")) as fh:
        for record in read(file, source):
            text = clean(record.doc)
            if text is None:
                continue
            assert record.raw is not None and record.fields is not None
            if text == record.doc.text:
                fh.write(record.raw if record.raw.endswith(b"\n") else record.raw + b"\n")
            else:
                fields = {**record.fields, source.text_key: text}  # same keys, same order
                line = json.dumps(fields, ensure_ascii=False)
                fh.write(line.encode("utf-8", "backslashreplace") + b"\n")  # see write_atomic


def _open_binary(path: Path) -> BinaryIO:
    try:
        if path.name.lower().endswith(".gz"):
            return cast(BinaryIO, gzip.open(path, "rb"))
        return path.open("rb")
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None


@contextmanager
def _open_out(dest: Path, compressed: bool) -> Iterator[IO[bytes]]:
    if compressed:
        with gzip.open(dest, "wb") as gz:
            yield cast(IO[bytes], gz)
    else:
        with dest.open("wb") as fh:
            yield fh


FORMAT = Format("jsonl", (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"), read, write)
