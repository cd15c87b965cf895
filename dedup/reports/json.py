"""The JSON report: one versioned document.

Layout (schema ``dedup.report/3``)::

    {"schema": "dedup.report/3", "dedup_version": ..., "config": {...},
     "summary": {...},
     "documents": [{"id", "chars", "tokens", "paragraphs", "repetition": {...}}],
     "spans": [{"doc", "start", "end", "kind", "similarity",
                "duplicate_of": {"doc", "start", "end"}}],
     "clusters": [{"id", "members", "representative", "pairs": [PAIR, ...]}],
     "boilerplate": [{"first": {"doc", "start", "end"}, "documents", "occurrences",
                      "preview"}],
     "related": [PAIR, ...],
     "indexed": [...]}

``indexed`` (rows like ``documents``) is only in a report of a scan with a
persistent index (``scan --index``): the indexed documents its findings
refer to, which are not in the scanned batch.

A cluster's pairs are each member's pair with the representative; ``related``
holds the other verified pairs. ``PAIR`` is ``{"a", "b", "jaccard", "a_in_b",
"b_in_a", "estimate", "a_shingles", "b_shingles", "shared"}``: ``a_in_b`` is
the share of a's shingles found in b; the three integers are exact, and a
report read back takes its similarities from them.

Offsets are code-point indices into the original text, half-open.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, cast

import orjson

from dedup import __version__
from dedup.config import KEEP
from dedup.errors import InputError, OutputError
from dedup.models import (
    MATCH_KINDS,
    SPAN_KINDS,
    Boilerplate,
    Cluster,
    DocPair,
    DocStats,
    DocTable,
    MatchKind,
    Ref,
    ScanResult,
    Span,
    SpanKind,
)
from dedup.outputs import staged

SCHEMA = "dedup.report/3"
_NUMBER = {int, float}  # (not bool)
_HEX16 = re.compile("[0-9a-f]{16}")


def summary(result: ScanResult) -> dict[str, Any]:
    chars = dict.fromkeys(SPAN_KINDS, 0)
    reach: dict[tuple[str, str], int] = {}  # (doc, kind) -> end of what is counted
    for s in sorted(result.spans, key=lambda s: (s.doc, s.start)):
        # A passage may overlap a paragraph span: characters count once a kind.
        counted = reach.get((s.doc, s.kind), 0)
        chars[s.kind] += max(0, s.end - max(s.start, counted))
        reach[(s.doc, s.kind)] = max(counted, s.end)
    docs = result.documents
    if isinstance(docs, DocTable):
        ids, marks, total = docs.identities()
    else:
        ids, marks = [d.id for d in docs], [d.fingerprint for d in docs]
        total = sum(d.chars for d in docs)
    corpus = hashlib.blake2b(digest_size=8)
    for doc_id, mark in zip(ids, marks, strict=True):
        corpus.update(f"{doc_id}\t{mark}\n".encode("utf-8", "surrogatepass"))
    return {
        "documents": len(result.documents),
        "fingerprint": corpus.hexdigest(),  # of every id and text, in order
        "chars": total,
        "spans": len(result.spans),
        "duplicated_chars": chars,
        "clusters": len(result.clusters),
        "clustered_documents": sum(len(c.members) for c in result.clusters),
        "boilerplate_paragraphs": len(result.boilerplate),
    }


def _head(result: ScanResult, source: dict[str, Any] | None) -> dict[str, Any]:
    """``source`` (optional) records where the texts are, for ``dedup report``."""
    return {
        "schema": SCHEMA,
        "dedup_version": __version__,
        **({"input": source} if source else {}),
        "config": result.config,
        "summary": summary(result),
    }


def _lists(result: ScanResult) -> dict[str, Iterable[Any]]:
    return {
        "documents": result.documents,
        "spans": result.spans,
        "clusters": result.clusters,
        "boilerplate": result.boilerplate,
        "related": result.related,
        **({"indexed": result.indexed} if result.indexed else {}),
    }


def pair_dict(p: DocPair) -> dict[str, Any]:
    return {
        "a": p.a,
        "b": p.b,
        "jaccard": round(p.jaccard, 4),
        "a_in_b": round(p.a_in_b, 4),
        "b_in_a": round(p.b_in_a, 4),
        "estimate": p.estimate,
        "a_shingles": p.a_shingles,
        "b_shingles": p.b_shingles,
        "shared": p.shared,
    }


def pair_from_dict(d: dict[str, Any]) -> DocPair:
    return DocPair(d["a"], d["b"], d["a_shingles"], d["b_shingles"], d["shared"], d["estimate"])


def plain(x: Any) -> Any:
    """``dataclasses.asdict`` without its deep copies (3x faster on big reports)."""
    convert = _CONVERT.get(type(x))
    if convert is not None:
        return convert(x)
    if is_dataclass(x):
        names = [f.name for f in fields(x)]
        convert = _CONVERT[type(x)] = lambda y: {n: plain(getattr(y, n)) for n in names}
        return convert(x)
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x


def _stats_dict(x: DocStats) -> dict[str, Any]:
    # a row a document, the most numerous: spelled out, its dict taken as it is
    return {
        "id": x.id,
        "chars": x.chars,
        "tokens": x.tokens,
        "paragraphs": x.paragraphs,
        "repetition": x.repetition,
        "fingerprint": x.fingerprint,
    }


def _ref_dict(x: Ref) -> dict[str, Any]:
    return {"doc": x.doc, "start": x.start, "end": x.end}


# Each type's conversion, the dataclasses' added as they are met.
_CONVERT: dict[type, Callable[[Any], Any]] = {
    DocPair: pair_dict,
    DocStats: _stats_dict,
    Ref: _ref_dict,
    **{t: lambda x: x for t in (str, int, float, bool, type(None))},
}
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps makes one a call
# Dataclasses orjson writes natively as plain() would (their fields, in order).
_NATIVE = (Span, DocStats, Boilerplate)


def dumps(item: Any) -> str:
    """One report item's JSON, by orjson (the json module takes 3x as
    long). What orjson refuses, a lone surrogate (from a JSON "\\ud800"
    escape in the input) above all, the json module writes."""
    try:
        return orjson.dumps(item if type(item) in _NATIVE else plain(item)).decode()
    except orjson.JSONEncodeError:
        return _encode(plain(item))


def to_dict(result: ScanResult, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report as one dict (``write_json`` writes the same, piece by piece)."""
    lists = {key: [plain(x) for x in items] for key, items in _lists(result).items()}
    return {**_head(result, source), **lists}


