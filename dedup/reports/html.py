"""A self-contained HTML report: one file, no network, no external assets.

Sections: a summary with a legend, the near-duplicate clusters, the
boilerplate, and one view per document with findings. A view shows the
original text in its own direction, each duplicated span marked by kind and
linked to the text it copies (in the same document or another), its
similarity on hover, and the document's repetition statistics. Documents
without findings are listed, not rendered, and at most ``max_documents``
views are rendered, the rest counted, so big corpora stay usable.

Overlapping spans nest: a span crossing the end of an enclosing one is
split there and continued after it, so the markup stays well formed.
"""

from __future__ import annotations

import heapq
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from dedup.models import KINDS, ScanResult, Span
from dedup.reports.json import summary, write_atomic

_CSS = """
body{font-family:system-ui,"Noto Naskh Arabic","Noto Sans Arabic",sans-serif;margin:0 auto;
max-width:70em;padding:1em;color:#222;background:#fafafa}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .5em;
text-align:start;vertical-align:top}
.doc{background:#fff;border:1px solid #ddd;border-radius:4px;margin:1em 0;padding:.5em 1em}
.text{white-space:pre-wrap;line-height:1.9;font-size:1.05em}
a.dup{color:inherit;text-decoration:none;border-radius:2px;box-shadow:0 2px 0 #495057}
.orig{outline:1px dashed #2b8a3e;outline-offset:1px}
:target{background:#b2f2bb !important}
.legend span{display:inline-block;padding:0 .4em;margin-inline-end:.5em;border-radius:2px}
.muted{color:#666;font-size:.9em}
""" + "".join(f"a.dup.{k}{{background:{info.colour}}}" for k, info in KINDS.items())


@dataclass(frozen=True, slots=True)
class _Region:
    start: int
    end: int
    open_tag: str
    close_tag: str
    order: int  # spans outermost first when two start together


