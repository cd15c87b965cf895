"""Every compiled kernel equals its plain twin (dedup/reference), on random
token sequences and on real news; and again with numba switched off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numba
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, kernels, read_documents, reference, scan
from dedup.features import featurize_batch
from dedup.finders.paragraphs import _ranked_table
from dedup.finders.passages import _ANCHOR, _BRIDGE, _DENSE, _WINDOW, STOP_SORTED
from dedup.lsh import band_keys
from dedup.minhash import fmix64
from dedup.repetition import repetition_stats, stat_names
from dedup.text import tokenize
from dedup.verify import Members, jaccard
from tests.conftest import ROOT, needs
from tests.test_reference import check_batch

# Without numba (test_kernels_without_numba) the kernels run as the Python
# they are: the tests on real news check a quarter of their articles or pairs
# there (52 s of the 87 s that run took with all of them; all run here).
SHARE = 4 if numba.config.DISABLE_JIT else 1

# Few distinct tokens, so that runs, differences and anchors all happen.
TOKENS = st.lists(st.integers(1, 6), max_size=60).map(lambda x: np.array(x, np.uint64))


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.integers(0, 70), st.integers(0, 70), st.sets(st.integers(1, 6)))
def test_follow_equals_its_twin_on_random_tokens(
    a: np.ndarray, b: np.ndarray, qa: int, qb: int, stop: set[int]
) -> None:
    qa, qb = min(qa, len(a)), min(qb, len(b))
    words = np.array(sorted(stop), np.uint64)
    for bridge, anchor in ((_BRIDGE, _ANCHOR), (3, 2), (0, 1)):
        got = kernels.follow(a, b, qa, qb, bridge, anchor, words)
        assert got == reference.follow(a, b, qa, qb, bridge, anchor, words)
        # and read backwards, as passages do from a copy's first seed
        ra, rb = a[::-1], b[::-1]
        got = kernels.follow(ra, rb, qa, qb, bridge, anchor, words)
        assert got == reference.follow(ra, rb, qa, qb, bridge, anchor, words)


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.data(), st.sets(st.integers(1, 6)))
def test_trim_equals_its_twin_on_random_tokens(
    a: np.ndarray, b: np.ndarray, data: st.DataObject, stop: set[int]
) -> None:
    a_lo = data.draw(st.integers(0, len(a)))
    a_hi = data.draw(st.integers(a_lo, len(a)))
    b_lo = data.draw(st.integers(0, len(b)))
    b_hi = data.draw(st.integers(b_lo, len(b)))
    words = np.array(sorted(stop), np.uint64)
    for window, dense in ((_WINDOW, _DENSE), (3, 1), (1, 2)):
        args = (window, dense, words)
        *got, sorted_a, sorted_b = kernels.trim(a, b, a_lo, a_hi, b_lo, b_hi, *args)
        assert tuple(got) == reference.trim(a, b, a_lo, a_hi, b_lo, b_hi, *args)
        assert np.array_equal(sorted_a, np.sort(a[got[0] : got[1]]))
        assert np.array_equal(sorted_b, np.sort(b[got[2] : got[3]]))


# Words 1-12 against words 1-6: runs of words the other side lacks part a side into pieces.
SPARSE = st.lists(st.integers(1, 12), max_size=120).map(lambda x: np.array(x, np.uint64))


@settings(max_examples=400, deadline=None)
@given(TOKENS, SPARSE, st.integers(1, 4), st.integers(1, 3), st.data())
def test_trim_cuts_short_pieces_as_its_twin(
    a: np.ndarray, b: np.ndarray, window: int, dense: int, data: st.DataObject
) -> None:
    stop = np.array(sorted(data.draw(st.sets(st.integers(1, 6), max_size=2))), np.uint64)
    args = (window, dense, stop)
    for x, y in ((a, b), (b, a)):
        *got, _, _ = kernels.trim(x, y, 0, len(x), 0, len(y), *args)
        assert tuple(got) == reference.trim(x, y, 0, len(x), 0, len(y), *args)


def test_an_end_piece_a_window_long_is_kept() -> None:
    """b ends on a piece of a's first words spanning exactly a window (1 _ 2),
    a gap after its copy (4 5 6): long enough to stay."""
    a, b = np.arange(1, 7, dtype=np.uint64), np.array([4, 5, 6, 9, 9, 9, 1, 9, 2], np.uint64)
    args = (0, len(a), 0, len(b), 2, 1, np.empty(0, np.uint64))
    assert reference.trim(a, b, *args)[2:] == (0, 9)
    assert kernels.trim(a, b, *args)[:4] == reference.trim(a, b, *args)


def seeds(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """chain's input for every token a rare word: b's positions, where each
    word's occurrences in a start and end, a's positions grouped by word."""
    order = np.argsort(a, kind="stable")
    lo, hi = np.searchsorted(a[order], b), np.searchsorted(a[order], b, side="right")
    hit = hi > lo
    return np.flatnonzero(hit), lo[hit], hi[hit], order


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.integers(0, 12))
def test_chain_equals_its_twin_on_random_tokens(a: np.ndarray, b: np.ndarray, gap: int) -> None:
    args = seeds(a, b)
    assert np.array_equal(kernels.chain(*args, gap), reference.chain(*args, gap))


def test_follow_and_trim_equal_their_twins_on_news() -> None:
    """Consecutive articles (wire copy republished, topic words shared),
    followed from places where their tokens agree, and trimmed around them."""
    needs(SAUDINEWSNET)
    docs = [tokenize(d.text).hashes for d in saudinewsnet(400 // SHARE)]
    checked = 0
    for a, b in pairwise(docs):
        common = np.intersect1d(a, b)
        for w in common[:: max(1, len(common) // 5)].tolist():
            qa, qb = int(np.flatnonzero(a == w)[0]), int(np.flatnonzero(b == w)[0])
            got = kernels.follow(a, b, qa, qb, _BRIDGE, _ANCHOR, STOP_SORTED)
            assert got == reference.follow(a, b, qa, qb, _BRIDGE, _ANCHOR, STOP_SORTED)
            ends = (max(0, qa - 40), min(len(a), qa + 60), max(0, qb - 40), min(len(b), qb + 60))
            args = (_WINDOW, _DENSE, STOP_SORTED)
            assert kernels.trim(a, b, *ends, *args)[:4] == reference.trim(a, b, *ends, *args)
            checked += 1
        args = seeds(a, b)
        assert np.array_equal(kernels.chain(*args, 25), reference.chain(*args, 25))
    assert checked > 500 // SHARE


def align_inputs(a: np.ndarray, b: np.ndarray, rare: np.ndarray) -> tuple[np.ndarray, ...]:
    """align's seeds: b's rare positions and words, a's rare words grouped."""
    in_a, in_b = np.flatnonzero(np.isin(a, rare)), np.flatnonzero(np.isin(b, rare))
    order = np.argsort(a[in_a], kind="stable")
    return a, b, in_b, b[in_b], a[in_a][order], in_a[order]


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.sets(st.integers(1, 6)), st.sets(st.integers(1, 6)), st.data())
def test_align_equals_its_twin_on_random_tokens(
    a: np.ndarray, b: np.ndarray, rare: set[int], stop: set[int], data: st.DataObject
) -> None:
    inputs = align_inputs(a, b, np.array(sorted(rare), np.uint64))
    gap, min_seeds, min_tokens = (data.draw(st.integers(0, n)) for n in (8, 4, 6))
    threshold = data.draw(st.sampled_from([0.0, 0.3, 0.6]))
    args = (gap, min_seeds, min_tokens, threshold, 3, 2, 4, 2, np.array(sorted(stop), np.uint64))
    got, expected = kernels.align(*inputs, *args), reference.align(*inputs, *args)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, min_size=2, max_size=4), st.sets(st.integers(1, 6), min_size=1), st.data())
