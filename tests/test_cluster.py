"""Clusters around a kept document: no chains, the covering copy kept, nothing unique lost."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import CleanPolicy, Config, DocPair, Document, clean_documents, scan
from dedup.clean import kept_clusters
from dedup.cluster import Coverage, clusters
from dedup.config import KEEP, Keep
from dedup.minhash import window_hashes
from dedup.reports.json import from_dict, to_dict
from dedup.text import tokenize

RULE = Coverage(0.8, 0.8, 20)


@pytest.fixture(scope="module")
def words(seed_texts: dict[str, str]) -> list[str]:
    return " ".join(seed_texts.values()).split()


def shingles(text: str) -> np.ndarray:
    return np.unique(window_hashes(tokenize(text).hashes, 5))


def covered(x: str, y: str) -> bool:
    """Recomputed from the texts: is ``x`` covered by ``y``?"""
    a, b = shingles(x), shingles(y)
    return RULE.covered(len(a), len(b), len(np.intersect1d(a, b)))


def test_a_chain_of_pairs_is_not_a_cluster(words: list[str]) -> None:
    # A ~ B and B ~ C, but C is not near A: union-find joined all three and
    # clean dropped C, whose last 260 words exist nowhere else.
    a, b, c = (" ".join(words[s : s + 1000]) for s in (0, 130, 260))
    assert covered(b, a) and covered(c, b) and not covered(c, a) and not covered(a, c)
    docs = [Document("a", a), Document("b", b), Document("c", c)]
    result = scan(docs)
    (cluster,) = result.clusters
    assert cluster.members == ["a", "b"] and cluster.representative == "a"
    assert [(p.a, p.b) for p in result.related] == [("b", "c")]
    kept = {d.id for d, _ in clean_documents(docs) if d is not None}
    assert kept == {"a", "c"}


def test_contained_copy_gives_way_to_its_container(words: list[str]) -> None:
    short, long = " ".join(words[:300]), " ".join(words[:1200])
    assert covered(short, long) and not covered(long, short)
    docs = [Document("short", short), Document("long", long)]
    by_keep = {keep: scan(docs, Config(representative=keep)) for keep in KEEP}
    (cluster,) = by_keep["covering"].clusters
    assert cluster.representative == "long" and cluster.members == ["short", "long"]
    assert by_keep["longest"].clusters == by_keep["covering"].clusters
    # first: the earliest is kept and covers nothing; the container is kept too
    assert by_keep["first"].clusters == []
    assert [(p.a, p.b) for p in by_keep["first"].related] == [("short", "long")]

    (removals,) = [r for d, r in clean_documents(docs) if d is None]
    (removal,) = removals
    assert removal.doc == "short" and removal.duplicate_of is not None
    assert removal.duplicate_of.doc == "long" and removal.containment == 1.0
    a, b = shingles(short), shingles(long)
    assert removal.jaccard == round(len(np.intersect1d(a, b)) / len(np.union1d(a, b)), 4)
    kept = [d for d, _ in clean_documents(docs, CleanPolicy(keep="first")) if d is not None]
    assert [d.id for d in kept] == ["short", "long"]


def test_mutual_near_duplicates_keep_the_first(words: list[str]) -> None:
    first, second = " ".join(words[:1000]), " ".join(words[:1000] + words[1000:1050])
    assert covered(first, second) and covered(second, first)
    (cluster,) = scan([Document("1", first), Document("2", second)]).clusters
    assert cluster.representative == "1"


def test_rewrapped_copy_is_a_containment_candidate(seed_texts: dict[str, str]) -> None:
    # Its lines joined differently, the copy shares no paragraph with the
    # original, and its Jaccard similarity is far below LSH's threshold: only
    # the smallest-hash sketch makes the pair a candidate.
    original = max(seed_texts.values(), key=len)
    lines = [line for line in original.splitlines() if line.strip()]
    copy = " ".join(lines[: len(lines) // 3])
    docs = [Document("original", original), Document("copy", copy)]
    (cluster,) = scan(docs).clusters
    (pair,) = cluster.pairs
    assert cluster.representative == "original"
    assert pair.jaccard < 0.5 and pair.containment("copy") == 1.0
    assert covered(copy, original)


pair_lists = st.lists(
    st.tuples(
        st.integers(0, 11),
        st.integers(0, 11),
        st.integers(1, 60),
        st.integers(1, 60),
        st.floats(0, 1),
    ),
    max_size=40,
)


def make_pairs(raw: list[tuple[int, int, int, int, float]]) -> list[DocPair]:
    seen, pairs = set(), []
    for x, y, nx, ny, share in raw:
        a, b = min(x, y), max(x, y)
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            pairs.append(DocPair(f"d{a}", f"d{b}", nx, ny, round(share * min(nx, ny)), 0.0))
    return [p for p in pairs if RULE.covers(p, p.a) or RULE.covers(p, p.b)]


@settings(max_examples=200, deadline=None)
@given(pair_lists, st.sampled_from(KEEP), st.randoms(use_true_random=False))
def test_every_member_is_covered_by_its_kept_document(
    raw: list[tuple[int, int, int, int, float]], keep: Keep, rnd: random.Random
) -> None:
    pairs = make_pairs(raw)
    position = {f"d{i}": i for i in range(12)}
    chars = {f"d{i}": 100 + (i * 37) % 11 for i in range(12)}
    found, related = clusters(pairs, position, chars, RULE, keep)
    kept = {c.representative for c in found}
    members = [m for c in found for m in c.members if m != c.representative]
    assert len(members) == len(set(members)) and not kept & set(members)
    for c in found:
        assert c.members == sorted(c.members, key=position.__getitem__)
        for p in c.pairs:
            member = p.other(c.representative)
            assert c.representative in (p.a, p.b) and member in c.members
            assert RULE.covers(p, member)
    used = [p for c in found for p in c.pairs]
    assert sorted(used + related, key=repr) == sorted(pairs, key=repr)
    if keep == "first":  # the earliest always wins
        assert all(c.members[0] == c.representative for c in found)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    assert clusters(shuffled, position, chars, RULE, keep)[0] == found


def test_a_report_read_back_chooses_as_the_scan_would(words: list[str]) -> None:
    # clean --report re-chooses the kept documents for its own --keep from the
    # report's exact shingle counts: the same clusters as a scan with that choice
    texts = [" ".join(words[s : s + n]) for s, n in ((0, 300), (0, 1200), (130, 1000), (260, 1000))]
    docs = [Document(f"d{i}", t) for i, t in enumerate(texts)]
    report = from_dict(to_dict(scan(docs)))
    chars = {d.id: len(d.text) for d in docs}
    for keep in KEEP:
        assert (
            kept_clusters(report, keep, chars) == scan(docs, Config(representative=keep)).clusters
        )