def direction(text: str) -> str:
    """``rtl`` or ``ltr`` from the first strongly directional character."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def _marked(text: str, regions: list[_Region]) -> str:
    """Escaped ``text`` with every region wrapped in its tags, properly nested."""
    # (start, -end, order, sequence, region): outer regions pop first; the
    # sequence number keeps ties from comparing regions.
    heap = [(r.start, -r.end, r.order, i, r) for i, r in enumerate(regions)]
    heapq.heapify(heap)
    seq = len(heap)
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end, close tag) of open regions
    pos = 0
    while heap:
        start, neg_end, _, _, r = heapq.heappop(heap)
        end = -neg_end
        while stack and stack[-1][0] <= start:
            close_at, close = stack.pop()
            out.append(escape(text[pos:close_at]) + close)
            pos = close_at
        out.append(escape(text[pos:start]))
        pos = start
        if stack and end > stack[-1][0]:  # crosses its parent's end: continue it later
            rest = _Region(
                stack[-1][0],
                end,
                r.open_tag.replace(' id="', ' data-part-of="'),
                r.close_tag,
                r.order,
            )
            heapq.heappush(heap, (rest.start, -rest.end, rest.order, seq, rest))
            seq += 1
            end = stack[-1][0]
        if end > start:
            out.append(r.open_tag)
            stack.append((end, r.close_tag))
    while stack:
        close_at, close = stack.pop()
        out.append(escape(text[pos:close_at]) + close)
        pos = close_at
    out.append(escape(text[pos:]))
    return "".join(out)


def render_html(
    result: ScanResult,
    texts: Callable[[set[str]], Iterable[tuple[str, str]]],
    max_documents: int = 1000,
) -> str:
    """The page. ``texts(ids)`` yields ``(id, text)`` for the documents asked for."""
    order = {d.id: i for i, d in enumerate([*result.indexed, *result.documents])}
    spans_of: dict[str, list[tuple[int, Span]]] = {}
    targets_of: dict[str, list[tuple[int, Span]]] = {}
    for n, s in enumerate(result.spans):
        spans_of.setdefault(s.doc, []).append((n, s))
        targets_of.setdefault(s.duplicate_of.doc, []).append((n, s))
    with_findings = sorted(set(spans_of) | set(targets_of), key=order.__getitem__)
    shown = with_findings[:max_documents]
    shown_set = set(shown)
    text_of = dict(texts(shown_set))
    anchor = {doc: f"doc-{order[doc]}" for doc in shown}

    def doc_link(doc: str) -> str:
        name = _iso(doc)
        return f'<a href="#{anchor[doc]}">{name}</a>' if doc in anchor else name

    totals = summary(result)
    parts = [
        '<!DOCTYPE html><html lang="und"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>dedup report: {totals['documents']:,} documents</title><style>{_CSS}</style>",
        "</head><body><h1>dedup report</h1>",
        '<p class="legend">',
        *(
            f'<span class="dup {k}" style="background:{info.colour}">{escape(info.label)}</span>'
            for k, info in KINDS.items()
        ),
        '<span class="orig">original that a span copies</span></p>',
        '<h2 id="summary">Summary</h2><table>',
        f"<tr><th>documents</th><td>{totals['documents']:,} "
        f"({totals['chars']:,} characters)</td></tr>",
        *(
            f"<tr><th>{k} spans</th><td>{sum(1 for x in result.spans if x.kind == k):,} "
            f"({c:,} characters)</td></tr>"
            for k, c in totals["duplicated_chars"].items()
        ),
        f"<tr><th>near-duplicate clusters</th><td>{totals['clusters']:,} "
        f"({totals['clustered_documents']:,} documents)</td></tr>",
        f"<tr><th>boilerplate paragraphs</th><td>{totals['boilerplate_paragraphs']:,}</td></tr>",
        "</table>",
    ]
    parts.append(
        f'<h2 id="clusters">Near-duplicate documents ({len(result.clusters):,} clusters)</h2>'
    )
    if result.clusters:
        parts.append(
            "<table><tr><th>cluster</th><th>kept</th><th>members</th>"
            "<th>each member against the kept one: jaccard / its containment in it "
            "(MinHash estimate)</th></tr>"
        )
        for c in result.clusters:
            pairs = "<br>".join(
                f"{_iso(m)}: {p.jaccard:.3f} / {p.containment(m):.3f} ({p.estimate:.3f})"
                for p in c.pairs[:20]
                if (m := p.other(c.representative))
            )
            more = f"<br>… {len(c.pairs) - 20:,} more" if len(c.pairs) > 20 else ""
            parts.append(
                f"<tr><td>{escape(str(c.id))}</td><td>{doc_link(c.representative)}</td>"
                f"<td>{'<br>'.join(doc_link(m) for m in c.members)}</td>"
                f"<td class=muted>{pairs}{more}</td></tr>"
            )
        parts.append("</table>")
    if result.boilerplate:
        parts.append(
            f'<h2 id="boilerplate">Boilerplate ({len(result.boilerplate):,})</h2><table>'
            "<tr><th>documents</th><th>first seen</th><th>text</th></tr>"
        )
        for b in sorted(result.boilerplate, key=lambda b: -b.documents):
            parts.append(
                f"<tr><td>{b.documents:,}</td><td>{doc_link(b.first.doc)}</td>"
                f"<td>{_iso(b.preview)}</td></tr>"
            )
        parts.append("</table>")

    parts.append(f'<h2 id="documents">Documents with findings ({len(with_findings):,})</h2>')
    if len(with_findings) > len(shown):
        parts.append(
            f'<p class="muted">Showing the first {len(shown):,}; '
            f"{len(with_findings) - len(shown):,} more documents with findings are "
            "not rendered (see the JSON report).</p>"
        )
    stats = {d.id: d for d in [*result.indexed, *result.documents]}
    for doc in shown:
        text = text_of.get(doc)
        if text is None:
            parts.append(
                f'<section class="doc" id="{anchor[doc]}"><h3>{_iso(doc)}</h3>'
                '<p class="muted">text not available</p></section>'
            )
            continue
        regions = []
        for n, sp in spans_of.get(doc, []):
            o = sp.duplicate_of
            target = f"#o{n}" if o.doc in shown_set else ""
            title = (
                f"{sp.kind} ({sp.match}), similarity {sp.similarity:.3f}: copies "
                f"{_FSI}{o.doc}{_PDI} [{o.start}, {o.end})"
            )
            regions.append(
                _Region(
                    sp.start,
                    sp.end,
                    f'<a class="dup {sp.kind}" id="s{n}" href="{target}" '
                    f'title="{escape(title)}" data-start="{sp.start}" data-end="{sp.end}">',
                    "</a>",
                    0,
                )
            )
        for n, sp in targets_of.get(doc, []):
            o = sp.duplicate_of
            copied_by = escape(f"copied by {_FSI}{sp.doc}{_PDI} [{sp.start}, {sp.end})")
            regions.append(
                _Region(
                    o.start,
                    o.end,
                    f'<span class="orig" id="o{n}" title="{copied_by}" '
                    f'data-start="{o.start}" data-end="{o.end}">',
                    "</span>",
                    1,
                )
            )
        st = stats[doc]
        rep = "".join(
            f"<tr><th>{escape(k)}</th><td>{v:.3f}</td></tr>" for k, v in st.repetition.items()
        )
        if rep:  # not when the scan's levels left repetition out
            rep = f"<details><summary>repetition statistics</summary><table>{rep}</table></details>"
        parts.append(
            f'<section class="doc" id="{anchor[doc]}"><h3>{_iso(doc)}</h3>'
            f'<p class="muted">{st.chars:,} characters, {st.paragraphs:,} paragraphs, '
            f"{len(spans_of.get(doc, [])):,} duplicated spans</p>"
            f"{rep}"
            f'<div class="text" dir="{direction(text)}">{_marked(text, regions)}</div></section>'
        )

    clean = [d.id for d in result.documents if d.id not in spans_of and d.id not in targets_of]
    listed = clean[:10_000]
    parts.append(
        f'<h2 id="clean">Documents without findings ({len(clean):,})</h2>'
        f"<details><summary>list</summary><p dir=auto>"
        f"{'<br>'.join(_iso(d) for d in listed)}"
        f"{'<br>…' if len(clean) > len(listed) else ''}</p></details>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


# Ids and previews are shown bidi-isolated: an id holding U+202E (or an Arabic
# one beside numbers) must not reorder what surrounds it.
_FSI, _PDI = "\u2068", "\u2069"


def _iso(value: str) -> str:
    """``value`` escaped in its own direction, isolated from its neighbours."""
    return f"<bdi>{escape(value)}</bdi>"


def write_html(
    result: ScanResult,
    out: Path,
    texts: Callable[[set[str]], Iterable[tuple[str, str]]],
    max_documents: int = 1000,
    force: bool = False,
) -> None:
    """Render, atomically; ``texts(ids)`` yields ``(id, text)`` of the documents shown."""
    write_atomic(out, render_html(result, texts, max_documents), force)
