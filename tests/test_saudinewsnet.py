"""scan() on a slice of real news (../shared/data/saudinewsnet)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from benchmarks.quality import judged
from dedup import CleanPolicy, Config, Document, ScanResult, scan
from dedup.clean import plan
from dedup.cluster import Coverage
from dedup.minhash import window_hashes
from dedup.models import Span
from dedup.reports.json import to_dict
from dedup.text import normalize_token, tokenize
from tests.conftest import needs

SLICE = 3000


def doc_set(text: str) -> np.ndarray:
    """A document's shingle set by the plain per-document functions."""
    hashes = tokenize(text).hashes
    return np.unique(window_hashes(hashes, min(5, len(hashes)))) if len(hashes) else hashes


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
    assert {s.kind for s in result.spans} == {"within", "formula", "across", "boilerplate"}
    for s in result.spans:
        copy = text[s.doc][s.start : s.end]
        orig = text[s.duplicate_of.doc][s.duplicate_of.start : s.duplicate_of.end]
        assert copy == copy.strip() and orig == orig.strip() and copy and orig
        if s.similarity == 1.0:
            # equal shingle sets hold the same normalized words
            assert words(copy) == words(orig)


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    needs(SAUDINEWSNET)
    return list(saudinewsnet())


@pytest.fixture(scope="module")
def full(corpus: list[Document]) -> ScanResult:
    return scan(corpus, workers=2)


def test_clean_drops_only_documents_a_kept_one_covers(
    corpus: list[Document], full: ScanResult
) -> None:
    """All of SaudiNewsNet, default clean: each dropped article names a kept
    article that covers it, recomputed from the two texts. So no dropped
    article strictly contains its kept one (covers it without being covered),
    as 2015-07-21/0215 (5,124 characters) did 2015-07-21/0020 (1,167) when
    the first of a union-find cluster was kept."""
    text = {d.id: d.text for d in corpus}
    dropped = plan(full, CleanPolicy()).dropped
    assert len(dropped) > 4000  # wire copy republished across the outlets
    kept_ids = {r.duplicate_of.doc for r in dropped.values() if r.duplicate_of}
    assert not kept_ids & set(dropped)
    rule = Coverage(0.8, 0.8, 20)
    for removal in dropped.values():
        assert removal.duplicate_of is not None and removal.reason == "near-duplicate"
        mine, kept = doc_set(text[removal.doc]), doc_set(text[removal.duplicate_of.doc])
        shared = len(np.intersect1d(mine, kept))
        assert rule.covered(len(mine), len(kept), shared), removal
        assert removal.jaccard == round(shared / len(np.union1d(mine, kept)), 4)
        assert removal.containment == round(shared / len(mine), 4)
    # contained, its paragraph wrapped over two lines: no paragraph is shared
    ref = dropped["2015-08-07/0347"].duplicate_of
    assert ref is not None and ref.doc == "2015-08-07/0312"
    assert "2015-07-21/0215" not in dropped and "2015-07-21/0020" in dropped


def test_judged_sample(full: ScanResult) -> None:
    """benchmarks/quality/judged: findings read and labelled by a reader,
    before the changes of issue 14 (sample.jsonl) and of what they changed
    (changed.jsonl). Counts, not timings: the same corpus gives the same."""
    report = to_dict(full)
    before = judged.score(report, judged.SAMPLE)
    right = {k: v["right"] / v["n"] for k, v in before["kinds"].items()}
    assert right["within"] >= 0.9 and right["formula"] >= 0.9
    assert right["across"] >= 0.95 and right["passage"] >= 0.95
    extent = before["extent"]
    assert extent["covered"] >= 0.9 * extent["reused_chars"]
    changed = judged.score(report, judged.CHANGES)["kinds"]
    assert changed["passage"]["right"] >= 0.95 * changed["passage"]["n"]
    assert changed["boilerplate"]["right"] >= 0.8 * changed["boilerplate"]["n"]


def span_at(result: ScanResult, doc: str, start: int) -> Span:
    (span,) = [s for s in result.spans if s.doc == doc and s.start == start]
    return span


