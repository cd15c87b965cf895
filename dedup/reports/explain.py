"""One document in words: what was found in it, what it copies, who copies
it, and what ``clean`` does to it and why (``dedup explain``; the HTML
report shows the same lines).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from dedup.clean import CleanPolicy, Plan
from dedup.models import KINDS, ScanResult, Span, SpanKind

# The clean flag that would change what happens to a kind's spans, by
# whether they are removed now.
_SWITCH = {
    ("within", True): "--no-within keeps them",
    ("within", False): "--within removes the later copies",
    ("formula", True): "--no-formula keeps them",
    ("formula", False): "--formula removes them",
    ("across", True): "--no-across keeps them",
    ("across", False): "--across removes the copied whole paragraphs, never passages inside one",
    ("boilerplate", True): "--no-boilerplate keeps them",
    ("boilerplate", False): "--boilerplate removes them",
}


_LISTED = 20  # near documents and copies listed at most (every span of the document is)


def _chars(n: int) -> str:
    return f"{n:,} character{'' if n == 1 else 's'}"


def covers(todo: Plan) -> Counter[str]:
    """How many documents ``todo`` drops as near-duplicates of each one it keeps."""
    return Counter(r.duplicate_of.doc for r in todo.dropped.values() if r.duplicate_of)


def clean_reasons(
    doc: str, spans: list[Span], todo: Plan, policy: CleanPolicy, covers: int
) -> list[str]:
    """What ``clean`` with ``policy`` does to ``doc`` (its findings: ``spans``;
    ``covers``: the documents ``todo`` drops as near-duplicates of it), and why."""
    dropped = todo.dropped.get(doc)
    if dropped is not None and dropped.duplicate_of is not None:
        return [
            f"drops it whole as a near-duplicate of {dropped.duplicate_of.doc}: Jaccard "
            f"{dropped.jaccard:.3f}, {dropped.containment:.0%} of its shingles are in that "
            f"document, which is kept (--keep {policy.keep}); --no-near-duplicates keeps it"
        ]
    lines = []
    if covers:
        lines.append(
            f"keeps it, and drops the {covers:,} near-duplicate document"
            f"{'' if covers == 1 else 's'} it covers (--keep {policy.keep})"
        )
    cut, cut_chars = Counter[SpanKind](), Counter[SpanKind]()
    for span, _ in todo.cuts.get(doc, []):
        cut[span.kind] += 1
        cut_chars[span.kind] += span.end - span.start
    for kind, n in cut.items():
        lines.append(
            f"removes {n:,} {kind} span{'' if n == 1 else 's'} ({_chars(cut_chars[kind])} "
            f"and the blank lines they leave): {KINDS[kind].label}; {_SWITCH[kind, True]}"
        )
    kept = Counter(s.kind for s in spans if s.kind not in cut)
    for kind, n in kept.items():
        lines.append(
            f"keeps its {n:,} {kind} span{'' if n == 1 else 's'}: {KINDS[kind].label}; "
            f"{_SWITCH[kind, False]}"
        )
    if not lines:
        lines.append("keeps it as it is: nothing in it is a repeat that clean removes")
    return lines


def explain(
    result: ScanResult,
    doc: str,
    todo: Plan,
    policy: CleanPolicy,
    text_of: Callable[[str], str | None] = lambda doc: None,
) -> list[str]:
    """Lines saying what was found in ``doc``; ``text_of`` gives texts to quote."""
    stats = {d.id: d for d in [*result.indexed, *result.documents]}
    st = stats[doc]
    lines = [
        f"{doc}: {_chars(st.chars)}, {st.paragraphs:,} paragraphs"
        + (" (in the index)" if any(d.id == doc for d in result.indexed) else "")
    ]

    def quote(where: str, start: int, end: int) -> str:
        text = text_of(where)
        if text is None:
            return ""
        piece = " ".join(text[start:end].split())
        return f"\n      «{piece[:100]}{'…' if len(piece) > 100 else ''}»"

    cluster = next((c for c in result.clusters if doc in c.members), None)
    if cluster is not None:
        if cluster.representative == doc:
            lines.append(
                f"near-duplicate cluster {cluster.id}: {len(cluster.members):,} documents, "
                "this one its representative"
            )
        else:
            pair = next(p for p in cluster.pairs if doc in (p.a, p.b))
            lines.append(
                f"near-duplicate cluster {cluster.id}: {len(cluster.members):,} documents; "
                f"representative: {cluster.representative} (Jaccard {pair.jaccard:.3f}, "
                f"{pair.containment(doc):.0%} of this one's shingles in it)"
            )
    near = [p for p in result.related if doc in (p.a, p.b)]
    for p in near[:_LISTED]:
        lines.append(
            f"also near {p.other(doc)}: Jaccard {p.jaccard:.3f}, "
            f"{p.containment(doc):.0%} of this one's shingles in it"
        )
    if len(near) > _LISTED:
        lines.append(f"… and near {len(near) - _LISTED:,} more")
    spans = [s for s in result.spans if s.doc == doc]
    if spans:
        lines.append(f"{len(spans):,} duplicated span{'' if len(spans) == 1 else 's'}:")
    for s in spans:
        o = s.duplicate_of
        where = "earlier in this document" if o.doc == doc else f"of {o.doc}"
        lines.append(
            f"  [{s.start}, {s.end}) {s.kind} ({s.match}, similarity {s.similarity:.3f}): "
            f"copies [{o.start}, {o.end}) {where}{quote(doc, s.start, s.end)}"
        )
    copied = [s for s in result.spans if s.duplicate_of.doc == doc and s.doc != doc]
    if copied:
        lines.append(f"copied by {len(copied):,} spans of other documents:")
        for s in copied[:_LISTED]:
            o = s.duplicate_of
            lines.append(f"  [{o.start}, {o.end}) copied by {s.doc} [{s.start}, {s.end}) {s.kind}")
        if len(copied) > _LISTED:
            lines.append(f"  … {len(copied) - _LISTED:,} more")
    for b in result.boilerplate:
        if b.first.doc == doc:
            lines.append(
                f"first occurrence of a boilerplate paragraph at [{b.first.start}, "
                f"{b.first.end}), found in {b.documents:,} documents"
            )
    if len(lines) == 1:
        lines.append("no findings: nothing in it repeats, and nothing repeats it")
    lines.append(f"dedup clean ({_policy(policy)}):")
    lines += ["  " + line for line in clean_reasons(doc, spans, todo, policy, covers(todo)[doc])]
    return lines


def _policy(policy: CleanPolicy) -> str:
    on = [k for k in ("within", "formula", "across", "boilerplate") if getattr(policy, k)]
    near = f"near-duplicates, --keep {policy.keep}" if policy.near_duplicates else ""
    return ", ".join([*on, *([near] if near else [])]) or "nothing"