def test_align_pairs_equals_its_twin_on_random_tokens(
    docs: list[np.ndarray], rare_set: set[int], data: st.DataObject
) -> None:
    """align_pairs seeds a pair by merging the two documents' rare words in
    word order (runs of one word included), align by searching b's in a's."""
    rare = np.array(sorted(rare_set), np.uint64)
    pairs = [(a, b) for a in range(len(docs)) for b in range(len(docs)) if a != b]
    gap, min_seeds, min_tokens = (data.draw(st.integers(n // 2, n)) for n in (8, 4, 6))
    args = (gap, min_seeds, min_tokens, 0.3, 3, 2, 4, 2, np.array([5], np.uint64))
    is_rare = Members(rare, rare=True)
    rows, similarities = kernels.align_pairs(
        np.concatenate(docs), np.concatenate(([0], np.cumsum([len(d) for d in docs]))),
        np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]),
        is_rare.starts, is_rare.shift, rare, is_rare.bitmap, args,
    )  # fmt: skip
    expected_rows, expected_similarities = [], []
    for i, (a, b) in enumerate(pairs):
        found, sims = reference.align(*align_inputs(docs[a], docs[b], rare), *args)
        expected_rows += [[i, *r] for r in found.tolist()]
        expected_similarities += sims.tolist()
    assert rows.tolist() == expected_rows and similarities.tolist() == expected_similarities


def test_align_pairs_align_and_members_equal_their_twins_on_news() -> None:
    """Articles of a few days that share rare words (in 2 to 20 of them),
    each aligned with the 10 before it, with the scan's settings:
    kernels.align_pairs (a block's pairs in one call, each document's rare
    words found once) and kernels.align (one pair) against reference.align,
    pair by pair; rare words found by kernels.find."""
    needs(SAUDINEWSNET)
    docs = [tokenize(d.text).hashes for d in saudinewsnet(250)]
    vocab, df = np.unique(np.concatenate([np.unique(d) for d in docs]), return_counts=True)
    rare = vocab[(df >= 2) & (df <= 20)]
    cfg = Config()
    args = (cfg.passage_gap, cfg.passage_min_seeds, cfg.passage_min_tokens, cfg.passage_threshold)
    args += (_BRIDGE, _ANCHOR, _WINDOW, _DENSE, STOP_SORTED)
    pairs = np.array([(a, b) for b in range(len(docs)) for a in range(max(0, b - 10), b)])
    pairs = pairs[pairs[:, 1] % SHARE == 0]  # b's pairs, for a quarter of the b's
    is_rare, plain = Members(rare, rare=True), Members(rare)
    for b in np.unique(pairs[:, 1]).tolist():  # kernels.find, with its bit map and without
        for members in (is_rare, plain):
            assert np.array_equal(members(docs[b]), np.isin(docs[b], rare))
    offsets = np.concatenate(([0], np.cumsum([len(d) for d in docs])))
    rows, similarities = kernels.align_pairs(
        np.concatenate(docs), offsets, pairs[:, 0], pairs[:, 1],
        is_rare.starts, is_rare.shift, rare, is_rare.bitmap, args,
    )  # fmt: skip
    expected_rows, expected_similarities = [], []
    for i, (a, b) in enumerate(pairs.tolist()):
        inputs = align_inputs(docs[a], docs[b], rare)
        found, sims = reference.align(*inputs, *args)
        got = kernels.align(*inputs, *args)
        assert np.array_equal(got[0], found) and np.array_equal(got[1], sims)
        expected_rows += [[i, *r] for r in found.tolist()]
        expected_similarities += sims.tolist()
    assert rows.tolist() == expected_rows and similarities.tolist() == expected_similarities
    assert len(expected_rows) >= 10 // SHARE  # passages found, not only empty answers compared


SETS = st.lists(st.integers(0, 300), max_size=200).map(lambda x: np.unique(np.array(x, np.uint64)))


@settings(max_examples=400, deadline=None)
@given(SETS, SETS)
def test_overlap_equals_intersect1d(a: np.ndarray, b: np.ndarray) -> None:
    """Sets of every relative size: merged, or the smaller searched in the larger."""
    assert kernels.overlap(a, b) == len(np.intersect1d(a, b)) == kernels.overlap(b, a)


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.sets(st.integers(1, 6)), st.data())
def test_counted_jaccard_and_once_equal_their_twins(
    a: np.ndarray, b: np.ndarray, stop: set[int], data: st.DataObject
) -> None:
    assert kernels.counted_jaccard(np.sort(a), np.sort(b)) == reference.counted_jaccard(a, b)
    lo = data.draw(st.integers(0, len(b)))
    hi = data.draw(st.integers(lo, len(b)))
    words = np.array(sorted(stop), np.uint64)
    assert kernels.once(b, lo, hi, np.sort(a), words) == reference.once(b, lo, hi, a, words)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 7), max_size=8), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=12),
    st.integers(0, 2**30),
    st.integers(0, 3),
)
def test_paragraph_copies_and_blocks_equal_their_twins(
    docs: list[list[int]], edges: list[tuple[int, int]], seed: int, max_gap: int
) -> None:
    """kernels.paragraph_copies and copy_blocks (a document's copies and
    their blocks: paragraph spans) on documents of paragraphs in groups
    0-7, some groups verified near others."""
    rng = np.random.default_rng(seed)
    para_group = np.array([g for d in docs for g in d], np.int64)
    lengths = [len(d) for d in docs]
    doc_first_para = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    para_doc = np.repeat(np.arange(len(docs)), lengths)
    group_first = np.full(8, len(para_group), np.int64)
    np.minimum.at(group_first, para_group, np.arange(len(para_group)))
    near: dict[int, list[int]] = {}
    for g, h in {(g, h) for g, h in edges if g != h}:
        near.setdefault(g, []).append(h)
        near.setdefault(h, []).append(g)
    counts = np.array([len(near.get(g, [])) for g in range(8)], np.int64)
    near_starts = np.concatenate(([0], np.cumsum(counts)))
    adjacent = np.array([h for g in range(8) for h in near.get(g, [])], np.int64)
    boiler, long, short = (rng.random(len(para_group)) < 0.3 for _ in range(3))
    chosen = np.flatnonzero(rng.random(len(docs)) < 0.8)
    asked = (chosen, doc_first_para, para_group, group_first, boiler, long, near_starts, adjacent)
    rows = kernels.paragraph_copies(*asked)
    assert rows.tolist() == reference.paragraph_copies(*asked).tolist()

    kinds = ["within", "across", "boilerplate"]
    for skipped in (np.empty(0, bool), short):
        is_short = skipped.__getitem__ if len(skipped) else lambda p: True
        expected = []
        for d in chosen.tolist():
            mine = rows[para_doc[rows[:, 0]] == d].tolist()
            copies = [reference.Copy(p, o, kinds[k], bool(x)) for p, o, k, x in mine]
            for b in reference.merge_blocks(copies, lambda p: int(para_doc[p]), max_gap, is_short):
                row = [kinds.index(b.kind), b.first, b.last, b.orig_first, b.orig_last, b.long]
                expected.append(row)
        got = kernels.copy_blocks(rows, para_doc, max_gap, skipped)
        assert got.tolist() == expected


