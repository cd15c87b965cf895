"""Write a cleaned corpus back in its input's format, atomically.

A folder in gives a folder out with the same relative paths, an archive
(zip or tar) an archive of its kind with the same members; a file in gives
a file out, each written by its format (formats/): unchanged ``.txt`` files
are copied byte for byte, unchanged JSONL records keep their line as it was,
a changed record keeps every field and the field order, only its text
replaced. Dropped documents are left out. The caller writes under a staged
path (``outputs.staged``): the corpus and its removal log appear together or
not at all.
"""

from __future__ import annotations

import copy
import json
import shutil
import tarfile
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import groupby
from pathlib import Path
from typing import cast

from dedup.cores import cores
from dedup.formats import Cleaner, Source, open_output
from dedup.formats.archives import ZIP, archive_kind, member_of, tar_members, zip_members
from dedup.readers import input_files


def write_corpus(source: Source, dest: Path, clean: Cleaner, name: str) -> None:
    """Write the cleaned corpus at ``dest``, a new path that the caller
    stages (``outputs.staged``) for the output named ``name``. Files are
    cleaned in the corpus's order (``clean`` expects it); an archive's
    members are then packed into it by a thread, beside the next files."""
    files = input_files(source)
    if not source.path.is_dir() and member_of(files[0].path) is None:  # one file
        files[0].format.write(files[0], source, dest, name, clean)
        return
    if source.path.is_dir():
        dest.mkdir()
    workers = cores()
    placed = [(f, member_of(f.path)) for f in files]  # (archive, member) or None
    with ThreadPoolExecutor(workers) as pool:
        packing: deque[Future[None]] = deque()
        # (an archive's members are consecutive: their paths start alike)
        for archive, group in groupby(placed, lambda fm: fm[1][0] if fm[1] else None):
            if archive is None:
                for f, _ in group:
                    target = dest / f.rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    f.format.write(f, source, target, f.rel, clean)
                continue
            members = [(f, cast(tuple[Path, str], found)[1]) for f, found in group]
            # (its path in the corpus, by strings: a URL's are not this machine's)
            rel = members[0][0].rel.removesuffix(members[0][1]).rstrip("/")
            alone = not rel  # (named as the output is)
            target = dest / rel if rel else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            cleaned = []
            for i, (f, member) in enumerate(members):
                scratch = target.with_name(f"{target.name}.{i}.member")  # in the staged output
                f.format.write(f, source, scratch, member, clean)
                if scratch.exists():  # (not: a dropped document that was the file)
                    cleaned.append((member, scratch))
            pack = _zip if archive_kind(archive.name) == ZIP else _tar
            packing.append(
                pool.submit(pack, archive, cleaned, target, name if alone else target.name)
            )
            while len(packing) > workers:  # (the scratch files on disk: bounded)
                packing.popleft().result()
        for done in packing:
            done.result()


def _zip(archive: Path, cleaned: list[tuple[str, Path]], dest: Path, name: str) -> None:
    """A zip archive at ``dest`` of ``archive``'s members ``cleaned`` (name,
    file), each under its name, with its date and compression (the members
    of other kinds are left out, as a folder's files are; ``name`` is not
    needed: each member keeps its own compression)."""
    infos = zip_members(archive)
    with zipfile.ZipFile(dest, "w") as out:
        for member, scratch in cleaned:
            was = infos[member]
            info = zipfile.ZipInfo(member, was.date_time)
            info.compress_type, info.external_attr = was.compress_type, was.external_attr
            info.file_size = scratch.stat().st_size  # (ZIP64 past 2 GB)
            with scratch.open("rb") as src, out.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            scratch.unlink()


def _tar(archive: Path, cleaned: list[tuple[str, Path]], dest: Path, name: str) -> None:
    """A tar archive at ``dest`` of ``archive``'s members ``cleaned`` (name,
    file), in their order, each with its header but its size, compressed as
    ``name`` says (on every core: open_output)."""
    infos = tar_members(archive)
    with (
        open_output(dest, name) as raw,
        tarfile.open(fileobj=raw, mode="w|", format=tarfile.PAX_FORMAT) as out,
    ):
        for member, scratch in cleaned:
            info = copy.copy(infos[member])
            info.size = scratch.stat().st_size
            with scratch.open("rb") as src:
                out.addfile(info, src)
            scratch.unlink()


def write_removals(removals: Iterator[dict[str, object]], path: Path) -> int:
    """The removal log, one JSON object a line (lone surrogates as their JSON escapes)."""
    n = 0
    with path.open("w", encoding="utf-8", errors="backslashreplace") as fh:
        for r in removals:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n
