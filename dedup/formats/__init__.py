"""Input formats: which files a corpus may hold, how their documents are
read, and how a cleaned corpus is written back in kind.

Each format is a module of this package, registered in ``FORMATS`` with the
file-name suffixes it claims: a new format is one module and one line here.
A ``Source`` is everything that says how to read a corpus.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
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


# Archives read as folders of their members (readers._walk). A zip's table
# of contents finds any member at once. A tar's members follow one another,
# each behind its header: a plain tar's are found by their headers, but a
# compressed one's only by reading it from its start, so its members are
# read in turn, by one task (readers.parts), from where the last one ended
# (_InTurn). Each suffix with how a tar is decompressed (None: plain).
ZIP = ".zip"
TARS: dict[str, Callable[..., Any] | None] = {
    ".tar": None,
    ".tar.gz": gzip.open,
    ".tgz": gzip.open,
    ".tar.bz2": bz2.open,
    ".tar.xz": lzma.open,
    ".tar.zst": zstandard.open,
}
ARCHIVES = (ZIP, *TARS)
_MARK = re.compile(f"(?:{'|'.join(map(re.escape, ARCHIVES))})/")  # (in lower case)


def archive_kind(name: str) -> str | None:
    """The archive suffix ``name`` ends with, if any."""
    low = name.lower()
    return next((s for s in ARCHIVES if low.endswith(s)), None)


def member_of(path: Path) -> tuple[Path, str] | None:
    """The archive and the member in it that ``path`` names, if it names
    one: ``input_files`` names a member ``corpus.zip/folder/file.json``.
    (Called for every file opened: string work and a cached look at the
    disk, 0.2 s for 60,000 calls where Path's own methods took 3.7 s.)"""
    if is_url(path):
        return None
    name = str(path).replace(os.sep, "/")
    low = name.lower()
    if ".zip/" not in low and ".tar" not in low and ".tgz/" not in low:  # (most paths)
        return None
    for mark in _MARK.finditer(low):
        if _is_archive(name[: mark.end() - 1]):
            return Path(name[: mark.end() - 1]), name[mark.end() :]
    return None


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a zip or tar archive on this machine's disk (read
    as a folder of files: readers._walk)."""
    return not is_url(path) and archive_kind(path.name) is not None and path.is_file()


@lru_cache(maxsize=1024)
def _is_archive(name: str) -> bool:
    return is_archive(Path(name))


def open_zip(archive: Path) -> zipfile.ZipFile:
    """A zip archive for reading; one that is not one is said in one line."""
    with reading(archive):
        try:
            return zipfile.ZipFile(archive)
        except zipfile.BadZipFile as e:
            raise InputError(f"{archive}: not a zip archive, or a damaged one ({e})") from None


def _changed(archive: Path) -> tuple[int, int]:
    """What tells a file rewritten in place: its time and size."""
    with reading(archive):
        st = archive.stat()
    return st.st_mtime_ns, st.st_size


def _archive(archive: Path) -> zipfile.ZipFile:
    """``archive`` opened once for all its members (its table of contents is
    read as it opens: a member each would read it as often), by each
    process (a forked worker opens its own: one file offset is not shared),
    again if the file changed."""
    return _opened(archive, os.getpid(), *_changed(archive))


@lru_cache(maxsize=8)
def _opened(archive: Path, pid: int, mtime: int, size: int) -> zipfile.ZipFile:
    return open_zip(archive)


def tar_members(archive: Path) -> dict[str, tarfile.TarInfo]:
    """A tar archive's files (its other members are folders and links), by
    name, in archive order; listed once a process, again if it changed (a
    compressed one is read whole to list them). One that is not a tar
    archive, is damaged, or holds a name twice is said in one line."""
    return _listed(archive, *_changed(archive))


@lru_cache(maxsize=1024)  # (a crawl of many archives is listed once: 470 bytes a file)
def _listed(archive: Path, mtime: int, size: int) -> dict[str, tarfile.TarInfo]:
    found: dict[str, tarfile.TarInfo] = {}
    try:
        with _tar(archive) as tar:
            while (info := _next(tar)) is not None:
                if not info.isfile():
                    continue
                name = _normal(info.name)
                if name in found:
                    raise InputError(f"{archive}: holds {info.name!r} twice")
                found[name] = info
    except (tarfile.TarError, *READ_ERRORS) as e:
        raise InputError(f"{archive}: not a tar archive, or a damaged one ({reason(e)})") from None
    return found


def _next(tar: tarfile.TarFile) -> tarfile.TarInfo | None:
    """The next member's header; not kept by ``tar`` (which keeps every one)."""
    info = tar.next()
    cast(Any, tar).members.clear()  # (not in the type stubs)
    return info


def _normal(name: str) -> str:
    """A member's name as a path inside the archive says it (``./a//b``: ``a/b``)."""
    return str(PurePosixPath(name))


