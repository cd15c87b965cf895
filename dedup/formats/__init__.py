"""Input formats: which files a corpus may hold, how their documents are
read, and how a cleaned corpus is written back in kind.

Each format is a module of this package, registered in ``FORMATS`` with the
file-name suffixes it claims: a new format is one module and one line here.
A ``Source`` is everything that says how to read a corpus.
Zip and tar archives are read as folders of their files (``archives.py``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from dedup.errors import InputError
from dedup.formats.compress import KINDS, BlockWriter
from dedup.models import Document

# "-" as the input: JSON Lines on standard input.
STDIN = "-"


@dataclass(frozen=True, slots=True)
class Source:
    """A corpus: a file or a folder, and the options its formats read it with."""

    path: Path
    text_key: str = "text"  # JSONL, JSON, CSV: the field or column holding the text
    id_key: str = "id"  # ... the id (default: the record's number)
    # Globs a folder's files must match (any of ``include``, none of
    # ``exclude``), on their path relative to the folder; "*" spans folders too.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.path, str):  # as read_documents takes it: a path or a URL
            object.__setattr__(self, "path", location(self.path))


@dataclass(frozen=True, slots=True)
class Record:
    """A document and what its format needs to write it back (for JSONL the
    line it came from and its fields)."""

    doc: Document
    raw: bytes | None = None  # JSONL: the line as it was
    fields: dict[str, Any] | None = None


# doc -> its cleaned text, or None when it is dropped
Cleaner = Callable[[Document], str | None]


@dataclass(frozen=True, slots=True)
class Splitter:
    """How a format's big file is read in parts, by several tasks at once."""

    # (file, about how many bytes a part): the parts' ranges ``(start, stop)``
    # in the format's unit (bytes, row groups), or None: the file is read whole.
    ranges: Callable[[File, int], list[tuple[int, int]] | None]
    # (file, start, stop): how many records (lines, rows) a range holds.
    count: Callable[[File, int, int], int]
    # (file, source, start, stop, the count of the ranges before it): its records.
    read: Callable[[File, Source, int, int, int], Iterator[Record]]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    suffixes: tuple[str, ...]  # lower case
    read: Callable[[File, Source], Iterator[Record]]  # a file's records, in order
    # (file, source, where to write it, the name it will have, cleaner): the
    # file cleaned, written in kind
    write: Callable[[File, Source, Path, str, Cleaner], None]
    split: Splitter | None = None  # None: a file is read whole, by one task


@dataclass(frozen=True, slots=True)
class File:
    """One file of a corpus: where it is, its format, and how its documents are named."""

    path: Path
    rel: str  # path relative to the corpus folder (the file name for a single file)
    format: Format
    id_prefix: str  # prepended to the ids of its records inside a folder (JSONL)


def _registry() -> dict[str, Format]:
    from dedup.formats import delimited, json_array, jsonl, parquet, txt, warc

    found = [txt.FORMAT, jsonl.FORMAT, json_array.FORMAT, delimited.CSV, delimited.TSV]
    found += [parquet.FORMAT, warc.FORMAT]
    return {f.name: f for f in found}


# Compressed inputs, known by their suffix (written back compressed the same
# way: open_output).
_OPEN: dict[str, Callable[..., Any]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
    ".zst": zstandard.open,
}
COMPRESSIONS = tuple(_OPEN)


def compressed(*suffixes: str) -> tuple[str, ...]:
    """``suffixes``, and each of them compressed."""
    return tuple(s + c for s in suffixes for c in ("", *COMPRESSIONS))


def is_compressed(path: Path) -> bool:
    return _opener(path.name) is not None


def _opener(name: str) -> Callable[..., Any] | None:
    return _OPEN.get(_compression(name) or "")


def _compression(name: str) -> str | None:
    """The compression suffix ``name`` ends with, if any."""
    return next((s for s in COMPRESSIONS if name.lower().endswith(s)), None)


