"""Plain text: a file is one document, named by its path in the corpus."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from dedup.errors import InputError
from dedup.formats import Cleaner, File, Format, Record, Source
from dedup.models import Document


def read(file: File, source: Source) -> Iterator[Record]:
    try:
        data = file.path.read_bytes()
    except OSError as e:
        raise InputError(f"{file.path}: cannot read ({e.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{file.path}: not valid UTF-8 (byte {e.start})") from None
    yield Record(Document(file.rel, text, {"source": str(file.path)}))


def write(file: File, source: Source, dest: Path, name: str, clean: Cleaner) -> None:
    """Unchanged: copied byte for byte; dropped: not written."""
    (record,) = read(file, source)
    text = clean(record.doc)
    if text is None:
        return
    if text == record.doc.text:
        shutil.copyfile(file.path, dest)
    else:
        with dest.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)


FORMAT = Format("txt", (".txt",), read, write)