# Rows doc, a, lo, hi: by document (0-2), each document's in the order drawn.
RANGES = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 40), st.integers(1, 30)).map(
        lambda r: (r[0], r[1], r[2], r[2] + r[3])
    ),
    max_size=16,
).map(lambda rows: np.array(sorted(rows, key=lambda r: r[0]), np.int64).reshape(-1, 4))


@settings(max_examples=300, deadline=None)
@given(RANGES, RANGES, st.integers(1, 12))
def test_new_passages_equals_its_twin(held: np.ndarray, asked: np.ndarray, least: int) -> None:
    """kernels.new_passages (which passages add_passages keeps), over
    documents with and without spans."""
    got = kernels.new_passages(held, asked, least)
    assert got.tolist() == reference.new_passages(held, asked, least).tolist()


@st.composite
def _side(draw: st.DrawFn) -> tuple[np.ndarray, int, int, np.ndarray]:
    """A passage side: a document's words (few distinct, so they repeat),
    the side's range in it, and boilerplate ranges anywhere around it."""
    words = np.array(draw(st.lists(st.integers(0, 5), min_size=1, max_size=30)), np.uint64)
    lo = draw(st.integers(0, len(words) - 1))
    hi = draw(st.integers(lo + 1, len(words)))
    cut = draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=4))
    return words, lo, hi, np.array(sorted(cut), np.int64).reshape(-1, 2)


