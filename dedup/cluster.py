"""Near-duplicate clusters around a kept document, never by a chain of pairs.

Union-find over verified pairs chains unrelated articles: a roundup copies a
little of five stories and joins them all, and ``clean`` would then drop
text that exists nowhere else. Here a cluster is one kept document (its
representative) and the documents it covers, each verified directly against
it. A document ``x`` is covered by ``y`` when their Jaccard similarity
reaches the document threshold, or when ``x``'s containment in ``y``
(``|X ∩ Y| / |X|``) reaches the containment threshold and ``x`` has enough
shingles for containment to mean something.

Which documents are kept (``keep``), greedily in a priority order: the first
document not yet placed is kept, and takes every unplaced document it covers.

- ``covering`` (default): input order, except that a document strictly
  contained in another (covered by it without covering it back) waits until
  every document that is not has been placed: the container is kept, and the
  contained copy is dropped for it. Among documents that cover each other,
  the first in input order is kept.
- ``first``: input order; the earliest always wins, and a container it does
  not cover is kept too.
- ``longest``: the longest first (in characters), ties in input order.

A kept document is never dropped, and every dropped document names the kept
one that covers it, so no text beyond the thresholds is lost. Verified pairs
that are not a member and its representative are returned as ``related``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import Config, Keep
from dedup.models import Cluster, DocPair


@dataclass(frozen=True, slots=True)
class Coverage:
    """When one document covers another (the thresholds of a Config)."""

    document_threshold: float
    containment_threshold: float
    min_containment_shingles: int

    @classmethod
    def of(cls, cfg: Config) -> Coverage:
        return cls(cfg.document_threshold, cfg.containment_threshold, cfg.min_containment_shingles)

    def covered(self, size: int, other: int, shared: int) -> bool:
        """Is a document of ``size`` shingles covered by one of ``other``
        shingles, when they share ``shared``?"""
        union = size + other - shared
        return (union == 0 or shared / union >= self.document_threshold) or (
            size >= self.min_containment_shingles and shared / size >= self.containment_threshold
        )

    def either(self, sizes: np.ndarray, others: np.ndarray, shared: np.ndarray) -> np.ndarray:
        """For pairs of documents (their set sizes and how many shingles they
        share), whether one covers the other."""
        return np.array(
            [
                self.covered(x, y, z) or self.covered(y, x, z)
                for x, y, z in zip(sizes.tolist(), others.tolist(), shared.tolist(), strict=True)
            ],
            bool,
        )

    def covers(self, pair: DocPair, doc: str) -> bool:
        """Is ``doc`` (a side of ``pair``) covered by the other side?"""
        return self.covered(pair.shingles(doc), pair.shingles(pair.other(doc)), pair.shared)


def clusters(
    pairs: Sequence[DocPair],
    position: Mapping[str, int],
    chars: Mapping[str, int],
    rule: Coverage,
    keep: Keep = "covering",
) -> tuple[list[Cluster], list[DocPair]]:
    """Clusters (in order of their first member) and the related pairs.

    ``position`` and ``chars`` give each document's place in the input and its
    length; only the documents of ``pairs`` are looked up.
    """
    covering: dict[str, list[tuple[str, DocPair]]] = {}  # doc -> (a doc it covers, pair)
    contained: set[str] = set()  # strictly: covered by a doc it does not cover
    for p in pairs:
        a_covered, b_covered = rule.covers(p, p.a), rule.covers(p, p.b)
        if a_covered:
            covering.setdefault(p.b, []).append((p.a, p))
        if b_covered:
            covering.setdefault(p.a, []).append((p.b, p))
        if a_covered != b_covered:
            contained.add(p.a if a_covered else p.b)
    docs = {d for p in pairs for d in (p.a, p.b)}
    if keep == "longest":
        order = sorted(docs, key=lambda d: (-chars[d], position[d]))
    elif keep == "first":
        order = sorted(docs, key=lambda d: position[d])
    else:
        order = sorted(docs, key=lambda d: (d in contained, position[d]))

    placed: set[str] = set()
    stars: list[tuple[str, list[tuple[str, DocPair]]]] = []
    for rep in order:
        if rep in placed:
            continue
        placed.add(rep)  # kept, whether or not it covers anything still unplaced
        taken = [(m, p) for m, p in covering.get(rep, []) if m not in placed]
        placed.update(m for m, _ in taken)
        if taken:
            stars.append((rep, taken))

    used: set[tuple[str, str]] = set()
    found = []
    for rep, taken in stars:
        taken.sort(key=lambda mp: position[mp[0]])
        members = sorted([rep, *(m for m, _ in taken)], key=lambda d: position[d])
        found.append((position[members[0]], members, rep, [p for _, p in taken]))
        used.update((p.a, p.b) for _, p in taken)
    found.sort(key=lambda f: f[0])
    result = [Cluster(n, members, rep, ps) for n, (_, members, rep, ps) in enumerate(found)]
    related = [p for p in pairs if (p.a, p.b) not in used]
    return result, related