def write_json(
    result: ScanResult,
    path: str | Path,
    source: dict[str, Any] | None = None,
    force: bool = False,
) -> None:
    """Write atomically (a temporary file in the same folder, then a rename)
    and piece by piece, one document, span or cluster a line: the text of a
    big corpus's report is never all in memory at once."""
    head, lists = _head(result, source), _lists(result)

    def pieces() -> Iterator[str]:
        yield "{\n"
        for key, value in head.items():
            yield f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n"
        for n, (key, items) in enumerate(lists.items()):
            yield f"{json.dumps(key)}: ["
            lines = _table_lines(items) if isinstance(items, DocTable) else map(dumps, items)
            for i, line in enumerate(lines):
                yield ("\n" if i == 0 else ",\n") + line
            yield "\n]" + (",\n" if n < len(lists) - 1 else "\n")
        yield "}\n"

    write_atomic(Path(path), pieces(), force)


def _table_lines(table: DocTable, block: int = 4096) -> Iterator[str]:
    """``dumps`` of every row of ``table``, made from its columns, a block
    at a time, without a DocStats and its dict a row (at 1M documents, 6 of
    the report's 12 s): orjson writes a block's repetition numbers at once,
    as it writes each float of a row. A block whose ids orjson refuses (a
    lone surrogate) goes row by row, as ``dumps`` does."""
    for lo in range(0, len(table), block):
        ids, counts, repetition, names, marks = table.columns(slice(lo, lo + block))
        try:
            quoted = [orjson.dumps(i).decode() for i in ids]
        except orjson.JSONEncodeError:
            yield from map(dumps, table[lo : lo + block])
            continue
        numbers = orjson.dumps(repetition, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        rows = numbers[2:-2].split("],[") if repetition.size else [""] * len(ids)
        stats = ",".join(f'"{name}":%s' for name in names)
        for doc_id, (chars, tokens, paragraphs), row, mark in zip(
            quoted, counts.tolist(), rows, marks.tolist(), strict=True
        ):
            values = stats % tuple(row.split(",")) if names else ""
            yield (
                f'{{"id":{doc_id},"chars":{chars},"tokens":{tokens},"paragraphs":{paragraphs},'
                f'"repetition":{{{values}}},"fingerprint":"{mark:016x}"}}'
            )


def write_atomic(path: Path, text: str | Iterable[str], force: bool = False) -> None:
    """Write ``path`` whole or not at all (``outputs.staged``); an existing
    file is replaced only with ``force``."""
    with staged([path], force) as (tmp,):
        try:
            # A lone surrogate (from a JSON "\ud800" escape in the input) has
            # no UTF-8; written as that escape, JSON reads it back unchanged.
            with tmp.open("w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.writelines([text] if isinstance(text, str) else text)
        except OSError as e:
            raise OutputError(f"{path}: cannot write ({e.strerror})") from None


class _Bad(Exception):
    """A value of a report that its schema does not allow (the message says where)."""


def _get(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise _Bad(f"{where}: expected an object")
    if key not in obj:
        raise _Bad(f"{where}: no {key!r}")
    return obj[key]


def _int(obj: Any, key: str, where: str, low: int = 0) -> int:
    v = _get(obj, key, where)
    if type(v) is not int or v < low:
        raise _Bad(f"{where}.{key}: expected a whole number >= {low}, not {v!r}")
    return v


def _num(obj: Any, key: str, where: str) -> float:
    v = _get(obj, key, where)
    if type(v) not in (int, float) or not 0 <= v <= 1:
        raise _Bad(f"{where}.{key}: expected a number from 0 to 1, not {v!r}")
    return float(v)


def _str(obj: Any, key: str, where: str, allowed: tuple[str, ...] = ()) -> str:
    v = _get(obj, key, where)
    if not isinstance(v, str) or (allowed and v not in allowed):
        expected = " | ".join(allowed) if allowed else "a string"
        raise _Bad(f"{where}.{key}: expected {expected}, not {v!r}")
    return v


def _list(obj: Any, key: str, where: str) -> list[Any]:
    v = _get(obj, key, where)
    if not isinstance(v, list):
        raise _Bad(f"{where}.{key}: expected a list")
    return v


def from_dict(data: dict[str, Any], where: str = "report") -> ScanResult:
    """The ScanResult a JSON report holds (the inverse of ``to_dict``), checked
    against the schema: types, known documents, offsets within their lengths.
    A report that fails says where, in one line (InputError)."""
    if data.get("schema") != SCHEMA:
        raise InputError(f"{where}: not a {SCHEMA} report (schema: {data.get('schema')!r})")
    try:
        return _parse(data)
    except _Bad as e:
        raise InputError(f"{where}: {e}") from None


def _document(d: Any, at: str, chars: dict[str, int]) -> DocStats:
    """A row of the documents table (its length goes to ``chars``)."""
    doc = _str(d, "id", at)
    if doc in chars:
        raise _Bad(f"{at}.id: {doc!r} twice")
    chars[doc] = _int(d, "chars", at)
    repetition = _get(d, "repetition", at)
    # (a JSON object's keys are strings)
    if not isinstance(repetition, dict) or not set(map(type, repetition.values())) <= _NUMBER:
        raise _Bad(f"{at}.repetition: expected names and numbers")
    mark = _str(d, "fingerprint", at)
    if not _HEX16.fullmatch(mark):
        raise _Bad(f"{at}.fingerprint: expected 16 hex digits, not {mark!r}")
    tokens, paragraphs = _int(d, "tokens", at), _int(d, "paragraphs", at)
    return DocStats(doc, chars[doc], tokens, paragraphs, repetition, mark)


def _parse(data: dict[str, Any]) -> ScanResult:
    config = _get(data, "config", "report")
    for key in ("document_threshold", "containment_threshold"):
        _num(config, key, "config")
    _int(config, "min_containment_shingles", "config", 1)
    _str(config, "representative", "config", KEEP)
    chars: dict[str, int] = {}
    indexed: list[DocStats] = []
    documents: list[DocStats] = []
    tables = [("documents", documents)]
    if "indexed" in data:  # a scan with a persistent index (its originals)
        tables.insert(0, ("indexed", indexed))
    for name, table in tables:
        for i, d in enumerate(_list(data, name, "report")):
            table.append(_document(d, f"{name}[{i}]", chars))

    def known(obj: Any, key: str, at: str) -> str:
        doc = _str(obj, key, at)
        if doc not in chars:
            raise _Bad(f"{at}.{key}: {doc!r} is not a document of the report")
        return doc

    def ref(obj: Any, at: str) -> Ref:
        doc = known(obj, "doc", at)
        start, end = _int(obj, "start", at), _int(obj, "end", at)
        if not start <= end <= chars[doc]:
            raise _Bad(f"{at}: [{start}, {end}) is not inside {doc!r} ({chars[doc]} characters)")
        return Ref(doc, start, end)

    def pair(obj: Any, at: str) -> DocPair:
        a, b = known(obj, "a", at), known(obj, "b", at)
        p = pair_from_dict(
            {k: _int(obj, k, at) for k in ("a_shingles", "b_shingles", "shared")}
            | {"a": a, "b": b, "estimate": _num(obj, "estimate", at)}
        )
        if a == b or p.shared > min(p.a_shingles, p.b_shingles):
            raise _Bad(f"{at}: not a pair of two documents and what they share")
        return p

    spans = []
    for i, x in enumerate(_list(data, "spans", "report")):
        at = f"spans[{i}]"
        copy = ref(x, at)
        spans.append(
            Span(
                copy.doc,
                copy.start,
                copy.end,
                cast(SpanKind, _str(x, "kind", at, SPAN_KINDS)),
                _num(x, "similarity", at),
                ref(_get(x, "duplicate_of", at), f"{at}.duplicate_of"),
                cast(MatchKind, _str(x, "match", at, MATCH_KINDS)),
            )
        )
    clusters = []
    for i, c in enumerate(_list(data, "clusters", "report")):
        at = f"clusters[{i}]"
        members = _list(c, "members", at)
        rep = _str(c, "representative", at)
        pairs = [pair(p, f"{at}.pairs[{j}]") for j, p in enumerate(_list(c, "pairs", at))]
        if rep not in members or {rep, *(p.other(rep) for p in pairs)} != set(members):
            raise _Bad(f"{at}: members are not the representative and its pairs")
        clusters.append(Cluster(_int(c, "id", at), members, rep, pairs))
    boilerplate = []
    for i, x in enumerate(_list(data, "boilerplate", "report")):
        at = f"boilerplate[{i}]"
        boilerplate.append(
            Boilerplate(
                ref(_get(x, "first", at), f"{at}.first"),
                _int(x, "documents", at, 1),
                _int(x, "occurrences", at, 1),
                _str(x, "preview", at),
            )
        )
    related = [pair(p, f"related[{i}]") for i, p in enumerate(_list(data, "related", "report"))]
    return ScanResult(config, documents, spans, clusters, boilerplate, related, indexed)


def read_json(path: str | Path) -> ScanResult:
    return read_report(path)[0]


def read_report(path: str | Path) -> tuple[ScanResult, dict[str, Any] | None]:
    """The ScanResult a report holds, and where its texts are (``input``),
    if it recorded it: the file read once (a 1M-document report is 600 MB)."""
    data = _load(path)
    source = data.get("input")
    return from_dict(data, str(path)), source if isinstance(source, dict) else None


def _load(path: str | Path) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    try:
        data = orjson.loads(raw)  # half json's time (SaudiNewsNet's report: 0.2 s, not 0.4 s)
    except orjson.JSONDecodeError:  # what it refuses that json reads: a lone surrogate
        try:
            data = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: not a JSON report ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON report")
    return data