@settings(max_examples=300, deadline=None)
@given(_side(), _side(), st.integers(1, 8))
def test_without_template_equals_its_twin(
    a: tuple[np.ndarray, int, int, np.ndarray],
    b: tuple[np.ndarray, int, int, np.ndarray],
    least: int,
) -> None:
    """kernels.without_template (a passage less its boilerplate, add_passages)."""
    assert kernels.without_template(*a, *b, least) == reference.without_template(*a, *b, least)


@settings(max_examples=100, deadline=None)
@given(st.lists(SETS, min_size=1, max_size=8), st.data())
def test_overlaps_equal_intersect1d_pair_by_pair(
    sets: list[np.ndarray], data: st.DataObject
) -> None:
    """kernels.overlaps (a verification task's pairs in one call)."""
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in sets])))
    slot = st.integers(0, len(sets) - 1)
    pairs = np.array(data.draw(st.lists(st.tuples(slot, slot), max_size=20)), np.int64)
    pairs = pairs.reshape(-1, 2)
    got = kernels.overlaps(np.concatenate(sets), offsets, pairs[:, 0], pairs[:, 1])
    assert got.tolist() == [len(np.intersect1d(sets[a], sets[b])) for a, b in pairs.tolist()]


@settings(max_examples=100, deadline=None)
@given(st.lists(SETS, min_size=1, max_size=8), st.data())
def test_range_jaccards_equal_jaccard_of_unions(
    sets: list[np.ndarray], data: st.DataObject
) -> None:
    """kernels.range_jaccards (a block of paragraphs against its original's)."""
    offsets = np.concatenate(([0], np.cumsum([len(x) for x in sets])))
    ranges = st.tuples(st.integers(0, len(sets) - 1), st.integers(1, len(sets))).map(sorted)
    asked = np.array(data.draw(st.lists(st.tuples(ranges, ranges), max_size=20)), np.int64)
    asked = asked.reshape(-1, 4)
    got = kernels.range_jaccards(np.concatenate(sets), offsets, *asked.T)
    union = lambda lo, hi: np.unique(np.concatenate([*sets[lo:hi], np.empty(0, np.uint64)]))  # noqa: E731
    expected = [jaccard(union(a, b), union(c, d)) for a, b, c, d in asked.tolist()]
    assert got.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=12), st.integers(0, 2**32))
