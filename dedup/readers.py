"""Stream documents from a corpus: a file, or a folder of files (formats/).

Text is decoded as UTF-8 with every character kept (``\\r`` included, no BOM
stripping), so offsets agree with the file as other tools read it with
``newline=''``. A folder is walked recursively in sorted path order; each
``.txt`` file is one document whose id is its path relative to the folder, and
each JSONL file's records get ids ``relative/path.jsonl:<id>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dedup.errors import InputError
from dedup.formats import File, Source, format_of
from dedup.formats.txt import FORMAT as TXT
from dedup.models import Document


def input_files(path: str | Path) -> list[File]:
    """The files a path stands for, in reading order."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if not root.is_dir():  # a file named by the user is read as text unless it says otherwise
        return [File(root, root.name, format_of(root) or TXT, "")]
    found = [(p, f) for p in root.rglob("*") if p.is_file() and (f := format_of(p))]
    if not found:
        raise InputError(f"{root}: folder holds no .txt or .jsonl files")
    out = []
    for p, f in sorted(found, key=lambda x: x[0].relative_to(root).as_posix()):
        rel = p.relative_to(root).as_posix()
        out.append(File(p, rel, f, f"{rel}:"))
    return out


def read_documents(
    path: str | Path | Source, text_key: str = "text", id_key: str = "id"
) -> Iterator[Document]:
    """Yield documents one at a time; raise InputError naming the file (and line)."""
    source = path if isinstance(path, Source) else Source(Path(path), text_key, id_key)
    ids: set[str] = set()
    for file in input_files(source.path):
        for record in file.format.read(file, source):
            doc = record.doc
            if doc.id in ids:
                where = f"{file.path}:{doc.meta['line']}" if "line" in doc.meta else str(file.path)
                raise InputError(f"{where}: duplicate document id {doc.id!r}")
            ids.add(doc.id)
            yield doc
    if not ids:
        raise InputError(f"{source.path}: no documents")
