"""Archives read as folders of their files: zip and tar (plain or
compressed), found by their suffix.

A zip's table of contents finds any member at once. A tar's members follow
one another, each behind its header: a plain tar's are found by their
headers, but a compressed one's only by reading it from its start, so its
members are read in turn, by one task (readers.parts), from where the last
one ended (_InTurn). Members are named as files of a folder of the
archive's name: ``corpus.zip/folder/file.json`` (readers._walk).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

import zstandard

from dedup.errors import InputError
from dedup.formats import READ_ERRORS, is_url, open_bytes, reading, reason

ZIP = ".zip"
# Each tar suffix with how its archive is decompressed (None: plain).
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
    name = str(path) if is_url(path) else str(path).replace(os.sep, "/")
    low = name.lower()
    if ".zip/" not in low and ".tar" not in low and ".tgz/" not in low:  # (most paths)
        return None
    for mark in _MARK.finditer(low):
        archive = name[: mark.end() - 1]
        if _is_archive(archive):
            return _path(archive), name[mark.end() :]
    return None


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a zip or tar archive (read as a folder of files:
    readers._walk), here or at a URL."""
    return archive_kind(path.name) is not None and path.is_file()


@lru_cache(maxsize=1024)
def _is_archive(name: str) -> bool:
    return is_archive(_path(name))


@lru_cache(maxsize=1024)
def _here(name: str) -> Path:
    """A path of this machine's, made once (a member's path is asked for often)."""
    return Path(name)


def _path(name: str) -> Path:
    """The path or URL ``name``: a URL's made anew (it holds its storage's
    client, which a forked worker must not share: fsspec's are not fork-safe)."""
    if "://" not in name:
        return _here(name)
    from upath import UPath

    return cast(Path, UPath(name))


def _changed(archive: Path) -> tuple[int, int]:
    """What tells a file rewritten in place: its time and size (a URL's
    looked at once a process: a request each member would cost more)."""
    return _url_stat(str(archive)) if is_url(archive) else _stat(archive)


def _stat(path: Path) -> tuple[int, int]:
    with reading(path):
        st = path.stat()
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=1024)
def _url_stat(url: str) -> tuple[int, int]:
    return _stat(_path(url))


def _archive(archive: Path) -> zipfile.ZipFile:
    """``archive`` opened once for all its members (its table of contents is
    read as it opens: a member each would read it as often), by each
    process (a forked worker opens its own: one file offset is not shared),
    again if the file changed."""
    return _opened(archive, os.getpid(), *_changed(archive))


@lru_cache(maxsize=8)
def _opened(archive: Path, pid: int, mtime: int, size: int) -> zipfile.ZipFile:
    """A zip archive for reading; one that is not one is said in one line."""
    with reading(archive):
        try:
            # (a URL's: fetched a block at a time, formats.open_bytes)
            return zipfile.ZipFile(open_bytes(archive) if is_url(archive) else archive)
        except zipfile.BadZipFile as e:
            raise InputError(f"{archive}: not a zip archive, or a damaged one ({e})") from None


def zip_members(archive: Path) -> dict[str, zipfile.ZipInfo]:
    """A zip archive's members (folders too), by name, from its table of
    contents (read once a process)."""
    return {info.filename: info for info in _archive(archive).infolist()}


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
    with open_bytes(archive) as raw:
        if unpack is None:
            with tarfile.open(fileobj=raw, mode="r:") as tar:
                yield tar
            return
        # (read a MB at a time: tarfile reads 10 KB, gzip's reader 8 KB)
        with (
            unpack(raw, "rb") as unpacked,
            tarfile.open(fileobj=io.BufferedReader(unpacked, 1 << 20), mode="r|") as tar,
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
    if not _compressed(archive):
        info = _listed(archive, *here[3:]).get(name)  # (the archive's time and size: one stat)
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
    return tarfile.open(fileobj=open_bytes(archive), mode="r:")


def in_turn(path: Path) -> Path | None:
    """The compressed tar archive whose member ``path`` is, if it is one:
    its members are read by one task, in archive order."""
    found = member_of(path)
    return found[0] if found is not None and _compressed(found[0]) else None


def _compressed(archive: Path) -> bool:
    """Whether ``archive`` is a compressed tar (read from its start)."""
    return TARS.get(archive_kind(archive.name) or "") is not None


def open_member(path: Path) -> IO[bytes] | None:
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
        return [name for name, info in zip_members(archive).items() if not info.is_dir()]
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
    stored = _changed(archive)
    unpacked = _listed(archive, *stored)[name].size
    return stored[1] * unpacked // _unpacked(archive, *stored) if _compressed(archive) else unpacked


@lru_cache(maxsize=1024)
def _unpacked(archive: Path, mtime: int, size: int) -> int:
    """The bytes a compressed tar's files take unpacked (at least 1)."""
    return sum(info.size for info in _listed(archive, mtime, size).values()) or 1
