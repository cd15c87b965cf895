"""Write a cleaned corpus back in its input's format, atomically.

A folder in gives a folder out with the same relative paths; a file in gives
a file out. Unchanged ``.txt`` files are copied byte for byte, unchanged
JSONL records keep their line as it was; a changed record keeps every field
and the field order, only its text replaced. Dropped documents are left out.
Everything is written under a temporary name beside the output and renamed
into place at the end, so an interrupted run leaves no partial output.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from dedup.errors import OutputError
from dedup.models import Document
from dedup.readers import InputFile, input_files, read_records

# doc -> its cleaned text, or None when it is dropped
Cleaner = Callable[[Document], str | None]


def check_destination(source: Path, out: Path, force: bool) -> None:
    """Refuse to write into the input or over an existing output (without force)."""
    src, dst = source.resolve(), out.resolve()
    if dst == src or src in dst.parents:
        raise OutputError(f"{out}: the output must not be the input or inside it")
    if dst in src.parents:
        raise OutputError(f"{out}: the output must not contain the input")
    if out.exists() and not force:
        raise OutputError(f"{out}: already exists (use --force to replace it)")
    if not out.parent.resolve().is_dir():
        raise OutputError(f"{out}: folder {out.parent} does not exist")


def write_corpus(
    source: Path, out: Path, clean: Cleaner, text_key: str, id_key: str, force: bool
) -> None:
    check_destination(source, out, force)
    files = input_files(source)
    with _staged(out) as tmp:
        if source.is_dir():
            tmp.mkdir()
            for f in files:
                dest = tmp / f.rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                _write_file(f, dest, clean, text_key, id_key)
        else:
            _write_file(files[0], tmp, clean, text_key, id_key)


def _write_file(f: InputFile, dest: Path, clean: Cleaner, text_key: str, id_key: str) -> None:
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
    with _open_out(dest) as fh:
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
def _open_out(dest: Path) -> Iterator[IO[bytes]]:
    if dest.name.lower().endswith(".gz"):
        with gzip.open(dest, "wb") as gz:
            yield cast(IO[bytes], gz)
    else:
        with dest.open("wb") as fh:
            yield fh


@contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out``, renamed to ``out`` on success, removed on failure."""
    folder = tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(folder) / out.name
    try:
        yield tmp
        old = None
        if out.exists():  # --force: move the old output aside, then delete it
            old = Path(folder) / ".old"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    except OSError as e:
        raise OutputError(f"{out}: cannot write ({e.strerror})") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_removals(removals: Iterator[dict[str, object]], path: Path) -> int:
    """The removal log, one JSON object a line, written atomically."""
    n = 0
    with _staged(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for r in removals:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n
