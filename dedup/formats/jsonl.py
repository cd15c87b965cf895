"""JSON Lines (``.jsonl``, ``.ndjson``, compressed or not; ``-``: standard
input): a document a line, its text and id in fields named by
``Source.text_key`` and ``id_key``."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from dedup.errors import InputError
from dedup.formats import (
    READ_ERRORS,
    STDIN,
    Cleaner,
    File,
    Format,
    Record,
    Source,
    Splitter,
    columns,
    compressed,
    is_compressed,
    open_input,
    open_output,
)
from dedup.models import Document


def read(file: File, source: Source) -> Iterator[Record]:
    with open_input(file.path) as fh:
        yield from _records(fh, file, source, 0)


def _records(
    fh: IO[bytes], file: File, source: Source, lineno: int, left: float = math.inf
) -> Iterator[Record]:
    """The records of the lines ``fh`` holds from where it is (the line after
    line ``lineno``), those that start in the next ``left`` bytes."""
    path = file.path
    while left > 0:
        try:
            raw = fh.readline()
        except READ_ERRORS as e:  # truncated or corrupt compressed data
            raise InputError(f"{path}:{lineno + 1}: cannot read ({e})") from None
        if not raw:
            return
        left -= len(raw)
        lineno += 1
        where = f"{path}:{lineno}"
        try:
            record = orjson.loads(raw)  # fast; strict about what json allows
        except orjson.JSONDecodeError:
            if not raw.strip():
                continue
            record = _loads(raw, where)
        meta = {"source": str(path), "line": lineno}
        yield Record(document(file, source, record, lineno, where, meta), raw, record)


def _ranges(file: File, size: int) -> list[tuple[int, int]] | None:
    """Byte ranges of an uncompressed file (a compressed one cannot be
    entered in the middle): a line belongs to the range it starts in."""
    if str(file.path) == STDIN or is_compressed(file.path):
        return None
    end = file.path.stat().st_size
    return (
        [(start, min(start + size, end)) for start in range(0, end, size)] if end > size else None
    )


def _count(file: File, start: int, stop: int) -> int:
    """The newlines in bytes ``[start, stop)``."""
    newlines = 0
    with open_input(file.path) as fh:
        fh.seek(start)
        while start < stop:
            block = fh.read(min(stop - start, 1 << 22))
            if not block:
                break
            # (numpy's compare and count: 2x bytes.count, 0.04 s for SaudiNewsNet)
            newlines += int(np.count_nonzero(np.frombuffer(block, np.uint8) == 10))
            start += len(block)
    return newlines


def _read_range(
    file: File, source: Source, start: int, stop: int, newlines: int
) -> Iterator[Record]:
    """The records of the lines that start in bytes ``[start, stop)``, which
    ``newlines`` newlines come before."""
    with open_input(file.path) as fh:
        if start > 0:
            fh.seek(start - 1)
            if fh.read(1) != b"\n":  # the range starts inside a line: it is the last range's
                # Its first line starts after the next newline before ``stop``,
                # if there is one. Looked for a block at a time, not by
                # readline: in a 200 MB line, each of its 50 ranges read the
                # rest of the line (5 GB in all, 13 s).
                at = start
                while True:
                    block = fh.read(min(stop - at, 1 << 20))
                    if not block:  # no line starts in the range
                        return
                    if (i := block.find(b"\n")) >= 0:
                        break
                    at += len(block)
                start, newlines = at + i + 1, newlines + 1
                fh.seek(start)
        yield from _records(fh, file, source, newlines, stop - start)


def document(
    file: File, source: Source, record: object, number: int, where: str, meta: dict[str, Any]
) -> Document:
    """The document of a parsed JSON record (a line here, an object of a JSON
    array in json_array), its id ``number`` when it has none."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object")
    if source.text_key not in record:
        raise InputError(
            f"{where}: no {source.text_key!r} field (it has {columns(list(record))}; "
            "choose one with --text-key)"
        )
    text = record[source.text_key]
    if not isinstance(text, str):
        raise InputError(f"{where}: field {source.text_key!r} is not a string")
    ident = record.get(source.id_key)
    doc_id = str(number) if ident is None else str(ident)
    return Document(f"{file.id_prefix}{doc_id}", text, meta)


def replaced(fields: dict[str, Any], key: str, text: str) -> bytes:
    """A record with its text replaced, every field kept in its order, as
    UTF-8 JSON (a lone surrogate as its escape: see write_atomic)."""
    line = json.dumps({**fields, key: text}, ensure_ascii=False)
    return line.encode("utf-8", "backslashreplace")


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
    Compressed as the output's ``name`` says."""
    with open_output(dest, name) as fh:
        for record in read(file, source):
            text = clean(record.doc)
            if text is None:
                continue
            assert record.raw is not None and record.fields is not None
            if text == record.doc.text:
                fh.write(record.raw if record.raw.endswith(b"\n") else record.raw + b"\n")
            else:
                fh.write(replaced(record.fields, source.text_key, text) + b"\n")


FORMAT = Format(
    "jsonl", compressed(".jsonl", ".ndjson"), read, write, Splitter(_ranges, _count, _read_range)
)
