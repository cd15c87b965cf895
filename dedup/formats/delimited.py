"""CSV and TSV (compressed or not): a header row naming the columns, then a
document a row, its text and id in the columns named by ``Source.text_key``
and ``id_key`` (without an id column, a row's number: 1 for the first row
after the header). A text is the field as the csv module reads it: quoted
line breaks, ``\\r\\n`` included, are kept, so offsets count them."""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from dedup.errors import InputError
from dedup.formats import (
    READ_ERRORS,
    Cleaner,
    File,
    Format,
    Record,
    Source,
    columns,
    compressed,
    open_input,
    open_output,
)
from dedup.models import Document

# A news article is longer than the csv module's default field limit (128 KB).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read(dialect: str, file: File, source: Source) -> Iterator[Record]:
    path = file.path
    # utf-8-sig: spreadsheets put a byte-order mark before the header (no text has it).
    with open_input(path) as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as fh:
        rows = csv.reader(fh, dialect)
        line = 0  # the physical line the last record ended on
        try:
            header = next(rows, None)
            if header is None:
                return
            line = rows.line_num
            if source.text_key not in header:
                raise InputError(
                    f"{path}:1: no {source.text_key!r} column (the header has {columns(header)}; "
                    "--text-key names one)"
                )
            text_at = header.index(source.text_key)
            id_at = header.index(source.id_key) if source.id_key in header else None
            n = 0
            for row in rows:
                start, line = line + 1, rows.line_num  # the lines the record spans
                if not row:  # a blank line
                    continue
                n += 1
                if len(row) != len(header):
                    raise InputError(
                        f"{path}:{start}: {len(row)} fields where the header has {len(header)}"
                    )
                doc_id = str(n) if id_at is None else row[id_at]
                meta = {"source": str(path), "line": start}
                doc = Document(f"{file.id_prefix}{doc_id}", row[text_at], meta)
                yield Record(doc, fields={"row": row})
        except UnicodeDecodeError as e:
            raise InputError(f"{path}:{line + 1}: not valid UTF-8 ({e.reason})") from None
        except csv.Error as e:
            raise InputError(
                f"{path}:{line + 1}: not valid {dialect_name(dialect)} ({e})"
            ) from None
        except READ_ERRORS as e:
            raise InputError(f"{path}:{line + 1}: cannot read ({e})") from None


def dialect_name(dialect: str) -> str:
    return "TSV" if dialect == "excel-tab" else "CSV"


def write(dialect: str, file: File, source: Source, dest: Path, name: str, clean: Cleaner) -> None:
    """The header as it was, then each kept row with every column, only its
    text replaced; compressed as ``name`` says, with a byte-order mark if
    the input had one."""
    with open_input(file.path) as head:
        marked = head.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    with open_input(file.path) as head, io.TextIOWrapper(head, "utf-8-sig", newline="") as lines:
        header = next(csv.reader(lines, dialect), None)
    encoding = "utf-8-sig" if marked else "utf-8"
    with open_output(dest, name) as raw, io.TextIOWrapper(raw, encoding, newline="") as fh:
        out = csv.writer(fh, dialect, lineterminator="\n")
        if header is None:
            return
        out.writerow(header)
        text_at = header.index(source.text_key)
        for record in read(dialect, file, source):
            text = clean(record.doc)
            if text is None:
                continue
            assert record.fields is not None
            row = list(record.fields["row"])
            row[text_at] = text
            out.writerow(row)


CSV = Format("csv", compressed(".csv"), partial(read, "excel"), partial(write, "excel"))
TSV = Format("tsv", compressed(".tsv"), partial(read, "excel-tab"), partial(write, "excel-tab"))
