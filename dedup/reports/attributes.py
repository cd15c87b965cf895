"""Dolma attribute files (``--attributes DIR``): what a pipeline built on
Dolma's mixer, or anything that joins by file and line, consumes.

For each input file, one JSONL file at the same relative path under DIR (a
JSONL input's own name, compression included; any other's name plus
``.jsonl``), a line per document in the file's order::

    {"id": "<the record's id>", "attributes": {
        "dedup__within": [[start, end, similarity], ...],
        "dedup__formula": [...], "dedup__across": [...], "dedup__boilerplate": [...],
        "dedup__near_duplicate": [[0, length, jaccard]]}}

Spans are code-point offsets into the text, half-open, sorted by start.
Every key is there for every document (empty when nothing was found), as a
tagger's are. ``near_duplicate`` marks a document ``clean`` drops by
default: a cluster member its representative covers, with their Jaccard
similarity. The input is read again, for the files' document order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from dedup.errors import OutputError
from dedup.formats import Source, open_output
from dedup.models import SPAN_KINDS, ScanResult, Span
from dedup.outputs import staged

PREFIX = "dedup__"


def write_attributes(
    result: ScanResult, source: Source, folder: str | Path, force: bool = False
) -> None:
    """Write the folder whole or not at all (``outputs.staged``)."""
    from dedup.clean import CleanPolicy, plan
    from dedup.readers import input_files

    spans: dict[str, list[Span]] = defaultdict(list)
    for s in result.spans:
        spans[s.doc].append(s)
    dropped = plan(result, CleanPolicy()).dropped
    with staged([Path(folder)], force) as (tmp,):
        try:
            tmp.mkdir()
            for file in input_files(source):
                rel = file.rel if file.format.name == "jsonl" else f"{file.rel}.jsonl"
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with open_output(target, rel) as fh:
                    for record in file.format.read(file, source):
                        doc = record.doc
                        found: dict[str, list[list[Any]]] = {
                            f"{PREFIX}{k}": [] for k in (*SPAN_KINDS, "near_duplicate")
                        }
                        for s in sorted(spans.get(doc.id, ()), key=lambda s: (s.start, s.end)):
                            found[f"{PREFIX}{s.kind}"].append([s.start, s.end, s.similarity])
                        if (r := dropped.get(doc.id)) is not None:
                            found[f"{PREFIX}near_duplicate"].append([0, len(doc.text), r.jaccard])
                        line = {"id": doc.id.removeprefix(file.id_prefix), "attributes": found}
                        text = json.dumps(line, ensure_ascii=False) + "\n"
                        fh.write(text.encode("utf-8", "backslashreplace"))
        except OSError as e:
            raise OutputError(f"{folder}: cannot write ({e.strerror})") from None
