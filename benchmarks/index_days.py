"""SaudiNewsNet added to a persistent index day by day, against one scan of it all.

    python -m benchmarks.index_days [--workers 1]

Each of the corpus's daily files (18) is scanned with ``index=`` (and added),
in order; then the whole corpus is scanned at once. Prints each day's time
and how many indexed documents it read, the index's size, and how the union
of the daily reports compares with the whole scan: spans at the same place
with the same original (and kind), those only in one of them by kind and
match, and verified document pairs (README: "A growing corpus").
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.corpora import saudinewsnet
from dedup import Document, ScanResult, Span, scan
from dedup.archive import describe


def place(s: Span) -> tuple[object, ...]:
    o = s.duplicate_of
    return (s.doc, s.start, s.end, o.doc, o.start, o.end)


def pairs(r: ScanResult) -> set[tuple[str, str, int]]:
    found = [p for c in r.clusters for p in c.pairs] + r.related
    return {(p.a, p.b, p.shared) for p in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    days: dict[str, list[Document]] = {}
    for doc in saudinewsnet():
        days.setdefault(doc.id.split("/")[0], []).append(doc)
    reports, seconds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "news.db"
        for day, docs in days.items():
            start = time.perf_counter()
            reports.append(scan(docs, index=index, batch_name=day, workers=args.workers))
            seconds.append(time.perf_counter() - start)
            read = reports[-1].config["index"]["read"]
            print(f"{day}: {len(docs):,} articles in {seconds[-1]:.1f} s, read {read:,} indexed")
        info = describe(index)
    size = info["bytes"] / info["documents"] / 1e3
    print(
        f"index: {info['documents']:,} articles, {info['bytes'] / 1e6:,.0f} MB, {size:.1f} KB each"
    )
    print(f"days: {sum(seconds):.0f} s in all, median {sorted(seconds)[len(seconds) // 2]:.1f} s")
    start = time.perf_counter()
    whole = scan([d for docs in days.values() for d in docs], workers=args.workers)
    print(f"one scan of every day: {time.perf_counter() - start:.1f} s")
    w = {place(s): s for s in whole.spans}
    u = {place(s): s for r in reports for s in r.spans}
    both = w.keys() & u.keys()
    print(
        f"spans: whole scan {len(w):,}, daily reports {len(u):,}, at the same place "
        f"with the same original {len(both):,}"
    )
    kinds = Counter((w[k].kind, u[k].kind) for k in both if w[k].kind != u[k].kind)
    print("  kind in the whole scan, in the daily reports:", dict(kinds))
    print(
        "  only in the whole scan:",
        dict(Counter((w[k].kind, w[k].match) for k in w.keys() - u.keys())),
    )
    print(
        "  only in the daily reports:",
        dict(Counter((u[k].kind, u[k].match) for k in u.keys() - w.keys())),
    )
    wp, up = pairs(whole), set().union(*map(pairs, reports))
    print(f"verified document pairs: whole scan {len(wp):,}, daily reports {len(up):,}", end="")
    print(f", both {len(wp & up):,}")


if __name__ == "__main__":
    main()
