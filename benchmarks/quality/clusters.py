"""Does ``dedup clean`` ever throw away text that exists nowhere else?

    python -m benchmarks.quality.clusters [--limit N] [--keep covering|first|longest]

On SaudiNewsNet, with default settings:

1. Every pair of documents in which one covers the other (Jaccard >=
   ``document_threshold``, or the smaller one's containment >=
   ``containment_threshold`` with at least ``min_containment_shingles``
   shingles), found exactly by a prefix-filter join over all shingle sets,
   not by LSH: how many of them the scan verified (candidate recall).
2. Each document ``clean`` drops, checked against the kept document named for
   it by recomputing both shingle sets from the texts: is it covered, and
   does it contain the kept one (it should have been kept instead)?
3. Dropped documents and characters.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence

import numpy as np

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import CleanPolicy, Config, Document, ScanResult, scan
from dedup.clean import plan
from dedup.minhash import window_hashes
from dedup.text import tokenize


def shingle_set(text: str, k: int) -> np.ndarray:
    """A document's shingle set from its text, by the plain per-document functions."""
    hashes = tokenize(text).hashes
    return np.unique(window_hashes(hashes, min(k, len(hashes)))) if len(hashes) else hashes[:0]


def covers(x: np.ndarray, y: np.ndarray, cfg: Config) -> bool:
    """Does ``y`` cover ``x``: Jaccard, or ``x``'s containment in ``y``?"""
    inter = len(np.intersect1d(x, y, assume_unique=True))
    union = len(x) + len(y) - inter
    return bool(
        (union and inter / union >= cfg.document_threshold)
        or (len(x) >= cfg.min_containment_shingles and inter / len(x) >= cfg.containment_threshold)
    )


def covering_pairs(sets: Sequence[np.ndarray], cfg: Config) -> set[tuple[int, int]]:
    """Every pair ``(a, b)``, a < b, in which one set covers the other.

    Either rule needs ``|X ∩ Y| >= t = ceil(min(c, j) * |X|)`` for the smaller
    side X; then X's ``|X| - t + 1`` smallest hashes cannot all miss Y (prefix
    filtering). So joining each set's prefix with every set that holds one of
    its hashes finds every such pair, and an exact check keeps the right ones.
    """
    ratio = min(cfg.containment_threshold, cfg.document_threshold)
    lengths = np.array([len(s) for s in sets])
    values = np.concatenate(sets) if sets else np.empty(0, np.uint64)
    owners = np.repeat(np.arange(len(sets)), lengths)
    order = np.argsort(values, kind="stable")
    values, owners = values[order], owners[order]
    candidates: set[tuple[int, int]] = set()
    for x, s in enumerate(sets):
        if not len(s):
            continue
        prefix = s[: len(s) - math.ceil(ratio * len(s)) + 1]
        lo, hi = np.searchsorted(values, prefix), np.searchsorted(values, prefix, "right")
        for y in np.unique(np.concatenate([owners[a:b] for a, b in zip(lo, hi, strict=True)])):
            if y != x:
                candidates.add((min(x, int(y)), max(x, int(y))))
    return {
        (a, b)
        for a, b in candidates
        if covers(sets[a], sets[b], cfg) or covers(sets[b], sets[a], cfg)
    }


def audit(docs: Sequence[Document], result: ScanResult, policy: CleanPolicy) -> dict[str, int]:
    """What ``clean`` drops, each drop checked against its kept document from the texts:
    is it covered, and does it contain the kept one (covers it without being covered)?"""
    cfg = Config(**{k: v for k, v in result.config.items() if k in Config.__dataclass_fields__})
    text = {d.id: d.text for d in docs}
    dropped = plan(result, policy).dropped
    uncovered = contains_kept = lost = shingles = 0
    for removal in dropped.values():
        assert removal.duplicate_of is not None
        mine = shingle_set(text[removal.doc], cfg.shingle_size)
        kept = shingle_set(text[removal.duplicate_of.doc], cfg.shingle_size)
        uncovered += not covers(mine, kept, cfg)
        contains_kept += covers(kept, mine, cfg) and not covers(mine, kept, cfg)
        lost += len(np.setdiff1d(mine, kept, assume_unique=True))
        shingles += len(mine)
    return {
        "dropped": len(dropped),
        "dropped_chars": sum(len(text[d]) for d in dropped),
        "not_covered_by_kept": uncovered,
        "containing_kept": contains_kept,
        "dropped_shingles": shingles,
        "dropped_shingles_not_in_kept": lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--keep", default="covering", help="clean's --keep")
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        raise SystemExit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    docs = list(saudinewsnet(args.limit))
    cfg = Config()
    start = time.perf_counter()
    sets = [shingle_set(d.text, cfg.shingle_size) for d in docs]
    truth = covering_pairs(sets, cfg)
    print(
        f"{len(docs):,} articles: {len(truth):,} covering pairs (exact join, "
        f"{time.perf_counter() - start:.0f} s)"
    )
    result = scan(docs, cfg)
    index = {d.id: i for i, d in enumerate(docs)}
    pairs = [p for c in result.clusters for p in c.pairs] + result.related
    found = {(min(index[p.a], index[p.b]), max(index[p.a], index[p.b])) for p in pairs}
    missed = truth - found
    recall = len(truth & found) / max(len(truth), 1)
    print(
        f"verified by the scan: {len(truth & found):,} (recall {recall:.4f}), missed {len(missed)}"
    )
    for a, b in sorted(missed)[:10]:
        print(f"  missed {docs[a].id} ~ {docs[b].id}")
    print(audit(docs, result, CleanPolicy(keep=args.keep)))


if __name__ == "__main__":
    main()
