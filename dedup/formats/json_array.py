"""JSON (``.json``, compressed or not): one array of objects, a document an
object, parsed one object at a time (ijson), so that a big file streams. The
text and id are in the fields named by ``Source.text_key`` and ``id_key``
(without an id, the object's number: 1 for the first)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import IO

import ijson

from dedup.errors import InputError
from dedup.formats import (
    READ_ERRORS,
    Cleaner,
    File,
    Format,
    Record,
    Source,
    compressed,
    open_input,
    open_output,
)
from dedup.formats.jsonl import document, replaced

# ijson's pure-Python parser: its C one (yajl) turns a lone surrogate
# ("\ud800", valid JSON) into "?", which clean would then write back.
_BACKEND = ijson.get_backend("python")


class _Reads(io.RawIOBase):
    """A file as ijson reads it, its read error (a cut compressed file) kept
    for ``read`` to raise: raised inside ijson's generators, it leaves one of
    them to fail again when collected, printing a traceback after our line."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self.fh.read(size)
        except READ_ERRORS as e:
            self.error = e
            return b""  # the end, to ijson


def read(file: File, source: Source) -> Iterator[Record]:
    path, n = file.path, 0
    with open_input(path) as fh:
        reads = _Reads(fh)
        try:
            events = _BACKEND.parse(reads, use_float=True)
            first = next(events, None)
            if first is None:
                return
            if first[1] != "start_array":
                hint = "; --exclude leaves it out of the folder" if file.id_prefix else ""
                raise InputError(
                    f"{path}: not a JSON array of objects (one object a line is "
                    f"JSON Lines: name the file .jsonl{hint})"
                )
            for n, record in enumerate(_BACKEND.items(chain([first], events), "item"), start=1):
                meta = {"source": str(path), "object": n}
                doc = document(file, source, record, n, f"{path}: object {n}", meta)
                yield Record(doc, fields=record)
        except ijson.JSONError as e:
            if reads.error is not None:  # the file is cut, not its JSON wrong
                raise InputError(f"{path}: object {n + 1}: cannot read ({reads.error})") from None
            raise InputError(f"{path}: object {n + 1}: not valid JSON ({e})") from None
        except READ_ERRORS as e:
            raise InputError(f"{path}: object {n + 1}: cannot read ({e})") from None


def write(file: File, source: Source, dest: Path, name: str, clean: Cleaner) -> None:
    """An array of the kept objects, an object a line, each with every field
    in its order, only its text replaced; compressed as ``name`` says."""
    with open_output(dest, name) as fh:
        fh.write(b"[")
        sep = b"\n"
        for record in read(file, source):
            text = clean(record.doc)
            if text is None:
                continue
            assert record.fields is not None
            fh.write(sep + replaced(record.fields, source.text_key, text))
            sep = b",\n"
        fh.write(b"\n]\n")


FORMAT = Format("json", compressed(".json"), read, write)