def test_affixes_equal_their_twin(counts: list[int], seed: int) -> None:
    """Template-frame hashes of paragraphs of every length, around the frame's
    16 and past it, with tokens whose products overflow 64 bits."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 2**64 - 1, sum(counts) + 3, dtype=np.uint64, endpoint=True)
    count = np.array(counts, np.int64)
    first = np.cumsum(count) - count + 1  # paragraphs after a token of something else
    args = (16, np.uint64(0x243F6A8885A308D3), np.uint64(0x13198A2E03707344), np.uint64(0x1B3))
    got, expected = (
        kernels.affixes(tokens, first, count, *args),
        reference.affixes(tokens, first, count, *args),
    )
    assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 4), max_size=20), min_size=1, max_size=12),
    st.lists(st.integers(0, 3), min_size=1),
    st.data(),
)
def test_affix_holders_equals_its_twin(
    paragraphs: list[list[int]], docs: list[int], data: st.DataObject
) -> None:
    """Template frames counted (templates' pass over the corpus), the walk
    stopped at the first affix not asked about, against every affix looked
    up: paragraphs of a few tokens, so that affixes recur, of documents in
    order, the asked ones' affixes the set, in one call or two."""
    count = np.array([len(x) for x in paragraphs], np.int64)
    tokens = np.array([t for x in paragraphs for t in x], np.uint64)
    first = np.cumsum(count) - count
    owners = np.sort(np.resize(np.array(docs, np.int64), len(count)))
    seeds = (np.uint64(0x243F6A8885A308D3), np.uint64(0x13198A2E03707344), np.uint64(0x1B3))
    asked = np.array(data.draw(st.lists(st.booleans(), min_size=len(count), max_size=len(count))))
    pre, suf = kernels.affixes(tokens, first[asked], count[asked], 16, *seeds)
    valid = np.arange(16) < count[asked, None]
    wanted = np.unique(np.concatenate((pre[valid], suf[valid])))
    table = kernels.affix_table(wanted)
    cut = data.draw(st.integers(0, len(count)))
    for part in (slice(0, cut), slice(cut, None)):
        kernels.affix_holders(tokens, first[part], count[part], owners[part], 16, seeds, table)
    expected = reference.affix_holders(tokens, first, count, owners, 16, seeds, wanted)
    assert kernels.affix_counts(table, wanted).tolist() == expected.tolist()
    # The tasks' way: a table built into an array (a file's mapping, read
    # only) whose rows give the affixes' ranks; each part's hits, distinct,
    # counted by rank, added up (their parts hold other documents).
    table = kernels.affix_table(wanted, np.zeros(kernels.affix_shape(len(wanted)), np.uint64))
    table.flags.writeable = False
    cut = int(np.searchsorted(owners, owners[cut])) if cut < len(owners) else cut
    df = np.zeros(len(wanted), np.int64)
    for part in (slice(0, cut), slice(cut, None)):
        hits = np.unique(
            kernels.affix_hits(tokens, first[part], count[part], owners[part], 16, seeds, table)
        )
        rows, counts = np.unique(hits >> 32, return_counts=True)
        df[(table[rows, 1] - 1).astype(np.int64)] += counts
    assert kernels.affix_counts(table, wanted).tolist() == list(range(len(wanted)))
    assert df.tolist() == expected.tolist()


def test_the_tasks_build_one_ranked_affix_table_beside_the_affixes(tmp_path: Path) -> None:
    """templates' tasks (_ranked_table): the first to want it builds the
    table of the saved affixes beside them, and the others map it; two
    built at once leave one, the same. Its rows give the affixes' ranks."""
    rng = np.random.default_rng(0)
    ordered = np.unique(rng.integers(0, 2**64, 5_000, np.uint64, endpoint=False))
    saved = tmp_path / "affixes.npy"
    np.save(saved, ordered)
    with ThreadPoolExecutor(2) as pool:
        tables = list(pool.map(_ranked_table, [saved, saved]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["affixes.npy", "affixes.table.npy"]
    again = _ranked_table(saved)
    for table in [*tables, again]:
        assert kernels.affix_counts(table, ordered).tolist() == list(range(len(ordered)))
        assert np.array_equal(table, tables[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS.map(lambda t: t[:30]), min_size=2, max_size=6), st.data())
def test_edit_distances_equal_their_twin(runs: list[np.ndarray], data: st.DataObject) -> None:
    """Banded edit distances, capped at most + 1, against the whole table's;
    tokens from a few values, so that runs differ by an edit or two as often
    as by many."""
    pairs = data.draw(st.lists(st.tuples(*[st.integers(0, len(runs) - 1)] * 2), max_size=20))
    most = np.array(
        data.draw(st.lists(st.integers(0, 8), min_size=len(pairs), max_size=len(pairs)))
    )
    a, b = np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64)
    offsets = np.concatenate(([0], np.cumsum([len(r) for r in runs])))
    got = kernels.edit_distances(np.concatenate(runs), offsets, a, b, most.astype(np.int64))
    plain = [reference.edit_distance(runs[x].tolist(), runs[y].tolist()) for x, y in pairs]
    assert got.tolist() == [min(d, m + 1) for d, m in zip(plain, most.tolist(), strict=True)]


def test_edit_distances_equal_their_twin_on_news() -> None:
    """Paragraph against paragraph of SaudiNewsNet articles, near and far,
    with the bound the finder gives them and with a wide one."""
    needs(SAUDINEWSNET)
    paras = [tokenize(p).hashes for d in saudinewsnet(60) for p in d.text.split("\n") if p.strip()][
        :300
    ]
    rng = np.random.default_rng(0)
    pairs = np.array([(i, (i + int(rng.integers(1, 4))) % len(paras)) for i in range(len(paras))])
    pairs = np.concatenate((pairs, np.stack((np.arange(len(paras)),) * 2, axis=1)))
    offsets = np.concatenate(([0], np.cumsum([len(p) for p in paras])))
    plain = [reference.edit_distance(paras[x].tolist(), paras[y].tolist()) for x, y in pairs]
    for most in (
        np.full(len(pairs), 40),
        np.array([max(len(paras[x]), len(paras[y])) // 8 for x, y in pairs]),
    ):
        got = kernels.edit_distances(np.concatenate(paras), offsets, pairs[:, 0], pairs[:, 1], most)
        assert got.tolist() == [min(d, m + 1) for d, m in zip(plain, most.tolist(), strict=True)]
    assert sum(0 < d <= 40 for d in plain) >= 5  # some near, not only equal or far


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 20), max_size=300))
def test_unique_equals_np_unique(values: list[int]) -> None:
    """kernels.unique (shingle set unions, containment sketch heads) and
    kernels._sorted (a radix sort from 64 values up: passage sides)."""
    array = np.array(values, np.uint64)
    assert np.array_equal(kernels.unique(array), np.unique(array))
    assert np.array_equal(kernels._sorted(array), np.sort(array))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=80))
