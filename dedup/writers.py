"""Write a cleaned corpus back in its input's format, atomically.

A folder in gives a folder out with the same relative paths; a file in gives
a file out, each written by its format (formats/): unchanged ``.txt`` files
are copied byte for byte, unchanged JSONL records keep their line as it was,
a changed record keeps every field and the field order, only its text
replaced. Dropped documents are left out. The caller writes under a staged
path (``outputs.staged``): the corpus and its removal log appear together or
not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from dedup.formats import Cleaner, Source
from dedup.readers import input_files


def write_corpus(source: Source, dest: Path, clean: Cleaner, name: str) -> None:
    """Write the cleaned corpus at ``dest``, a new path that the caller
    stages (``outputs.staged``) for the output named ``name``."""
    files = input_files(source)
    if source.path.is_dir():
        dest.mkdir()
        for f in files:
            target = dest / f.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            f.format.write(f, source, target, f.rel, clean)
    else:
        files[0].format.write(files[0], source, dest, name, clean)


def write_removals(removals: Iterator[dict[str, object]], path: Path) -> int:
    """The removal log, one JSON object a line (lone surrogates as their JSON escapes)."""
    n = 0
    with path.open("w", encoding="utf-8", errors="backslashreplace") as fh:
        for r in removals:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n
