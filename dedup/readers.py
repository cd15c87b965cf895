"""Stream documents from a corpus: a file, a folder of files (formats/), or
``-``, JSON Lines on standard input.

Text is decoded as UTF-8 with every character kept (``\\r`` included, no BOM
stripping), so offsets agree with the file as other tools read it with
``newline=''``. A folder is walked recursively in sorted path order (a zip
or tar archive in it is a folder of its name, a tar's files in archive
order); each ``.txt`` file is one document whose id is its path relative to
the folder, and the records of the other formats get ids
``relative/path.jsonl:<id>``. A file of a kind no format claims is refused
when named, and left out of a folder (``left_out`` counts them, by suffix).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path, PureWindowsPath

from dedup.cores import cores
from dedup.engines import Engine, run
from dedup.errors import InputError
from dedup.formats import (
    FORMATS,
    STDIN,
    File,
    Format,
    Source,
    format_of,
    location,
    reading,
    supported,
)
from dedup.formats.archives import (
    ZIP,
    archive_files,
    archive_kind,
    in_turn,
    is_archive,
    member_of,
    size_of,
)
from dedup.models import Document


def input_files(source: Source | str | Path) -> list[File]:
    """The files a corpus stands for, in reading order."""
    source = source if isinstance(source, Source) else Source(_path(source))
    root = source.path
    if str(root) == STDIN:
        return [File(root, STDIN, FORMATS["jsonl"], "")]
    with reading(root):  # a URL's storage may refuse: no network, no credentials
        return _files(source)


def _files(source: Source) -> list[File]:
    root = source.path
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    packed = is_archive(root)  # a folder of files
    if not (packed or root.is_dir()):
        kind = format_of(root)
        if kind is None:
            raise InputError(
                f"{root}: not a kind of file dedup reads; it reads {supported()}, "
                f"folders and zip or tar archives of them, and {STDIN} for JSON Lines "
                "on standard input"
            )
        return [File(root, root.name, kind, "")]
    found = [(p, f) for p, f in _walk(source) if f is not None]
    if not found:
        what = "archive" if packed else "folder"
        raise InputError(f"{root}: {what} holds no files dedup reads ({supported()})")
    return [File(p, rel := _rel(p, root), f, f"{rel}:") for p, f in found]


def left_out(source: Source) -> Counter[str]:
    """How many files of each kind (suffix) a folder (or archive) holds
    that no format reads."""
    if not (source.path.is_dir() or is_archive(source.path)):
        return Counter()
    return Counter(p.suffix.lower() or "(no suffix)" for p, f in _walk(source) if f is None)


def _walk(source: Source) -> list[tuple[Path, Format | None]]:
    """A folder's files that its globs let in, sorted, each with its format
    (or None); an archive's members count as files in a folder of its name
    (``corpus.zip/a.json``: formats.archives), a tar's in archive order,
    and an archive given as the corpus is that folder."""
    root = source.path
    if is_archive(root):
        files = _members(root)
    else:
        # (each file, or an archive, under the path that sorts it)
        found = sorted(
            (_rel(p, root) + "/", p) if is_archive(p) else (_rel(p, root), p)
            for p in root.rglob("*")
            if p.is_file()
        )
        # The archives listed on every core (a compressed tar is read whole
        # to list it; zlib, bz2, lzma and zstd let go of the GIL meanwhile).
        archives = [p for key, p in found if key.endswith("/")]
        with ThreadPoolExecutor(cores()) as pool:
            listed = dict(zip(archives, pool.map(_members, archives), strict=True))
        files = [q for key, p in found for q in (listed[p] if key.endswith("/") else [p])]
    wanted = [
        p
        for p in files
        if (not source.include or any(fnmatchcase(_rel(p, root), g) for g in source.include))
        and not any(fnmatchcase(_rel(p, root), g) for g in source.exclude)
    ]
    return [(p, format_of(p)) for p in wanted]


def _members(archive: Path) -> list[Path]:
    """The files an archive holds, as paths inside it: a zip's sorted, a
    tar's in archive order (a compressed one is read in turn). A member named
    outside it (``/etc/passwd``, ``../x``) is refused: it would name a file
    of this machine."""
    names = archive_files(archive)
    for name in names:
        parts = re.split(r"[/\\]", name)
        if not parts[0] or PureWindowsPath(name).drive or ".." in parts:
            raise InputError(f"{archive}: member {name!r} names a place outside the archive")
    paths = [archive / name for name in names]
    if archive_kind(archive.name) == ZIP:  # (a tar's stay in archive order)
        paths.sort(key=lambda p: p.as_posix())
    return paths


def _path(given: str | Path) -> Path:
    return location(given) if isinstance(given, str) else given


def _rel(p: Path, root: Path) -> str:
    return p.relative_to(root).as_posix()


def read_documents(
    path: str | Path | Source, text_key: str = "text", id_key: str = "id"
) -> Iterator[Document]:
    """Yield documents one at a time; raise InputError naming the file (and line)."""
    source = path if isinstance(path, Source) else Source(_path(path), text_key, id_key)
    ids = Ids(source)
    for file in input_files(source):
        for record in file.format.read(file, source):
            ids.add(record.doc.id, partial(place, file, record.doc))
            yield record.doc
    ids.done()


class Ids:
    """The ids of a corpus's documents, read in order: each once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.seen: set[str] = set()

    def add(self, doc_id: str, where: str | Callable[[], str]) -> None:
        """``where``: the document's place (``place``), or how to say it."""
        if doc_id in self.seen:
            where = where if isinstance(where, str) else where()
            raise InputError(f"{where}: duplicate document id {doc_id!r}")
        self.seen.add(doc_id)

    def done(self) -> None:
        if not self.seen:
            raise InputError(f"{self.source.path}: no documents")


