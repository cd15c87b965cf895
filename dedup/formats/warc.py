"""WARC and WET (``.warc``, ``.wet``, gzipped or not; read by FastWARC): a
document a record, its id the record's ``WARC-Record-ID``, its URL
(``WARC-Target-URI``) in its meta.

- A WET ``conversion`` record: its text as it is (UTF-8).
- A WARC ``response`` record with HTML: its main content as text, by
  Resiliparse's ``extract_plain_text`` (paragraphs, headings and list items
  a line each), the charset taken from the HTTP headers or detected.
  Offsets are into that text: ``dedup`` reports and cleans the text, not
  the HTML.
- Every other record (requests, metadata, warcinfo, responses that are not
  HTML) is skipped.

Cleaned, a file is written back as WET: a ``conversion`` record a kept
document, with its text, its record id, URL and date.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dedup.errors import InputError
from dedup.formats import Cleaner, File, Format, Record, Source, open_bytes, open_output
from dedup.models import Document

# Headers a WET record keeps from the record it was read from.
_KEPT = ("WARC-Record-ID", "WARC-Target-URI", "WARC-Date", "WARC-Identified-Content-Language")


def read(file: File, source: Source) -> Iterator[Record]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    path, n = file.path, 0
    try:
        with open_bytes(path) as fh:  # gzip is detected
            kinds = WarcRecordType.conversion | WarcRecordType.response
            for record in ArchiveIterator(fh, record_types=kinds):
                n += 1
                text = _text(record, f"{path}: record {n}")
                if text is None:
                    continue
                headers = dict(record.headers.items())
                meta = {"source": str(path), "record": n, "url": headers.get("WARC-Target-URI", "")}
                doc = Document(f"{file.id_prefix}{record.record_id}", text, meta)
                yield Record(doc, fields=headers)
    except OSError as e:
        raise InputError(f"{path}: record {n + 1}: cannot read ({e})") from None
    if n == 0 and not _is_warc(path):
        raise InputError(f"{path}: not a WARC file")


def _text(record: Any, where: str) -> str | None:
    from fastwarc.warc import WarcRecordType

    data = record.reader.read()
    if record.record_type == WarcRecordType.conversion:
        try:
            return str(data.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise InputError(f"{where}: not valid UTF-8 (byte {e.start})") from None
    if "html" not in (record.http_content_type or ""):
        return None
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    html = bytes_to_str(data, str(record.http_charset or detect_encoding(data)))
    return str(extract_plain_text(html, preserve_formatting=True, main_content=True))


def _is_warc(path: Path) -> bool:
    """Whether the file begins as a WARC file does (an empty one holds no records)."""
    with open_bytes(path) as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    with open_bytes(path) as raw, gzip.open(raw, "rb") if gzipped else raw as fh:
        return fh.read(4) in (b"", b"WARC")


def write(file: File, source: Source, dest: Path, name: str, clean: Cleaner) -> None:
    """WET: a conversion record a kept document (gzipped as ``name`` says)."""
    from fastwarc.warc import WarcRecord, WarcRecordType

    with open_output(dest, name) as fh:
        for record in read(file, source):
            text = clean(record.doc)
            if text is None:
                continue
            assert record.fields is not None
            out = WarcRecord()
            out.init_headers(record_type=WarcRecordType.conversion)
            for key in _KEPT:
                if key in record.fields:
                    out.headers[key] = record.fields[key]
            out.headers["Content-Type"] = "text/plain"
            out.set_bytes_content(text.encode("utf-8"))
            out.write(fh, checksum_data=True)


FORMAT = Format("warc", (".warc", ".warc.gz", ".wet", ".wet.gz"), read, write)
