"""Recall of SaudiNewsNet's exact-duplicate groups as near-duplicate clusters.

A group is the articles whose content is identical after white-space
normalization and has at least 20 words (empty articles are no group).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations

from dedup import Cluster, Document


def exact_groups(docs: Iterable[Document]) -> list[list[str]]:
    by_text: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        words = d.text.split()
        if len(words) >= 20:
            by_text[" ".join(words)].append(d.id)
    return [ids for ids in by_text.values() if len(ids) > 1]


def pair_recall(groups: list[list[str]], clusters: list[Cluster]) -> tuple[int, float]:
    """(pairs, share of the groups' pairs that fall in one cluster)."""
    cluster_of = {m: c.id for c in clusters for m in c.members}
    pairs = [p for g in groups for p in combinations(g, 2)]
    found = sum(1 for a, b in pairs if a in cluster_of and cluster_of[a] == cluster_of.get(b))
    return len(pairs), found / len(pairs) if pairs else 1.0
