"""Plain text (compressed or not): a file is one document, named by its path in the corpus."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from dedup.errors import InputError
from dedup.formats import (
    READ_ERRORS,
    Cleaner,
    File,
    Format,
    Record,
    Source,
    compressed,
    open_bytes,
    open_input,
    open_output,
)
from dedup.models import Document


def read(file: File, source: Source) -> Iterator[Record]:
    try:
        with open_input(file.path) as fh:
            data = fh.read()
    except READ_ERRORS as e:
        raise InputError(f"{file.path}: cannot read ({e})") from None
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
        with open_bytes(file.path) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out)
    else:
        with open_output(dest, name) as fh:
            fh.write(text.encode("utf-8"))


FORMAT = Format("txt", compressed(".txt"), read, write)