def test_components_equal_scipys(n: int, edges: list[tuple[int, int]]) -> None:
    """kernels.components (paragraph groups near each other) against scipy's
    connected_components, each component named by its smallest node."""
    a, b = (np.array([e[i] % n for e in edges], np.int64) for i in (0, 1))
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max() + 1, n)
    np.minimum.at(smallest, labels, np.arange(n))
    assert kernels.components(n, a, b).tolist() == smallest[labels].tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40), st.sampled_from([(1, 1), (4, 3), (9, 13), (25, 5)]), st.integers())
def test_band_keys_equal_their_twin(n: int, shape: tuple[int, int], seed: int) -> None:
    """kernels.band_keys against lsh.band_keys, the numpy twin."""
    bands, rows = shape
    sigs = np.random.default_rng(abs(seed)).integers(0, 2**32, (n, 128), np.uint32)
    sigs[: n // 2, :5] = np.iinfo(np.uint32).max  # an empty set's
    got = kernels.band_keys(sigs, bands, rows)
    assert got.dtype == np.uint64 and np.array_equal(got, band_keys(sigs, bands, rows))


BIG_SETS = st.lists(st.integers(0, 2**64 - 1), max_size=300).map(
    lambda x: np.unique(np.array(x, np.uint64))
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(SETS, BIG_SETS), min_size=1, max_size=12),
    st.sampled_from([0.3, 0.5, 0.6, 0.8, 1.0]),
    st.data(),
)
def test_set_bit_maps_equal_their_twin_and_never_drop_a_pair_that_passes(
    sets: list[np.ndarray], threshold: float, data: st.DataObject
) -> None:
    """The paragraph candidates' filter (kernels.may_reach): equal to its
    twin, and exact: a pair whose Jaccard similarity reaches the threshold
    is always kept. Sets drawn from few values overlap a lot."""
    values = np.concatenate(sets)
    lengths = np.array([len(x) for x in sets], np.int64)
    bits = kernels.set_bits(values, lengths, kernels.BIT_WORDS)
    assert np.array_equal(bits, reference.set_bits(sets))
    wide = kernels.set_bits(values, lengths, 32)  # a document's (archive.py)
    assert np.array_equal(wide, reference.set_bits(sets, 32))
    n = len(sets)
    pairs = np.array(
        data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30)),
        np.int64,
    ).reshape(-1, 2)
    keep = kernels.may_reach(pairs, bits, lengths, threshold)
    assert np.array_equal(keep, reference.may_reach(pairs, bits, lengths, threshold))
    for (i, j), kept in zip(pairs.tolist(), keep.tolist(), strict=True):
        if jaccard(sets[i], sets[j]) >= threshold:
            assert kept, (i, j)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=20),
    SETS,
    st.integers(0, 5),
    st.integers(1, 6),
    st.data(),
)
def test_sketch_holdings_equal_their_twin(
    sets: list[list[int]], ordered: np.ndarray, own_size: int, most: int, data: st.DataObject
) -> None:
    """The containment sketch's pass: which sketch hashes each set holds,
    each for its first ``most`` holders, counted over two calls."""
    parts = [np.unique(np.array(x, np.uint64)) for x in sets]
    cut = data.draw(st.integers(0, len(parts)))
    is_in = Members(ordered, rare=data.draw(st.booleans()))  # a bit map or none
    counts = np.zeros(len(ordered), np.int64)
    twin_counts = np.zeros(len(ordered), np.int64)
    for first, block in ((0, parts[:cut]), (cut, parts[cut:])):
        values = np.concatenate(block) if block else np.empty(0, np.uint64)
        lengths = np.array([len(x) for x in block], np.int64)
        got = kernels.holdings(
            values, lengths, first, is_in.starts, is_in.shift, ordered, is_in.bitmap,
            own_size, counts, most,
        )  # fmt: skip
        expected = reference.holdings(values, lengths, first, ordered, own_size, twin_counts, most)
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    assert np.array_equal(counts, twin_counts)
    held = np.concatenate(parts) if parts else np.empty(0, np.uint64)
    assert np.array_equal(counts, [np.count_nonzero(held == v) for v in ordered])


