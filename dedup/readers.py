"""Stream documents from a corpus: a file, a folder of files (formats/), or
``-``, JSON Lines on standard input.

Text is decoded as UTF-8 with every character kept (``\\r`` included, no BOM
stripping), so offsets agree with the file as other tools read it with
``newline=''``. A folder is walked recursively in sorted path order; each
``.txt`` file is one document whose id is its path relative to the folder,
and the records of the other formats get ids ``relative/path.jsonl:<id>``.
A file of a kind no format claims is refused when named, and left out of a
folder (``left_out`` counts them, by suffix).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path

from dedup.errors import InputError
from dedup.formats import FORMATS, STDIN, File, Format, Source, format_of, supported
from dedup.models import Document


def input_files(source: Source | str | Path) -> list[File]:
    """The files a corpus stands for, in reading order."""
    source = source if isinstance(source, Source) else Source(Path(source))
    root = source.path
    if str(root) == STDIN:
        return [File(root, STDIN, FORMATS["jsonl"], "")]
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if not root.is_dir():
        kind = format_of(root)
        if kind is None:
            raise InputError(
                f"{root}: not a kind of file dedup reads; it reads {supported()}, "
                f"folders of them, and {STDIN} for JSON Lines on standard input"
            )
        return [File(root, root.name, kind, "")]
    found = [(p, f) for p, f in _walk(source) if f is not None]
    if not found:
        raise InputError(f"{root}: folder holds no files dedup reads ({supported()})")
    return [File(p, rel := _rel(p, root), f, f"{rel}:") for p, f in found]


def left_out(source: Source) -> Counter[str]:
    """How many files of each kind (suffix) a folder holds that no format reads."""
    if not source.path.is_dir():
        return Counter()
    return Counter(p.suffix.lower() or "(no suffix)" for p, f in _walk(source) if f is None)


def _walk(source: Source) -> list[tuple[Path, Format | None]]:
    """A folder's files that its globs let in, sorted, each with its format (or None)."""
    root = source.path
    files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: _rel(p, root))
    wanted = [
        p
        for p in files
        if (not source.include or any(fnmatchcase(_rel(p, root), g) for g in source.include))
        and not any(fnmatchcase(_rel(p, root), g) for g in source.exclude)
    ]
    return [(p, format_of(p)) for p in wanted]


def _rel(p: Path, root: Path) -> str:
    return p.relative_to(root).as_posix()


def read_documents(
    path: str | Path | Source, text_key: str = "text", id_key: str = "id"
) -> Iterator[Document]:
    """Yield documents one at a time; raise InputError naming the file (and line)."""
    source = path if isinstance(path, Source) else Source(Path(path), text_key, id_key)
    ids: set[str] = set()
    for file in input_files(source):
        for record in file.format.read(file, source):
            doc = record.doc
            if doc.id in ids:
                where = str(file.path)
                if "line" in doc.meta:
                    where += f":{doc.meta['line']}"
                elif "object" in doc.meta:
                    where += f": object {doc.meta['object']}"
                elif "row" in doc.meta:
                    where += f": row {doc.meta['row']}"
                elif "record" in doc.meta:
                    where += f": record {doc.meta['record']}"
                raise InputError(f"{where}: duplicate document id {doc.id!r}")
            ids.add(doc.id)
            yield doc
    if not ids:
        raise InputError(f"{source.path}: no documents")
