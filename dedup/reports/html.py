"""A self-contained HTML report: one file, no network, an application.

The findings travel inside the page as data, and a small script
(``app.js``, beside this module) renders the view asked for: an overview,
sortable and searchable tables of clusters, spans, documents and
boilerplate, one document with its marks, and two documents side by side.
The page's size grows with the data, not with the markup, and every
document is reachable; the URL's fragment names the view, so the browser's
back button and a saved link both work.

The data is one JSON object (``_data``), gzip-compressed and written in
base64 inside a ``<script type="application/gzip">`` element: base64 has no
``<``, so no text of a document can end that element, and the script puts
text in the page only as text nodes and attribute values, never as markup. Browsers decompress it
with ``DecompressionStream`` (Chromium 80, Firefox 113, Safari 16.4).

Layout of the data (documents are numbers: their place in ``docs``)::

    {"title", "summary", "kinds": [[kind, label, colour], ...],
     "docs": [[id, chars, tokens, paragraphs, indexed (0/1)], ...],
     "spans": [[doc, start, end, kind, similarity, of_doc, of_start, of_end,
                passage (0/1)], ...],
     "clusters": [[id, representative, [members], [[member, jaccard,
                   its containment in the kept one, the kept one's in it,
                   estimate], ...]], ...],
     "related": [[a, b, jaccard, a_in_b, b_in_a], ...],
     "boilerplate": [[doc, start, end, documents, occurrences, preview], ...],
     "clean": {"dropped": [[doc, kept, jaccard, containment]],
               "cuts": [[doc, start, end, reason, span start, span end, of_doc,
                         of_start, of_end], ...],
               "why": [[doc, [line, ...]], ...]},
     "repetition": [name, ...],
     "texts": [[doc, text, [repetition values], "rtl" or "ltr"], ...],
     "texts_left_out": n}

Offsets are code points, as everywhere in dedup; the script converts them
for the browser's UTF-16 strings. A text is embedded for every document
with a finding (at most ``max_documents``; the rest are counted), ordered
so that near-duplicates sit side by side and compress into each other.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from dedup.clean import CleanPolicy, clean_text, plan
from dedup.formats.compress import gzipped
from dedup.models import KINDS, ScanResult, Span
from dedup.reports.explain import clean_reasons, covers
from dedup.reports.json import summary, write_atomic

# A big corpus's report stays a file a browser opens: texts past this many
# documents are left out (counted in the page); their findings stay.
MAX_DOCUMENTS = 100_000


def direction(text: str) -> str:
    """``rtl`` or ``ltr`` from the first strongly directional character."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def _data(
    result: ScanResult,
    texts: Callable[[set[str]], Iterable[tuple[str, str]]],
    max_documents: int,
) -> dict[str, Any]:
    docs = [*result.indexed, *result.documents]
    at = {d.id: i for i, d in enumerate(docs)}
    kinds = {k: i for i, k in enumerate(KINDS)}
    policy = CleanPolicy()
    todo = plan(result, policy)

    # Documents with findings, near-duplicates together (a union-find over
    # clusters and spans): gzip's 32 KB window then finds each copy's text
    # in its original's: a quarter smaller at SaudiNewsNet.
    parent = list(range(len(docs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: str, b: str) -> None:
        parent[root(at[a])] = root(at[b])

    found: set[int] = set()
    spans_of: dict[str, list[Span]] = {}
    covered = covers(todo)
    for s in result.spans:
        join(s.doc, s.duplicate_of.doc)
        spans_of.setdefault(s.doc, []).append(s)
        found.update((at[s.doc], at[s.duplicate_of.doc]))
    for c in result.clusters:
        for m in c.members:
            join(m, c.representative)
            found.add(at[m])
    for b in result.boilerplate:
        found.add(at[b.first.doc])
    chosen = sorted(found)[:max_documents]
    chosen.sort(key=lambda i: (root(i), i))
    text_of = dict(texts({docs[i].id for i in chosen}))

    cuts: list[list[Any]] = []
    embedded = []
    for i in chosen:
        doc = docs[i]
        text = text_of.get(doc.id)
        if text is None:
            continue
        embedded.append([i, text, [round(v, 4) for v in doc.repetition.values()], direction(text)])
        if doc.id in todo.cuts:  # the exact characters clean takes, white space included
            for r in clean_text(doc.id, text, todo.cuts[doc.id])[1]:
                o = r.duplicate_of
                assert o is not None  # every cut copies something
                cuts.append([i, r.start, r.end, r.reason, *r.span, at[o.doc], o.start, o.end])
    first_rep = docs[0].repetition if docs else {}
    return {
        "title": f"dedup report: {len(result.documents):,} documents",
        "summary": summary(result),
        "kinds": [[k, info.label, info.colour] for k, info in KINDS.items()],
        "docs": [
            [d.id, d.chars, d.tokens, d.paragraphs, int(n < len(result.indexed))]
            for n, d in enumerate(docs)
        ],
        "spans": [
            [
                at[s.doc],
                s.start,
                s.end,
                kinds[s.kind],
                round(s.similarity, 4),
                at[o.doc],
                o.start,
                o.end,
                int(s.match == "passage"),
            ]
            for s in result.spans
            if (o := s.duplicate_of)
        ],
        "clusters": [
            [
                c.id,
                at[c.representative],
                [at[m] for m in c.members],
                [
                    [
                        at[m],
                        round(p.jaccard, 4),
                        round(p.containment(m), 4),
                        round(p.containment(c.representative), 4),
                        p.estimate,
                    ]
                    for p in c.pairs
                    if (m := p.other(c.representative))
                ],
            ]
            for c in result.clusters
        ],
        "related": [
            [at[p.a], at[p.b], round(p.jaccard, 4), round(p.a_in_b, 4), round(p.b_in_a, 4)]
            for p in result.related
        ],
        "boilerplate": [
            [at[b.first.doc], b.first.start, b.first.end, b.documents, b.occurrences, b.preview]
            for b in result.boilerplate
        ],
        "clean": {
            "dropped": [
                [at[r.doc], at[r.duplicate_of.doc], r.jaccard, r.containment]
                for r in todo.dropped.values()
                if r.duplicate_of is not None
            ],
            "cuts": cuts,
            "why": [
                [
                    i,
                    clean_reasons(
                        docs[i].id,
                        spans_of.get(docs[i].id, []),
                        todo,
                        policy,
                        covered[docs[i].id],
                    ),
                ]
                for i in sorted(found)
            ],
        },
        "repetition": list(first_rep),
        "texts": embedded,
        "texts_left_out": len(found) - len(embedded),
    }


def _asset(name: str) -> str:
    return resources.files("dedup.reports").joinpath(name).read_text(encoding="utf-8")


def render_html(
    result: ScanResult,
    texts: Callable[[set[str]], Iterable[tuple[str, str]]],
    max_documents: int = MAX_DOCUMENTS,
) -> str:
    """The page. ``texts(ids)`` yields ``(id, text)`` for the documents asked for."""
    found = _data(result, texts, max_documents)
    try:  # the json module's bytes below, in a quarter of its time
        data = orjson.dumps(found)
    except orjson.JSONEncodeError:
        # A lone surrogate (a JSON "\ud800" escape in the input) has no UTF-8:
        # inside a JSON string, backslashreplace writes it as that same escape.
        data = json.dumps(found, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace"
        )
    # At gzip's level 4, not 6: a quarter of the time for 11-12% more bytes
    # (on text this repetitive, level 6's longer searches cost the most).
    packed = base64.b64encode(gzipped(data, level=4)).decode("ascii")
    return (
        '<!DOCTYPE html><html lang="und"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>dedup report</title><style>{_asset('app.css')}</style></head><body>"
        "<noscript>This report is an application: it needs JavaScript.</noscript>"
        f'<script type="application/gzip" id="data">{packed}</script>'
        f"<script>{_asset('app.js')}</script></body></html>"
    )


def write_html(
    result: ScanResult,
    out: Path,
    texts: Callable[[set[str]], Iterable[tuple[str, str]]],
    max_documents: int = MAX_DOCUMENTS,
    force: bool = False,
) -> None:
    """Render, atomically; ``texts(ids)`` yields ``(id, text)`` of the documents embedded."""
    write_atomic(out, render_html(result, texts, max_documents), force)