def test_formulas_are_kept_and_repeats_removed(corpus: list[Document], full: ScanResult) -> None:
    text = {d.id: d.text for d in corpus}
    # The condolence formula, for a second sender: kept.
    condolence = span_at(full, "2015-08-08/0711", 833)
    assert condolence.kind == "formula" and condolence.end == 946
    assert text[condolence.doc][833:946].startswith("وعبر سموه عن عزائه ومواساته لأسر الشهداء")
    o = condolence.duplicate_of
    assert (o.doc, o.start, o.end) == ("2015-08-08/0711", 315, 429)
    assert text[o.doc][o.start : o.end].startswith("وأعرب سموه عن عزائه ومواساته")
    # A paragraph doubled back to back: removed.
    doubled = span_at(full, "2015-08-03/0089", 1149)
    o = doubled.duplicate_of
    assert doubled.kind == "within" and (o.start, o.end) == (1015, 1146)
    assert words(text[o.doc][o.start : o.end]) == words(text[doubled.doc][1149 : doubled.end])
    # The cabinet formula closing a third decision: clean leaves it unless asked.
    doc = "2015-08-03/0094"
    formula = [s for s in full.spans if s.doc == doc and s.kind == "formula"]
    assert len(formula) == 2 and all("مرسوم ملكي" in text[doc][s.start : s.end] for s in formula)
    kept = {d.id: d for d in corpus if d.id == doc}
    for policy, count in ((CleanPolicy(), 3), (CleanPolicy(formula=True), 1)):
        cleaned = plan(full, policy).cuts.get(doc, [])
        cut = [s for s, reason in cleaned if reason == "formula"]
        assert text[doc].count("مرسوم ملكي") - len(cut) == count, kept


def test_templates_are_not_copies(corpus: list[Document], full: ScanResult) -> None:
    """A gallery widget with a photographer's byline, a columnist's contact
    line with the columnist's code: boilerplate, though each exact line is in
    fewer than 10 documents; a passage made of a sign-off and contact lines
    is no copy."""
    text = {d.id: d.text for d in corpus}
    widget = [s for s in full.spans if text[s.doc][s.start : s.end].startswith("Next Previous")]
    assert len(widget) > 100 and {s.kind for s in widget} == {"boilerplate"}
    contact = [s for s in full.spans if text[s.doc][s.start : s.end].startswith("تبدأ بالرمز (")]
    assert len(contact) > 50 and {s.kind for s in contact} == {"boilerplate"}
    sign_off = [s for s in full.spans if s.doc == "2015-07-27/0540" and s.match == "passage"]
    assert sign_off == []


@pytest.mark.parametrize("levels", ["documents", "paragraphs", "passages", "repetition"])
def test_one_level_finds_what_the_full_scan_finds_there(
    docs: list[Document], result: ScanResult, levels: str
) -> None:
    """A scan of one level gives that level's findings of a full scan, and
    nothing else. Passages alone also hold those a paragraph span already
    says, and keep the boilerplate at their ends (only paragraphs know it):
    each of the full scan's passages lies inside one of them."""
    part = scan(docs, Config(levels=levels))
    assert [d.id for d in part.documents] == [d.id for d in result.documents]
    stats = [d.repetition for d in part.documents]
    full_stats = [d.repetition for d in result.documents]
    assert stats == (full_stats if levels == "repetition" else [{}] * len(docs))
    assert (part.clusters, part.related) == (
        (result.clusters, result.related) if levels == "documents" else ([], [])
    )
    paragraph_spans = [s for s in result.spans if s.match == "paragraph"]
    if levels == "paragraphs":
        assert part.spans == paragraph_spans and part.boilerplate == result.boilerplate
    elif levels == "passages":
        assert {s.match for s in part.spans} == {"passage"}
        for s in (s for s in result.spans if s.match == "passage"):
            assert any(
                (p.doc, p.duplicate_of.doc) == (s.doc, s.duplicate_of.doc)
                and p.start <= s.start < s.end <= p.end
                for p in part.spans
            ), s
    else:
        assert part.spans == [] and part.boilerplate == []


def test_paragraph_verification_in_small_parts_finds_the_same(
    docs: list[Document], result: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paragraph and document candidates verified a few sets at a time (the
    bound that keeps a task's memory flat when a set is huge) give the same
    report."""
    import dedup.finders

    monkeypatch.setattr(dedup.finders, "_GATHER", 200)  # a pair or two a part
    assert any(s.match == "paragraph" and s.similarity < 1 for s in result.spans)  # near ones
    assert to_dict(scan(docs)) == to_dict(result)
