"""scan() on a slice of real news (../shared/data/saudinewsnet)."""

from __future__ import annotations

from itertools import combinations

import pytest

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Document, ScanResult, scan
from dedup.text import normalize_token, tokenize
from tests.conftest import needs

SLICE = 3000


def words(text: str) -> set[str]:
    return {normalize_token(w) for w in tokenize(text).words}


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    needs(SAUDINEWSNET)
    return list(saudinewsnet(SLICE))


@pytest.fixture(scope="module")
def result(docs: list[Document]) -> ScanResult:
    return scan(docs)


def test_exact_copies_cluster_and_empty_articles_do_not(
    docs: list[Document], result: ScanResult
) -> None:
    by_words: dict[str, list[str]] = {}
    for d in docs:
        if len(d.text.split()) >= 20:
            by_words.setdefault(" ".join(d.text.split()), []).append(d.id)
    truth = [p for ids in by_words.values() for p in combinations(ids, 2)]
    assert len(truth) > 20  # the slice holds real wire copies
    cluster_of = {m: c.id for c in result.clusters for m in c.members}
    missed = [(a, b) for a, b in truth if a not in cluster_of or cluster_of[a] != cluster_of.get(b)]
    assert missed == []
    empty = {d.id for d in docs if not d.text.strip()}
    assert empty and not empty & set(cluster_of)


def test_every_member_is_covered_by_its_kept_document(result: ScanResult) -> None:
    cfg = result.config
    assert result.clusters and result.related
    for c in result.clusters:
        assert len(c.pairs) == len(c.members) - 1
        for p in c.pairs:
            m = p.other(c.representative)
            assert m in c.members and c.representative in (p.a, p.b)
            assert p.jaccard >= cfg["document_threshold"] or (
                p.containment(m) >= cfg["containment_threshold"]
                and p.shingles(m) >= cfg["min_containment_shingles"]
            )


def test_spans_point_at_matching_text(docs: list[Document], result: ScanResult) -> None:
    text = {d.id: d.text for d in docs}
    assert {s.kind for s in result.spans} == {"within", "across", "boilerplate"}
    for s in result.spans:
        copy = text[s.doc][s.start : s.end]
        orig = text[s.duplicate_of.doc][s.duplicate_of.start : s.duplicate_of.end]
        assert copy == copy.strip() and orig == orig.strip() and copy and orig
        if s.similarity == 1.0:
            # equal shingle sets hold the same normalized words
            assert words(copy) == words(orig)