def _same_partition(group: np.ndarray, counts: np.ndarray, keys: np.ndarray) -> bool:
    """Whether ``group``/``counts`` put equal keys, and only those, together,
    with each group's size (numbered in any order, each number used)."""
    _, inverse, expected = np.unique(keys, return_inverse=True, return_counts=True)
    pairs = np.unique(np.stack([inverse, group]), axis=1)  # one group a key, one key a group
    return (
        len(pairs[0]) == len(counts) == len(expected)
        and np.array_equal(np.unique(pairs[0]), np.arange(len(expected)))
        and np.array_equal(np.unique(pairs[1]), np.arange(len(counts)))
        and np.array_equal(counts[pairs[1]], expected[pairs[0]])
    )


def test_bucketed_groups_partition_as_np_unique_does() -> None:
    """Past 65,536 keys the repetition kernel groups keys bucket by bucket:
    the partition np.unique makes, also where one bucket's keys outgrow its
    table (buckets of 16 keys here, one bucket given 200 distinct keys)."""
    rng = np.random.default_rng(21)
    for keys in (
        rng.integers(0, 2**64 - 1, 70_000, dtype=np.uint64, endpoint=True),
        rng.integers(0, 5, 70_000).astype(np.uint64) << np.uint64(40),  # few, high bits only
        np.full(70_000, 7, np.uint64),
        np.repeat(rng.integers(0, 2**64 - 1, 35_000, dtype=np.uint64, endpoint=True), 2),
    ):
        assert _same_partition(*kernels._groups(keys), keys)
    pool = rng.integers(0, 2**64 - 1, 400_000, dtype=np.uint64, endpoint=True)
    top = fmix64(pool) >> np.uint64(55)  # 5,000 keys in buckets of 16: 512 buckets, 9 bits
    crowd = np.unique(pool[top == 0])[:200]
    assert len(crowd) == 200
    keys = rng.permutation(np.concatenate((crowd, crowd[:50], pool[top != 0][:4_750])))
    assert _same_partition(*kernels._bucket_groups(keys, 16), keys)


