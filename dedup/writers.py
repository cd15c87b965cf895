"""Write a cleaned corpus back in its input's format, atomically.

A folder in gives a folder out with the same relative paths; a file in gives
a file out. Unchanged ``.txt`` files are copied byte for byte, unchanged
JSONL records keep their line as it was; a changed record keeps every field
and the field order, only its text replaced. Dropped documents are left out.
The caller writes under a staged path (``outputs.staged``): the corpus and
its removal log appear together or not at all.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from dedup.models import Document
from dedup.readers import InputFile, input_files, read_records

# doc -> its cleaned text, or None when it is dropped
Cleaner = Callable[[Document], str | None]


def write_corpus(
    source: Path, dest: Path, clean: Cleaner, text_key: str, id_key: str, name: str
) -> None:
    """Write the cleaned corpus at ``dest``, a new path that the caller
    stages (``outputs.staged``) for the output named ``name``."""
    files = input_files(source)
    if source.is_dir():
        dest.mkdir()
        for f in files:
            target = dest / f.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_file(f, target, clean, text_key, id_key, f.rel)
    else:
        _write_file(files[0], dest, clean, text_key, id_key, name)


def _write_file(
    f: InputFile, dest: Path, clean: Cleaner, text_key: str, id_key: str, name: str
) -> None:
    if not f.jsonl:
        (record,) = read_records(f)
        text = clean(record.doc)
        if text is None:
            return
        if text == record.doc.text:
            shutil.copyfile(f.path, dest)
        else:
            with dest.open("w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        return
    with _open_out(dest, name.lower().endswith(".gz")) as fh:
        for record in read_records(f, text_key, id_key):
            text = clean(record.doc)
            if text is None:
                continue
            assert record.raw is not None and record.fields is not None
            if text == record.doc.text:
                fh.write(record.raw if record.raw.endswith(b"\n") else record.raw + b"\n")
            else:
                fields = {**record.fields, text_key: text}  # same keys, same order
                line = json.dumps(fields, ensure_ascii=False)
                fh.write(line.encode("utf-8", "backslashreplace") + b"\n")  # see write_atomic


@contextmanager
def _open_out(dest: Path, compressed: bool) -> Iterator[IO[bytes]]:
    if compressed:
        with gzip.open(dest, "wb") as gz:
            yield cast(IO[bytes], gz)
    else:
        with dest.open("wb") as fh:
            yield fh


def write_removals(removals: Iterator[dict[str, object]], path: Path) -> int:
    """The removal log, one JSON object a line (lone surrogates as their JSON escapes)."""
    n = 0
    with path.open("w", encoding="utf-8", errors="backslashreplace") as fh:
        for r in removals:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n
