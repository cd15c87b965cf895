"""JSON (``.json``, compressed or not): one array of objects, a document an
object, parsed one object at a time (ijson), so that a big file streams. The
text and id are in the fields named by ``Source.text_key`` and ``id_key``
(without an id, the object's number: 1 for the first)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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

# ijson's pure-Python parser reads every JSON text exactly. Its C parser
# (yajl) is 7x faster (SaudiNewsNet's 12.6 MB files: 0.08 s, not 0.56 s),
# but turns a lone surrogate ("\ud800", valid JSON) into "?", which clean
# would then write back, and refuses integers past 64 bits: a file is read
# by it until it meets either, then again by the exact one, from the first
# object not yet given (tests/test_formats.py holds the two equal).
_EXACT = ijson.get_backend("python")
try:
    _FAST: Any = ijson.get_backend("yajl2_c")
except ImportError:  # a platform without ijson's compiled wheel
    _FAST = None
# A surrogate's escape (or what looks like one, an escaped backslash before
# "ud800": the exact parser then reads the file), high or low.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_ESCAPE = 11  # the bytes of an escape and the start of its pair's


class _Reads(io.RawIOBase):
    """A file as ijson reads it. Its read error (a cut compressed file) is
    kept for ``read`` to raise: raised inside ijson's generators, it leaves
    one of them to fail again when collected, printing a traceback after
    our line. For the C parser (``watch``), it ends where a lone surrogate's
    escape is, before handing it over (``lone``). ``first``: the first byte
    that is not white space."""

    def __init__(self, fh: IO[bytes], watch: bool) -> None:
        self.fh, self.watch = fh, watch
        self.error: BaseException | None = None
        self.lone = False
        self.first = b""
        self.tail = b""  # the last bytes handed over

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # (what the C parser calls; read calls it too)
        block = self._next(len(buffer))
        buffer[: len(block)] = block
        return len(block)

    def _next(self, size: int) -> bytes:
        if self.lone:
            return b""
        try:
            block = self.fh.read(size)
        except READ_ERRORS as e:
            self.error = e
            return b""  # the end, to ijson
        if not self.first:
            self.first = block.lstrip()[:1]
        if self.watch:
            # The escapes in the last bytes are judged with the bytes after
            # them (the next block's), and those after them with the 6 before.
            seen = self.tail + block
            done = max(0, len(self.tail) - _ESCAPE)  # judged with the last block
            last = len(seen) if not block else len(seen) - _ESCAPE
            if _lone(seen, done, last):
                self.lone = True
                return b""
            self.tail = seen[-_ESCAPE - 6 :]
        return block


def _lone(seen: bytes, done: int, last: int) -> bool:
    """Whether a surrogate's escape starting in ``seen[done:last]`` is not
    half of a pair (a high one and a low one right after it)."""
    paired = -1  # where the low half of the last pair starts
    for m in _SURROGATE.finditer(seen):
        if m.start() == paired:
            continue
        high = m.group()[3:4] in b"89abAB"
        if high and _LOW.match(seen, m.end()):
            paired = m.end()
        elif done <= m.start() < last:
            return True
    return False


def read(file: File, source: Source) -> Iterator[Record]:
    path, given = file.path, 0
    for backend in [_FAST, _EXACT] if _FAST is not None else [_EXACT]:
        n = 0
        with open_input(path) as fh:
            reads = _Reads(fh, backend is _FAST)
            try:
                for n, record in enumerate(backend.items(reads, "item", use_float=True), 1):
                    if n <= given:  # given before the exact parser took over
                        continue
                    meta = {"source": str(path), "object": n}
                    doc = document(file, source, record, n, f"{path}: object {n}", meta)
                    yield Record(doc, fields=record)
                    given = n
            except ijson.JSONError as e:
                if reads.error is not None:  # the file is cut, not its JSON wrong
                    raise InputError(
                        f"{path}: object {n + 1}: cannot read ({reads.error})"
                    ) from None
                if backend is _FAST:
                    continue  # the exact parser reads it, or says what is wrong
                if reads.first not in (b"", b"["):
                    raise _not_array(file) from None
                raise InputError(f"{path}: object {n + 1}: not valid JSON ({e})") from None
            except READ_ERRORS as e:
                raise InputError(f"{path}: object {n + 1}: cannot read ({e})") from None
            if reads.lone:
                continue
            if reads.first not in (b"", b"["):
                raise _not_array(file)
            return


def _not_array(file: File) -> InputError:
    hint = "; --exclude leaves it out of the folder" if file.id_prefix else ""
    return InputError(
        f"{file.path}: not a JSON array of objects (one object a line is "
        f"JSON Lines: name the file .jsonl{hint})"
    )


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