def test_repetition_of_a_long_document_equals_its_twin() -> None:
    """A document of 100,000 tokens (150 articles, then their first half
    again, so that most of its n-grams repeat): its repetition statistics,
    grouped bucket by bucket, are the plain functions'."""
    needs(SAUDINEWSNET)
    text = "\n\n".join(d.text for d in saudinewsnet(150))
    text += "\n" + text[: len(text) // 2]
    assert len(tokenize(text).hashes) > 1 << 16
    want = repetition_stats(text, tokenize(text))
    got = featurize_batch([text], Config()).repetition[0]
    assert np.allclose(got, [want[name] for name in stat_names()], rtol=0, atol=1e-12)
    assert want["dup_10_gram_char_frac"] > 0.2


def test_hashed_groups_partition_as_np_unique_does() -> None:
    """Below 65,536 keys the repetition kernel groups equal keys in a hash
    table, numbered by first occurrence: the same partition as np.unique's."""
    rng = np.random.default_rng(22)
    for keys in (
        rng.integers(0, 2**64 - 1, 5_000, dtype=np.uint64, endpoint=True),
        rng.integers(0, 50, 5_000).astype(np.uint64),  # many equal keys
        rng.integers(0, 5, 5_000).astype(np.uint64) << np.uint64(40),  # equal low bits
        np.arange(1 << 10, dtype=np.uint64) << np.uint64(11),  # every key in one slot
        np.full(1, 7, np.uint64),
        np.empty(0, np.uint64),
    ):
        group, counts = kernels._groups(keys)
        _, first, inverse, expected = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        rank = np.argsort(np.argsort(first))  # np.unique's groups by first occurrence
        assert np.array_equal(group, rank[inverse]) and np.array_equal(
            counts, expected[np.argsort(first)]
        )


def test_feature_kernels_equal_their_twins_on_seeds(seed_texts: dict[str, str]) -> None:
    """kernels.tokenize, paragraphs, shingles and repetition, through
    featurize_batch, against the plain per-document functions."""
    check_batch([Document(k, v) for k, v in seed_texts.items()])


def test_kernels_without_numba() -> None:
    """The same tests with NUMBA_DISABLE_JIT=1: the kernels run as the Python
    they are written in (what a platform numba cannot compile for would see).
    All but the 100,000-token document's repetition (55 s as Python): its
    bucket-by-bucket grouping is the bucketed groups' test's, here too; and
    the read-only install's, which compiles nothing without numba."""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        # Wrapping integer arithmetic (hashes) warns in Python's numpy scalars.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", "not without_numba and not long_document and not read_only_install",
         "-W", "ignore:overflow:RuntimeWarning"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_read_only_install_without_a_cache_folder_still_scans(
    tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    """No folder numba could cache in (the package's own is a file here, the
    user's cache folder cannot be made): the kernels compile in memory and
    the scan gives the same findings. Every kernel takes the fallback as it
    is defined, at import; the scan is of paragraphs only, whose kernels
    compile in 20 s where a full scan's take 60 s."""
    shutil.copytree(
        ROOT / "dedup", tmp_path / "dedup", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "dedup" / "__pycache__").write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME="/dev/null/cache", HOME="/dev/null", PYTHONDONTWRITEBYTECODE="1")
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import dedup; "
        "from dedup import Config, read_documents, scan; "
        "assert dedup.__file__.startswith(sys.argv[1]), dedup.__file__; "
        "r = scan(read_documents(sys.argv[2]), Config(levels='paragraphs')); "
        "print(json.dumps([[s.doc, s.start, s.end, s.kind] for s in r.spans]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), str(ROOT / "seeds")],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = scan(read_documents(ROOT / "seeds"), Config(levels="paragraphs")).spans
    assert expected  # the seeds' doubled block, at least
    assert json.loads(done.stdout) == [[s.doc, s.start, s.end, s.kind] for s in expected]
    assert not list((tmp_path / "dedup").rglob("*.nbi"))  # nothing was cached
