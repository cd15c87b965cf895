"""A readable summary of a ScanResult as rich renderables (the CLI prints them)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table

from dedup.models import SPAN_KINDS, Removal, ScanResult
from dedup.reports.json import summary

_ROWS = 15


def render(result: ScanResult) -> RenderableType:
    s = summary(result)
    overview = Table(title="dedup scan", show_header=False)
    overview.add_row("documents", f"{s['documents']:,} ({s['chars']:,} characters)")
    for kind, chars in s["duplicated_chars"].items():
        n = sum(1 for x in result.spans if x.kind == kind)
        overview.add_row(f"{kind} spans", f"{n:,} ({chars:,} characters)")
    overview.add_row(
        "near-duplicate clusters",
        f"{s['clusters']:,} ({s['clustered_documents']:,} documents)",
    )
    overview.add_row("boilerplate paragraphs", f"{s['boilerplate_paragraphs']:,}")
    parts: list[RenderableType] = [overview]

    # Largest first; boilerplate spans are grouped in the boilerplate table.
    ranked = sorted(
        (x for x in result.spans if x.kind != "boilerplate"), key=lambda x: x.start - x.end
    )
    if ranked:
        spans = Table(
            title=f"largest duplicated spans ({min(_ROWS, len(ranked))} of {len(ranked):,}; "
            "boilerplate below)"
        )
        for col in ("document", "span", "characters", "kind", "similarity", "copies"):
            spans.add_column(col, overflow="fold")
        for x in ranked[:_ROWS]:
            o = x.duplicate_of
            spans.add_row(
                x.doc,
                f"[{x.start}, {x.end})",
                f"{x.end - x.start:,}",
                x.kind,
                f"{x.similarity:.3f}",
                f"{o.doc} [{o.start}, {o.end})",
            )
        parts.append(spans)
    if result.clusters:
        clusters = Table(
            title=f"largest near-duplicate clusters ({min(_ROWS, len(result.clusters))} of "
            f"{len(result.clusters):,})"
        )
        cols = (
            "cluster",
            "documents",
            "kept",
            "lowest jaccard with kept",
            "lowest containment in kept",
        )
        for col in cols:
            clusters.add_column(col, overflow="fold")
        for c in sorted(result.clusters, key=lambda c: -len(c.members))[:_ROWS]:
            jac = min(p.jaccard for p in c.pairs)
            cont = min(p.containment(p.other(c.representative)) for p in c.pairs)
            clusters.add_row(
                str(c.id), str(len(c.members)), c.representative, f"{jac:.2f}", f"{cont:.2f}"
            )
        parts.append(clusters)
    if result.boilerplate:
        top = sorted(result.boilerplate, key=lambda b: -b.documents)[:_ROWS]
        table = Table(
            title=f"boilerplate ({len(result.boilerplate):,} paragraphs, "
            f"{sum(1 for x in result.spans if x.kind == 'boilerplate'):,} spans; most widespread)"
        )
        table.add_column("documents")
        table.add_column("first seen", overflow="fold")  # (the id's end says which record)
        table.add_column("text")
        for b in top:
            table.add_row(
                str(b.documents), f"{b.first.doc} [{b.first.start}, {b.first.end})", b.preview[:60]
            )
        parts.append(table)
    return Group(*parts)


def render_removals(removals: list[Removal], result: ScanResult, dry_run: bool) -> RenderableType:
    verb = "would remove" if dry_run else "removed"
    docs = [r for r in removals if r.reason == "near-duplicate"]
    cuts = [r for r in removals if r.reason != "near-duplicate"]
    table = Table(title=f"dedup clean{' (dry run)' if dry_run else ''}", show_header=False)
    table.add_row("documents", f"{len(result.documents):,}")
    table.add_row(f"documents {verb}", f"{len(docs):,} (near-duplicates)")
    for reason in SPAN_KINDS:
        these = [r for r in cuts if r.reason == reason]
        chars = sum(r.end - r.start for r in these)
        table.add_row(f"{reason} spans {verb}", f"{len(these):,} ({chars:,} characters)")
    parts: list[RenderableType] = [table]
    if removals:
        detail = Table(title=f"largest removals ({min(_ROWS, len(removals))} of {len(removals):,})")
        for col in ("document", "removed", "characters", "reason", "duplicates"):
            detail.add_column(col, overflow="fold")
        for r in sorted(removals, key=lambda r: r.start - r.end)[:_ROWS]:
            o = r.duplicate_of
            detail.add_row(
                r.doc,
                f"[{r.start}, {r.end})",
                f"{r.end - r.start:,}",
                r.reason,
                "" if o is None else f"{o.doc} [{o.start}, {o.end})",
            )
        parts.append(detail)
    return Group(*parts)
