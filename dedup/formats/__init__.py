"""Input formats: which files a corpus may hold, how their documents are
read, and how a cleaned corpus is written back in kind.

Each format is a module of this package, registered in ``FORMATS`` with the
file-name suffixes it claims: a new format is one module and one line here.
A ``Source`` is everything that says how to read a corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.models import Document


@dataclass(frozen=True, slots=True)
class Source:
    """A corpus: a file or a folder, and the options its formats read it with."""

    path: Path
    text_key: str = "text"  # JSONL: the field holding the text
    id_key: str = "id"  # JSONL: the field holding the id (default: the line number)


@dataclass(frozen=True, slots=True)
class Record:
    """A document and what its format needs to write it back (for JSONL the
    line it came from and its fields)."""

    doc: Document
    raw: bytes | None = None
    fields: dict[str, Any] | None = None


# doc -> its cleaned text, or None when it is dropped
Cleaner = Callable[[Document], str | None]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    suffixes: tuple[str, ...]  # lower case
    read: Callable[[File, Source], Iterator[Record]]  # a file's records, in order
    # (file, source, where to write it, the name it will have, cleaner): the
    # file cleaned, written in kind
    write: Callable[[File, Source, Path, str, Cleaner], None]


@dataclass(frozen=True, slots=True)
class File:
    """One file of a corpus: where it is, its format, and how its documents are named."""

    path: Path
    rel: str  # path relative to the corpus folder (the file name for a single file)
    format: Format
    id_prefix: str  # prepended to the ids of its records inside a folder (JSONL)


def _registry() -> dict[str, Format]:
    from dedup.formats import jsonl, txt

    return {f.name: f for f in (txt.FORMAT, jsonl.FORMAT)}


FORMATS = _registry()


def format_of(path: Path) -> Format | None:
    """The format a file's name claims, if any."""
    name = path.name.lower()
    return next((f for f in FORMATS.values() if any(name.endswith(s) for s in f.suffixes)), None)
