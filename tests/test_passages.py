"""Passages inside paragraphs: shuffled, respelled or verbatim, with exact offsets."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, scan
from dedup.engines import Engine, ProcessEngine
from dedup.features import featurize_batch
from dedup.finders import passages
from dedup.finders.passages import (
    _ANCHOR,
    _BRIDGE,
    _DENSE,
    _WINDOW,
    STOP_SORTED,
    _block_pairs,
    _candidate_pairs,
    _incidence,
    _transposed,
    document_frequencies,
    rare_words,
)
from dedup.kernels import follow, trim
from dedup.lsh import decode
from dedup.store import Folder, Spill
from dedup.text import normalize_token, tokenize
from dedup.verify import Members
from tests.conftest import SEEDS, needs, read_text

S000, S003 = "000_612583348e3eef60.txt", "003_3a1cb86beece7294.txt"


def passage_of(text: str, words: int, skip: int) -> tuple[int, int]:
    """[start, end) of ``words`` words of ``text`` after the first ``skip``."""
    toks = tokenize(text)
    return int(toks.starts[skip]), int(toks.ends[skip + words - 1])


def embed(host: str, passage: str) -> tuple[str, int, int]:
    """Put a passage in the middle of the longest line of another text."""
    line = max(host.split("\n"), key=len)
    cut = host.index(line) + line.index(" ", len(line) // 2)
    text = host[:cut] + " " + passage + " " + host[cut + 1 :]
    return text, cut + 1, cut + 1 + len(passage)


def found(source: str, suspicious: str) -> list[tuple[int, int, int, int]]:
    # The other seeds make a corpus: document frequency tells topic words
    # (Lavrov, Idlib, Turkey are in every seed) from the copied passage's.
    others = [
        Document(p.name, read_text(p))
        for p in sorted(SEEDS.glob("*.txt"))
        if p.name not in (S000, S003)
    ]  # the source and the host
    result = scan([Document("src", source), *others, Document("sus", suspicious)])
    return [
        (s.start, s.end, s.duplicate_of.start, s.duplicate_of.end)
        for s in result.spans
        if s.doc == "sus" and s.match == "passage"
    ]


def test_verbatim_passage_inside_a_paragraph(seed_texts: dict[str, str]) -> None:
    source = seed_texts[S000]
    start, end = passage_of(source, 45, 120)
    text, p_start, p_end = embed(seed_texts[S003], source[start:end])
    ((s, e, o_start, o_end),) = found(source, text)
    assert (s, e) == (p_start, p_end)
    assert (o_start, o_end) == (start, end)
    assert text[s:e] == source[o_start:o_end]


def test_word_shuffled_passage(seed_texts: dict[str, str]) -> None:
    source = seed_texts[S000]
    start, end = passage_of(source, 60, 200)
    words = source[start:end].split()
    random.Random(1).shuffle(words)
    shuffled = " ".join(words)
    text, p_start, p_end = embed(seed_texts[S003], shuffled)
    ((s, e, o_start, o_end),) = found(source, text)
    # boundaries within a few words of the truth on both sides
    assert abs(s - p_start) <= 12 and abs(e - p_end) <= 12
    assert abs(o_start - start) <= 12 and abs(o_end - end) <= 12
    # both sides hold (nearly) the same words
    copy = Counter(normalize_token(w) for w in tokenize(text[s:e]).words)
    orig = Counter(normalize_token(w) for w in tokenize(source[o_start:o_end]).words)
    assert sum((copy & orig).values()) / sum((copy | orig).values()) >= 0.9


def test_passage_runs_across_a_changed_word_and_an_insertion(seed_texts: dict[str, str]) -> None:
    """Issue 14: a passage ended at a one-word difference (الثلاثة / الثلاث)
    or a 13-word insertion, leaving the copied text after it unflagged."""
    source = seed_texts[S000]
    start, end = passage_of(source, 90, 120)
    words = source[start:end].split(" ")
    words[30] = "الثلاث"  # a word the source does not have there
    inserted = seed_texts[S003].split()[200:213]  # 13 words of another article
    copy = " ".join(words[:60] + inserted + words[60:])
    text, p_start, p_end = embed(seed_texts[S003], copy)
    ((s, e, o_start, o_end),) = found(source, text)
    assert (s, e) == (p_start, p_end) and text[s:e] == copy
    # the original: the source passage, give or take a word its topic repeats
    assert o_start <= start and o_end >= end and (start - o_start) + (o_end - end) <= 12


def test_a_passage_said_three_times_copies_its_original_once(seed_texts: dict[str, str]) -> None:
    """A copy side that says the original again and again (dpkg's "package
    format version" in three messages) shares its word set, not its words:
    the passage is the first saying, not the three and the text between."""
    source = seed_texts[S000]
    start, end = passage_of(source, 30, 40)
    between = " ".join(seed_texts[S003].split()[300:320])  # text of the host's topic
    copy = source[start:end]
    text, p_start, _ = embed(seed_texts[S003], f"{copy} {between} {copy} {between} {copy}")
    spans = found(source, text)
    assert (p_start, p_start + len(copy), start, end) in spans
    assert text[p_start : p_start + len(copy)] == source[start:end]
    assert all(e - s < 2 * len(copy) for s, e, _, _ in spans)


def test_follow_bridges_small_differences_only() -> None:
    a = np.arange(1, 61, dtype=np.uint64)  # small numbers: no stop word's hash
    b = a.copy()
    b[20] = 999  # a changed word
    inserted = np.arange(500, 500 + 13, dtype=np.uint64)
    b = np.concatenate((b[:40], inserted, b[40:]))
    assert follow(a, b, 0, 0, _BRIDGE, _ANCHOR, STOP_SORTED) == (60, 73)
    longer = np.arange(500, 500 + _BRIDGE + 1, dtype=np.uint64)
    b = np.concatenate((a[:40], longer, a[40:]))
    assert follow(a, b, 0, 0, _BRIDGE, _ANCHOR, STOP_SORTED) == (40, 40)  # too much inserted


def test_trim_drops_a_chance_seed_after_the_copy() -> None:
    copied = np.arange(1, 41, dtype=np.uint64)
    tail_a = np.arange(100, 120, dtype=np.uint64)
    tail_b = np.arange(200, 220, dtype=np.uint64)
    tail_b[-1] = tail_a[-1]  # one rare word both texts hold, a sentence later
    a, b = np.concatenate((copied, tail_a)), np.concatenate((copied, tail_b))
    assert trim(a, b, 0, len(a), 0, len(b), _WINDOW, _DENSE, STOP_SORTED)[:4] == (0, 40, 0, 40)


def test_no_passages_between_unrelated_seeds(seed_texts: dict[str, str]) -> None:
    # Five articles on the same events, none copying another.
    result = scan([Document(k, v) for k, v in seed_texts.items()])
    assert [s for s in result.spans if s.match == "passage"] == []


def test_passages_can_be_switched_off(seed_texts: dict[str, str]) -> None:
    source = seed_texts[S000]
    start, end = passage_of(source, 45, 120)
    text, _, _ = embed(seed_texts[S003], source[start:end])
    result = scan(
        [Document("src", source), Document("sus", text)],
        Config(levels="documents,paragraphs,repetition"),
    )
    assert all(s.match == "paragraph" for s in result.spans)


def random_docs(seed: int, n_docs: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 40, size=rng.integers(0, 30)).astype(np.uint64) for _ in range(n_docs)]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 80), st.integers(1, 5), st.integers(0, 62))
def test_document_frequencies_equal_counting(
    seed: int, n_docs: int, block: int, shift: int
) -> None:
    # Up to 40 distinct words (a table of 4,096 slots), or up to 4,000 (grown
    # while a block is counted); shifted, their slots collide at first.
    rng = np.random.default_rng(seed)
    many = int(rng.choice([40, 4000]))
    words = [
        np.unique(rng.integers(0, many, rng.integers(0, 300)).astype(np.uint64) << np.uint64(shift))
        for _ in range(n_docs)
    ]
    vocab, df = document_frequencies(words, block)
    expected = Counter(w for d in words for w in d.tolist())
    assert dict(zip(vocab.tolist(), df.tolist(), strict=True)) == expected
    assert vocab.tolist() == sorted(expected)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.integers(2, 5))
def test_candidate_pairs_equal_brute_force(seed: int, n_docs: int, min_seeds: int) -> None:
    words = [np.unique(d) for d in random_docs(seed, n_docs)]
    vocab, df = document_frequencies(words)
    rare = vocab[(df >= 2) & (df <= 4)]
    expected = []
    for a in range(n_docs):
        for b in range(a + 1, n_docs):
            shared = set(words[a].tolist()) & set(words[b].tolist()) & set(rare.tolist())
            if len(shared) >= min_seeds:
                expected.append((a, b))
    pairs = _candidate_pairs(words, rare, min_seeds)
    assert [tuple(p) for p in decode(pairs).tolist()] == expected
    # a few later documents at a time, as the alignment tasks ask
    incidence = _incidence(words, Members(rare, rare=True))
    transposed = _transposed(incidence, len(rare))
    blocks = [_block_pairs(incidence, transposed, lo, lo + 3, min_seeds) for lo in range(0, 12, 3)]
    assert np.sort(np.concatenate(blocks)).tolist() == pairs.tolist()
    # both matrices as scipy makes them from the (document, rare word) pairs
    held = [
        (d, int(np.searchsorted(rare, w))) for d in range(n_docs) for w in words[d] if w in rare
    ]
    rows, cols = np.array(held, np.int64).reshape(-1, 2).T
    matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_docs, len(rare)))
    for ours, theirs in ((incidence, matrix), (transposed, matrix.T.tocsr())):
        theirs.sort_indices()
        assert ours.indptr.tolist() == theirs.indptr.tolist()
        assert ours.indices.tolist() == theirs.indices.tolist()


def test_members_equal_isin_and_searchsorted() -> None:
    """kernels.find (verify.Members) against np.isin and np.searchsorted."""
    rng = np.random.default_rng(3)
    pool = rng.integers(0, 2**64 - 1, 5000, dtype=np.uint64, endpoint=True)
    near = pool[:100] ^ np.uint64(1)  # in the same bucket, not members
    small = rng.integers(0, 3000, 2000).astype(np.uint64)  # no hashes: all in bucket 0
    extremes = np.array([0, 1, 2**63, 2**64 - 1], np.uint64)
    for ordered in (np.unique(pool[:2000]), np.unique(small), np.unique(extremes)):
        values = np.concatenate((pool, near, small, small + np.uint64(1), extremes))
        for bits, rare in itertools.product((None, 1, 4, 24), (False, True)):
            # one bucket for all, ..., most buckets empty; with a bit map or not
            members = Members(ordered, bits, rare)
            bitmap_bits = 2 ** min(23, len(ordered).bit_length() + 6) if rare else 0
            assert len(members.bitmap) * 64 == bitmap_bits
            assert np.array_equal(members(values), np.isin(values, ordered))
            at = members.find(values)
            inside = at >= 0
            assert np.array_equal(at[inside], np.searchsorted(ordered, values[inside]))
            assert np.array_equal(ordered[at[inside]], values[inside])
    assert not Members(pool[:0])(pool).any() and not Members(pool[:0], rare=True)(pool).any()


def test_spilled_and_listed_documents_give_the_same_candidates(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    words = [
        np.unique(rng.integers(0, 3000, rng.integers(0, 30)).astype(np.uint64)) for _ in range(3000)
    ]
    spill = Spill(Folder(tmp_path), "words", np.uint64)
    spill.extend(np.concatenate(words), np.array([len(w) for w in words]))
    vocab, df = document_frequencies(words)
    spilled_vocab, spilled_df = document_frequencies(spill)
    assert (vocab == spilled_vocab).all() and (df == spilled_df).all()
    rare = vocab[(df >= 2) & (df <= 20)]
    pairs = _candidate_pairs(words, rare, 2)
    assert len(pairs) > 100 and (pairs == _candidate_pairs(spill, rare, 2)).all()


def _given(value: object) -> object:
    return value


def test_the_alignment_state_counted_by_tasks_is_the_one_counted_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """passages._state: tasks count blocks of documents' words, added up
    here, then find the rare ones in them; in other processes, reading the
    rare words from the file saved for them. The same rare words and
    matrices as all the words counted at once."""
    needs(SAUDINEWSNET)
    texts = [d.text for d in saudinewsnet(3000)]
    f = featurize_batch(texts, Config())
    words = np.split(f.doc_words, np.cumsum(f.doc_word_counts)[:-1])
    vocab, df = document_frequencies(words)
    rare = rare_words(vocab, df, len(words), 100)
    incidence = _incidence(words, Members(rare, rare=True))
    transposed = _transposed(incidence, len(rare))
    assert 1000 < len(rare) < len(vocab) and len(incidence.indices) > 10000
    monkeypatch.setattr(passages, "_STATE_BLOCK", 700)  # 5 blocks, the last shorter
    with ProcessEngine(2) as two:
        for engine in (Engine(), two):
            key = str(tmp_path / type(engine).__name__)
            state = passages._state(engine, partial(_given, words), 100, None, (tmp_path, key))
            assert np.array_equal(state.rare, rare)
            for ours, theirs in ((state.incidence, incidence), (state.transposed, transposed)):
                assert np.array_equal(ours.indptr, theirs.indptr)
                assert np.array_equal(ours.indices, theirs.indices)
            assert Path(f"{key}.rare.npy").exists() == (engine is two)


def test_passages_weighed_against_boilerplate_a_group_at_a_time_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """add_passages reads the tokens of the passages touching boilerplate a
    group at a time: a group a passage, or all in one, the same spans; and
    so do its tasks weighing a few documents' passages each."""
    needs(SAUDINEWSNET)
    docs = list(saudinewsnet(2000))
    found = scan(docs)
    assert any(s.kind == "boilerplate" for s in found.spans)
    assert sum(s.match == "passage" and s.kind == "across" for s in found.spans) > 100
    for size in (1, 1 << 40):
        monkeypatch.setattr(passages, "_WEIGHED", size)
        assert scan(docs) == found
    monkeypatch.setattr(passages, "_WEIGH_DOCS", 3)
    assert scan(docs) == found


def test_blocks_of_a_few_documents_find_the_passages_of_one_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An alignment task answers its block's passages as arrays (made
    Passages where they are collected), none where its documents pair with
    no earlier one. Blocks of 3 documents, most of them pairing none, here
    and in two worker processes: the report of one block of all 600."""
    needs(SAUDINEWSNET)
    news = list(saudinewsnet(600))
    one = scan(news)
    assert sum(s.match == "passage" for s in one.spans) > 10
    monkeypatch.setattr(passages, "_BLOCK", 3)
    answers: list[int] = []
    align = passages._align_block
    with monkeypatch.context() as counted:
        counted.setattr(
            passages, "_align_block", lambda *a: answers.append(len((f := align(*a))[0])) or f
        )
        assert scan(news) == one
    assert len(answers) == 200 and answers.count(0) > 100
    assert scan(news, workers=2) == one  # (forked: blocks of 3 there too)
