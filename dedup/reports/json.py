"""The JSON report: one versioned document.

Layout (schema ``dedup.report/2``)::

    {"schema": "dedup.report/1", "dedup_version": ..., "config": {...},
     "summary": {...},
     "documents": [{"id", "chars", "tokens", "paragraphs", "repetition": {...}}],
     "spans": [{"doc", "start", "end", "kind", "similarity",
                "duplicate_of": {"doc", "start", "end"}}],
     "clusters": [{"id", "members", "representative", "pairs": [PAIR, ...]}],
     "boilerplate": [{"first": {"doc", "start", "end"}, "documents", "occurrences",
                      "preview"}],
     "related": [PAIR, ...]}

A cluster's pairs are each member's pair with the representative; ``related``
holds the other verified pairs. ``PAIR`` is ``{"a", "b", "jaccard", "a_in_b",
"b_in_a", "estimate", "a_shingles", "b_shingles", "shared"}``: ``a_in_b`` is
the share of a's shingles found in b; the three integers are exact, and a
report read back takes its similarities from them.

Offsets are code-point indices into the original text, half-open.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from dedup import __version__
from dedup.errors import InputError, OutputError
from dedup.models import Boilerplate, Cluster, DocPair, DocStats, Ref, ScanResult, Span

SCHEMA = "dedup.report/2"


def summary(result: ScanResult) -> dict[str, Any]:
    chars = {"within": 0, "across": 0, "boilerplate": 0}
    for s in result.spans:
        chars[s.kind] += s.end - s.start
    return {
        "documents": len(result.documents),
        "chars": sum(d.chars for d in result.documents),
        "spans": len(result.spans),
        "duplicated_chars": chars,
        "clusters": len(result.clusters),
        "clustered_documents": sum(len(c.members) for c in result.clusters),
        "boilerplate_paragraphs": len(result.boilerplate),
    }


def _head(result: ScanResult, source: dict[str, str] | None) -> dict[str, Any]:
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
    if isinstance(x, DocPair):
        return pair_dict(x)
    if is_dataclass(x):
        names = _FIELDS.get(type(x))
        if names is None:
            names = _FIELDS[type(x)] = [f.name for f in fields(x)]
        return {name: plain(getattr(x, name)) for name in names}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x


_FIELDS: dict[type, list[str]] = {}


def to_dict(result: ScanResult, source: dict[str, str] | None = None) -> dict[str, Any]:
    """The report as one dict (``write_json`` writes the same, piece by piece)."""
    lists = {key: [plain(x) for x in items] for key, items in _lists(result).items()}
    return {**_head(result, source), **lists}


def write_json(result: ScanResult, path: str | Path, source: dict[str, str] | None = None) -> None:
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
            for i, item in enumerate(items):
                yield ("\n" if i == 0 else ",\n") + json.dumps(plain(item), ensure_ascii=False)
            yield "\n]" + (",\n" if n < len(lists) - 1 else "\n")
        yield "}\n"

    write_atomic(Path(path), pieces())


def check_output(path: Path) -> None:
    """Fail before a long scan, not after it, on an output that cannot be written."""
    if not path.parent.is_dir():
        raise OutputError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder")


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    check_output(path)
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            # A lone surrogate (from a JSON "\ud800" escape in the input) has
            # no UTF-8; written as that escape, JSON reads it back unchanged.
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.writelines([text] if isinstance(text, str) else text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror})") from None


def from_dict(data: dict[str, Any], where: str = "report") -> ScanResult:
    """The ScanResult a JSON report holds (the inverse of ``to_dict``)."""
    if data.get("schema") != SCHEMA:
        raise InputError(f"{where}: not a {SCHEMA} report (schema: {data.get('schema')!r})")
    try:
        return ScanResult(
            config=data["config"],
            documents=[DocStats(**d) for d in data["documents"]],
            spans=[Span(**{**s, "duplicate_of": Ref(**s["duplicate_of"])}) for s in data["spans"]],
            clusters=[
                Cluster(
                    c["id"],
                    c["members"],
                    c["representative"],
                    [pair_from_dict(p) for p in c["pairs"]],
                )
                for c in data["clusters"]
            ],
            boilerplate=[
                Boilerplate(**{**b, "first": Ref(**b["first"])}) for b in data["boilerplate"]
            ],
            related=[pair_from_dict(p) for p in data["related"]],
        )
    except (KeyError, TypeError) as e:
        raise InputError(f"{where}: incomplete or malformed ({e})") from None


def read_json(path: str | Path) -> ScanResult:
    return from_dict(_load(path), str(path))


def read_source(path: str | Path) -> dict[str, str] | None:
    """Where the report's texts are (``input``), if it recorded it."""
    source = _load(path).get("input")
    return source if isinstance(source, dict) else None


def _load(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a JSON report ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON report")
    return data