def location(given: str) -> Path:
    """A corpus as given: a path, or a URL (``s3://bucket/crawl/``, ``gs://``,
    ``https://``, ...) that fsspec reads wherever a task runs, as a
    ``upath.UPath``: the few ``Path`` calls the formats make (``open``,
    ``stat``, ``rglob``, ``relative_to``) work on both."""
    if "://" not in given:
        return Path(given)
    try:
        from upath import UPath
    except ImportError:
        raise InputError(f"{given}: reading URLs needs pip install 'dedup[remote]'") from None
    try:
        url = UPath(given)
        url.fs  # noqa: B018 (its driver is loaded here: a missing one is said now)
    except (ImportError, ValueError, OSError) as e:  # no driver, or one that cannot start
        raise InputError(f"{given}: cannot read this URL ({reason(e)})") from None
    with reading(cast(Path, url)):
        url.exists()  # no network, no credentials: said here, once
    return cast(Path, url)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """An error reading ``path`` as one line (InputError): an OSError, or
    for a URL any error of its storage's driver (each has errors of its own)."""
    try:
        yield
    except InputError:
        raise
    except Exception as e:
        if not (isinstance(e, OSError) or is_url(path)):
            raise
        raise InputError(f"{path}: cannot read ({reason(e)})") from None


def reason(e: BaseException) -> str:
    """An error's first line, for a message of one line."""
    text = str(e.strerror or e) if isinstance(e, OSError) else str(e)
    return text.splitlines()[0] if text.strip() else type(e).__name__


def is_url(path: Path) -> bool:
    """Whether ``path`` is a URL (``location``), not this machine's."""
    return not isinstance(path, Path)


def open_input(path: Path) -> IO[bytes]:
    """``path`` for reading bytes, decompressed as its name says; ``-``: standard input."""
    from dedup.formats.archives import open_member

    if str(path) == STDIN:
        return sys.stdin.buffer
    opener = _opener(path.name)
    member = open_member(path)  # (None but for an archive's member)
    with reading(path):
        if is_url(path) and member is None:  # fsspec decompresses it (the same suffixes)
            raw = open_bytes(path, compression="infer")
            # Buffered here: fsspec's own readline costs a block's copy a line (40x slower).
            return raw if opener else io.BufferedReader(cast(Any, raw), 1 << 20)
        if opener is None:  # read a line at a time: with 8 KB reads, 0.06 s more on SaudiNewsNet
            return member if member is not None else path.open("rb", buffering=1 << 20)
        fh = opener(member if member is not None else path, "rb")
        # zstandard's reader has no readline: buffered, it has.
        return cast(IO[bytes], io.BufferedReader(fh) if opener is zstandard.open else fh)


def open_bytes(path: Path, **options: Any) -> IO[bytes]:
    """``path``'s bytes as they are; a URL's fetched 4 MB a request. (fsspec
    fetches a block beyond each read: by default 50 MB, twelve times what a
    task reads of a JSON Lines file.)"""
    from dedup.formats.archives import open_member

    member = open_member(path)
    if member is not None:
        return member
    if not is_url(path):
        return path.open("rb")
    return cast(IO[bytes], cast(Any, path).open("rb", block_size=1 << 22, **options))


def open_output(dest: Path, name: str) -> IO[bytes]:
    """``dest`` for writing bytes, compressed as ``name`` (the output's final
    name) says: on every core (``compress``; zstd's own threads)."""
    suffix = ".gz" if name.lower().endswith(".tgz") else _compression(name)
    if suffix in KINDS:
        return cast(IO[bytes], BlockWriter(dest.open("wb"), suffix))
    if suffix == ".zst":
        return cast(
            IO[bytes], zstandard.open(dest, "wb", cctx=zstandard.ZstdCompressor(threads=-1))
        )
    return dest.open("wb")


def columns(names: Sequence[str]) -> str:
    """A table's column names for an error message: the first 12."""
    return ", ".join(map(repr, names[:12])) + (", ..." if len(names) > 12 else "")


# What reading a damaged compressed file (or archive member) raises, besides OSError.
READ_ERRORS = (
    OSError, EOFError, lzma.LZMAError, zstandard.ZstdError, zipfile.BadZipFile, zlib.error,
    tarfile.TarError,
)  # fmt: skip


FORMATS = _registry()


def format_of(path: Path) -> Format | None:
    """The format a file's name claims, if any."""
    name = path.name.lower()
    return next((f for f in FORMATS.values() if any(name.endswith(s) for s in f.suffixes)), None)


def supported() -> str:
    """The suffixes dedup reads, for an error message."""
    suffixes = [s for f in FORMATS.values() for s in f.suffixes]
    packed = [s for s in suffixes if all(s + c in suffixes for c in COMPRESSIONS)]
    whole = [s for s in suffixes if s not in packed and s[: s.rfind(".")] not in packed]
    return f"{', '.join(packed)} (also as {', '.join(COMPRESSIONS)}), {', '.join(whole)}"
