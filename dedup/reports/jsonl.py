"""Findings as JSONL: one finding a line, streamable for big corpora.

Layout (schema ``dedup.findings/1``): the first line is a header
``{"type": "header", "schema", "dedup_version", "config"}``; then one line
per span ``{"type": "span", <the JSON report's span fields>}``, per
cluster ``{"type": "cluster", <the JSON report's cluster fields>}`` and per
related pair ``{"type": "related", <the JSON report's pair fields>}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dedup import __version__
from dedup.errors import InputError
from dedup.models import Cluster, Ref, ScanResult, Span
from dedup.reports.json import dumps, pair_dict, pair_from_dict, plain, write_atomic

SCHEMA = "dedup.findings/3"


def lines(result: ScanResult) -> Iterator[str]:
    header = {
        "type": "header",
        "schema": SCHEMA,
        "dedup_version": __version__,
        "config": result.config,
    }
    yield json.dumps(header, ensure_ascii=False)
    for s in result.spans:
        yield dumps({"type": "span", **plain(s)})
    for c in result.clusters:
        yield dumps({"type": "cluster", **plain(c)})
    for p in result.related:
        yield dumps({"type": "related", **pair_dict(p)})


def write_jsonl(result: ScanResult, path: str | Path, force: bool = False) -> None:
    write_atomic(Path(path), (line + "\n" for line in lines(result)), force)


def read_jsonl(path: str | Path) -> tuple[list[Span], list[Cluster]]:
    """The spans and clusters of a findings file, in file order."""
    spans: list[Span] = []
    clusters: list[Cluster] = []
    try:
        with Path(path).open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                try:
                    item: dict[str, Any] = json.loads(line)
                    kind = item.pop("type")
                    if n == 1 and (kind != "header" or item.get("schema") != SCHEMA):
                        raise InputError(f"{path}:1: not a {SCHEMA} file")
                    if kind == "span":
                        spans.append(Span(**{**item, "duplicate_of": Ref(**item["duplicate_of"])}))
                    elif kind == "cluster":
                        pairs = [pair_from_dict(p) for p in item.pop("pairs")]
                        clusters.append(Cluster(**item, pairs=pairs))
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    raise InputError(f"{path}:{n}: not a finding ({e})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    return spans, clusters
