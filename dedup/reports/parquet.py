"""Findings as one Parquet table, for pandas, polars or DuckDB: a row a
duplicated span and a row a verified document pair, told apart by ``type``.

- ``type``: ``span`` or ``pair``;
- ``doc``, ``start``, ``end``: the copy (code-point offsets, half-open), or
  a pair's document ``a`` (0 and its length);
- ``kind``: a span's (within, formula, across, boilerplate), or ``member``
  (a cluster's member and its representative) or ``related`` for a pair;
- ``match``: paragraph or passage (null for a pair);
- ``similarity``: the span's, or the pair's Jaccard similarity;
- ``of_doc``, ``of_start``, ``of_end``: what the span copies, or document ``b``;
- ``cluster``: a member pair's cluster id (else null);
- ``a_in_b``, ``b_in_a``: a pair's containment each way (else null).

The table's metadata holds ``dedup.schema`` (``dedup.findings-parquet/1``)
and the scan's settings as JSON (``dedup.config``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dedup import __version__
from dedup.errors import OutputError
from dedup.models import DocPair, ScanResult
from dedup.outputs import staged

SCHEMA = "dedup.findings-parquet/1"


def write_parquet(result: ScanResult, path: str | Path, force: bool = False) -> None:
    """Write the table whole or not at all (``outputs.staged``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    chars = {d.id: d.chars for d in result.documents}
    rows: dict[str, list[Any]] = {name: [] for name in _COLUMNS}

    def add(**row: Any) -> None:
        for name in _COLUMNS:
            rows[name].append(row.get(name))

    for s in result.spans:
        o = s.duplicate_of
        add(type="span", doc=s.doc, start=s.start, end=s.end, kind=s.kind, match=s.match,
            similarity=s.similarity, of_doc=o.doc, of_start=o.start, of_end=o.end)  # fmt: skip

    def pair(p: DocPair, kind: str, cluster: int | None) -> None:
        add(type="pair", doc=p.a, start=0, end=chars.get(p.a), kind=kind,
            similarity=round(p.jaccard, 4), of_doc=p.b, of_start=0, of_end=chars.get(p.b),
            cluster=cluster, a_in_b=round(p.a_in_b, 4), b_in_a=round(p.b_in_a, 4))  # fmt: skip

    for c in result.clusters:
        for p in c.pairs:
            pair(p, "member", c.id)
    for p in result.related:
        pair(p, "related", None)
    types = {name: _COLUMNS[name](pa) for name in _COLUMNS}
    table = pa.table({name: pa.array(rows[name], types[name]) for name in _COLUMNS})
    meta = {"dedup.schema": SCHEMA, "dedup.version": __version__}
    meta["dedup.config"] = json.dumps(result.config, ensure_ascii=False)
    table = table.replace_schema_metadata(meta)
    with staged([Path(path)], force) as (tmp,):
        try:
            pq.write_table(table, tmp, compression="zstd")
        except OSError as e:
            raise OutputError(f"{path}: cannot write ({e})") from None


# Each column's type (given the pyarrow module).
_COLUMNS = {
    "type": lambda pa: pa.string(),
    "doc": lambda pa: pa.string(),
    "start": lambda pa: pa.int64(),
    "end": lambda pa: pa.int64(),
    "kind": lambda pa: pa.string(),
    "match": lambda pa: pa.string(),
    "similarity": lambda pa: pa.float64(),
    "of_doc": lambda pa: pa.string(),
    "of_start": lambda pa: pa.int64(),
    "of_end": lambda pa: pa.int64(),
    "cluster": lambda pa: pa.int64(),
    "a_in_b": lambda pa: pa.float64(),
    "b_in_a": lambda pa: pa.float64(),
}