@contextmanager
def _tar(archive: Path) -> Iterator[tarfile.TarFile]:
    """A tar archive for reading: a plain one found header by header, a
    compressed one read from its start."""
    unpack = TARS[cast(str, archive_kind(archive.name))]
    if unpack is None:
        with tarfile.open(archive, "r:") as tar:
            yield tar
        return
    # (read a MB at a time: tarfile reads 10 KB, gzip's reader 8 KB)
    with (
        unpack(archive, "rb") as raw,
        tarfile.open(fileobj=io.BufferedReader(raw, 1 << 20), mode="r|") as tar,
    ):
        yield tar


class _InTurn:
    """A compressed tar archive read by one thread of one process, from its
    start, a member after another: the names it passed, and the member it
    gave last, kept if small (a format may open its file twice: a CSV file's
    header is read first)."""

    def __init__(self, archive: Path) -> None:
        self.opened = _tar(archive)
        self.tar = self.opened.__enter__()
        self.passed: set[str] = set()
        self.last: tuple[str, bytes] | None = None

    def open(self, name: str) -> IO[bytes] | None:
        """The member ``name``, or None if it is behind (or nowhere)."""
        if self.last is not None and self.last[0] == name:
            return io.BytesIO(self.last[1])
        self.last = None
        while name not in self.passed and (info := _next(self.tar)) is not None:
            if not info.isfile():
                continue
            self.passed.add(here := _normal(info.name))
            if here == name:
                member = cast(IO[bytes], self.tar.extractfile(info))
                if info.size > _KEEP:
                    return member
                self.last = (name, member.read())
                return io.BytesIO(self.last[1])
        return None

    def close(self) -> None:
        self.opened.__exit__(None, None, None)


# A compressed tar's member read last is kept up to this size.
_KEEP = 64 << 20

# Each thread's reader of a compressed tar archive: (archive, pid, thread,
# time, size) -> where it is. One a thread: another archive closes it.
_TURNS: dict[tuple[Path, int, int, int, int], _InTurn] = {}


def _tar_member(archive: Path, name: str) -> IO[bytes]:
    """The bytes of the tar member ``name``: a plain archive's found by its
    header (listed once a process), a compressed one's read in turn."""
    here = (archive, os.getpid(), threading.get_ident(), *_changed(archive))
    if in_turn(archive / name) is None:
        info = tar_members(archive).get(name)
        if info is None:
            raise InputError(f"{archive}/{name}: no such member in {archive}")
        return cast(IO[bytes], _plain(*here).extractfile(info))
    for fresh in (False, True):
        turn = _TURNS.get(here)
        if turn is None or fresh:
            _drop(lambda key: key[1:3] == here[1:3])  # (the thread's: it reads one at a time)
            turn = _TURNS[here] = _InTurn(archive)
        try:
            member = turn.open(name)
        except BaseException:
            _drop(lambda key: key == here)
            raise
        if member is not None:
            return member
    raise InputError(f"{archive}/{name}: no such member in {archive}")


def _drop(which: Callable[[tuple[Path, int, int, int, int]], bool]) -> None:
    for key in [k for k in _TURNS if which(k)]:
        _TURNS.pop(key).close()


@lru_cache(maxsize=8)
def _plain(archive: Path, pid: int, thread: int, mtime: int, size: int) -> tarfile.TarFile:
    """A plain tar archive opened once a thread (its members' reads seek)."""
    return tarfile.open(archive, "r:")


def in_turn(path: Path) -> Path | None:
    """The compressed tar archive whose member ``path`` is, if it is one:
    its members are read by one task, in archive order."""
    found = member_of(path)
    if found is None or TARS.get(cast(str, archive_kind(found[0].name))) is None:
        return None
    return found[0]


def _open_member(path: Path) -> IO[bytes] | None:
    """The bytes of the archive member ``path`` names, as stored (its own
    compression undone by the archive), or None if it names none."""
    found = member_of(path)
    if found is None:
        return None
    archive, name = found
    with reading(path):
        if archive_kind(archive.name) != ZIP:
            return _tar_member(archive, name)
        try:
            return _archive(archive).open(name)
        except KeyError:
            raise InputError(f"{path}: no such member in {archive}") from None


def archive_files(archive: Path) -> list[str]:
    """The names of the files an archive holds: a zip's, a tar's in archive order."""
    if archive_kind(archive.name) == ZIP:
        return [i.filename for i in _archive(archive).infolist() if not i.is_dir()]
    return list(tar_members(archive))


def size_of(path: Path) -> int:
    """The bytes a file of the corpus takes where it is stored (an archive
    member: in its archive, compressed; a compressed tar's by its share of
    the archive's files)."""
    found = member_of(path)
    if found is None:
        return path.stat().st_size
    archive, name = found
    if archive_kind(archive.name) == ZIP:
        return _archive(archive).getinfo(name).compress_size
    members = tar_members(archive)
    if in_turn(path) is None:
        return members[name].size
    total = sum(info.size for info in members.values()) or 1
    return _changed(archive)[1] * members[name].size // total


def open_input(path: Path) -> IO[bytes]:
    """``path`` for reading bytes, decompressed as its name says; ``-``: standard input."""
    if str(path) == STDIN:
        return sys.stdin.buffer
    opener = _opener(path.name)
    member = _open_member(path)  # (None but for a zip archive's member)
    with reading(path):
        if is_url(path):  # fsspec decompresses it (the same suffixes)
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
    member = _open_member(path)
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