def place(file: File, doc: Document) -> str:
    """Where a document is, for an error message: its file and record."""
    where = str(file.path)
    if "line" in doc.meta:
        where += f":{doc.meta['line']}"
    elif "object" in doc.meta:
        where += f": object {doc.meta['object']}"
    elif "row" in doc.meta:
        where += f": row {doc.meta['row']}"
    elif "record" in doc.meta:
        where += f": record {doc.meta['record']}"
    return where


# Bytes of input a task reads at most (a file read whole may hold more):
# about a thousand news articles.
PART_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class Part:
    """What a task reads of a file: all of it, or one range (formats.Splitter)."""

    file: File
    range: tuple[int, int] | None = None
    before: int = 0  # the records of the file's ranges before this one
    size: int = 0  # bytes of the file it reads (for progress)


def parts(source: Source, engine: Engine, size: int = PART_BYTES) -> list[list[Part]]:
    """The corpus cut for tasks to read, in order: big files in ranges, small
    ones together, a task's parts about ``size`` bytes. How many records
    come before each range is counted by the engine's tasks (a pass over
    the bytes, much quicker than parsing them)."""
    # By absolute paths: a worker started elsewhere (Dask's) has its own
    # working folder. The ids stay relative to the corpus.
    files = [replace(f, path=f.path.absolute()) for f in input_files(source)]
    # (an archive member is read whole: a compressed one cannot be entered in the middle)
    cuts = [
        (f, f.format.split.ranges(f, size) if f.format.split and not member_of(f.path) else None)
        for f in files
    ]
    counts = iter(run(engine, _count, [(f, r) for f, rs in cuts if rs for r in rs]))
    loads: list[list[Part]] = []
    held = size  # bytes in the last load
    turn: Path | None = None  # the compressed tar whose members the last load reads
    for file, ranges in cuts:
        if ranges:
            before = 0
            for r in ranges:
                loads.append([Part(file, r, before, r[1] - r[0])])
                before += next(counts)
            held = size
            continue
        # (a compressed tar's members: one load, read in turn)
        was, turn = turn, in_turn(file.path)
        if (turn is not None and turn != was) or (turn is None and held >= size):
            loads.append([])
            held = 0
        stored = size_of(file.path)
        loads[-1].append(Part(file, size=stored))
        held += stored
    return loads


def _count(item: tuple[File, tuple[int, int]]) -> int:
    file, (start, stop) = item
    assert file.format.split is not None
    return file.format.split.count(file, start, stop)


def read_parts(load: list[Part], source: Source) -> Iterator[tuple[Document, str]]:
    """The documents of a task's parts, each with its place (``place``)."""
    for part in load:
        file, split = part.file, part.file.format.split
        if part.range is None or split is None:
            records = file.format.read(file, source)
        else:
            records = split.read(file, source, *part.range, part.before)
        for record in records:
            yield record.doc, place(file, record.doc)
