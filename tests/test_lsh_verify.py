from __future__ import annotations

import random
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, finders, kernels, reference
from dedup.engines import Engine
from dedup.finders import paragraphs
from dedup.finders.paragraphs import edited_pairs, most_edits, short_limit
from dedup.index import Index
from dedup.lsh import MAX_BUCKET, band_keys, candidate_pairs, decode
from dedup.verify import counted, groups, jaccard, overlap, unique
from tests.conftest import needs
from tests.test_index import build


def reference_candidates(sigs: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    out = set()
    for i in range(len(sigs)):
        for j in range(i + 1, len(sigs)):
            for b in range(bands):
                if np.array_equal(
                    sigs[i, b * rows : (b + 1) * rows], sigs[j, b * rows : (b + 1) * rows]
                ):
                    out.add((i, j))
                    break
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(1, 4))
def test_candidates_equal_brute_force(seed: int, n: int, alphabet: int) -> None:
    # A tiny alphabet of values makes many bands collide.
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, alphabet, size=(n, 12), dtype=np.uint32)
    got = {tuple(p) for p in candidate_pairs(band_keys(sigs, 4, 3).T).tolist()}
    assert got == reference_candidates(sigs, 4, 3)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 12), max_size=80), st.integers(1, 6), st.booleans())
def test_band_pairs_equal_a_dict_of_buckets(keys: list[int], most: int, spread: bool) -> None:
    # Few distinct keys: big buckets, and (unmixed, spread or not) keys that
    # land on neighbouring slots of the kernel's table.
    values = np.array([k << 40 if spread else k for k in keys], np.uint64)
    buckets: dict[int, list[int]] = {}
    for i, k in enumerate(values.tolist()):
        buckets.setdefault(k, []).append(i)
    want = sorted(
        a << 32 | b  # a bucket of more than ``most`` pairs its first item only
        for m in buckets.values()
        for x, a in enumerate(m[:1] if len(m) > most else m)
        for b in m[x + 1 :]
    )
    assert sorted(kernels.band_pairs(values, most).tolist()) == want


def test_oversized_bucket_pairs_with_its_first_member() -> None:
    sigs = np.zeros((MAX_BUCKET + 5, 4), dtype=np.uint32)
    pairs = candidate_pairs(band_keys(sigs, 2, 2).T)
    assert pairs.tolist() == [[0, j] for j in range(1, MAX_BUCKET + 5)]


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(0, 50)), st.sets(st.integers(0, 50)))
def test_jaccard_and_overlap_equal_python_sets(a: set[int], b: set[int]) -> None:
    arr = lambda s: np.array(sorted(s), dtype=np.uint64)  # noqa: E731
    assert overlap(arr(a), arr(b)) == len(a & b)
    assert jaccard(arr(a), arr(b)) == (len(a & b) / len(a | b) if a or b else 1.0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sets(st.integers(0, 30), max_size=10), max_size=25),
    st.integers(2, 6),
    st.integers(1, 4),
    st.sampled_from([0.25, 0.5, 1.0]),
    st.sampled_from([1, 5, 1 << 22]),
    st.integers(0, 25),
)
def test_sketch_pairs_equal_their_twin_and_brute_force(
    held: list[set[int]], max_owners: int, m: int, share: float, chunk: int, cut: int
) -> None:
    """The pairs of the owners before ``cut`` and of those after it (as the
    engine's tasks make them), against the twin's and sets' pairs."""
    # Each owner's sketch: its m smallest keys, less those in more than
    # max_owners sets.
    df = {k: sum(k in ks for ks in held) for k in range(31)}
    bottom = [set(sorted(ks)[:m]) for ks in held]
    keys = np.array([k for ks in held for k in sorted(ks)], np.int32)
    owners = np.array([d for d, ks in enumerate(held) for _ in ks], np.int32)
    own = np.array([k in bottom[d] for d, ks in enumerate(held) for k in sorted(ks)], bool)
    got = np.empty(0, np.int64)
    if len(keys):
        index = kernels.sketch_index(keys, owners, own, max_owners)
        n = len(index[2]) - 1
        parts = [(0, min(cut, n)), (min(cut, n), n)]
        found = [kernels.sketch_pairs(*index, max_owners, share, lo, hi) for lo, hi in parts]
        got = np.unique(np.concatenate(found))
    twin = reference.sketch_pairs(keys, owners, own, max_owners, share, chunk)
    assert np.array_equal(got, twin)
    sketch = [{k for k in b if df[k] <= max_owners} for b in bottom]

    def holds(x: int, y: int) -> bool:  # y holds share of x's sketch
        found = len(sketch[x] & held[y])
        return found > 0 and found >= share * len(sketch[x])

    expected = {
        (i, j)
        for i in range(len(held))
        for j in range(i + 1, len(held))
        if holds(i, j) or holds(j, i)
    }
    assert {tuple(p) for p in decode(got).tolist()} == expected


def test_lsh_params_are_datasketchs_choice() -> None:
    # Our quadrature against datasketch's own optimizer (scipy's quad).
    from datasketch.lsh import _optimal_param

    from dedup.lsh import WEIGHTS, lsh_params

    for num_perm in (16, 64, 128, 256):
        for threshold in (0.05, 0.3, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95):
            expected = tuple(_optimal_param(threshold, num_perm, *WEIGHTS))
            assert lsh_params(threshold, num_perm) == expected, (threshold, num_perm)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=300),
    st.sampled_from([np.uint64, np.int64]),
)
def test_unique_groups_and_counted_equal_numpys(values: list[int], dtype: type) -> None:
    """verify.unique, groups and counted (by numpy's sort: its np.unique hashes first,
    30x slower on big arrays) give np.unique's answers."""
    keys = np.array([v % 2**63 if dtype is np.int64 else v for v in values], dtype)
    assert np.array_equal(unique(keys), np.unique(keys))
    assert np.array_equal(unique(keys.reshape(-1, 1)), np.unique(keys))  # flattened
    distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    got = groups(keys)
    for mine, numpys in zip(got, (distinct, first, inverse.reshape(-1)), strict=True):
        assert np.array_equal(mine, numpys)
        assert mine.dtype.kind == numpys.dtype.kind
    numpys = np.unique(keys, return_counts=True)
    for mine, numpy in zip(counted(keys.copy()), numpys, strict=True):
        assert np.array_equal(mine, numpy) and mine.dtype == numpy.dtype


def test_edited_pairs_equal_brute_force_on_news(tmp_path: Path) -> None:
    """Short paragraphs copied with a word replaced (into documents of their
    own) among 400 SaudiNewsNet articles: the k-gram candidates find every
    pair of short paragraphs within their edit bound that comparing all
    pairs finds, read a few documents at a time."""
    needs(SAUDINEWSNET)
    news = list(saudinewsnet(400))
    rng = random.Random(0)
    lines = [x for d in news for x in d.text.split("\n") if 12 <= len(x.split()) <= 22]
    copies = []
    for i, line in enumerate(rng.sample(lines, 40)):
        words = line.split()
        words[len(words) // 2] = rng.choice(rng.choice(lines).split())
        copies.append(Document(f"copy/{i}", " ".join(words)))
    cfg = Config()
    c = build(tmp_path, news + copies, cfg)
    found = {tuple(p) for p in edited_pairs(c, cfg, block=37).tolist()}
    count = c.para_ntok[c.group_first]
    paras = c.group_first[(count >= 2 * cfg.shingle_size) & (count <= short_limit(cfg))]
    runs = [c.tokens[int(c.para_doc[p])][_first(c, p) :][: int(c.para_ntok[p])] for p in paras]
    pairs = np.array([(i, j) for j in range(len(paras)) for i in range(j)])
    longer = np.maximum(*(c.para_ntok[paras[pairs[:, k]]] for k in (0, 1))).astype(np.int64)
    most = most_edits(longer, cfg)
    offsets = np.concatenate(([0], np.cumsum([len(r) for r in runs])))
    edits = kernels.edit_distances(np.concatenate(runs), offsets, pairs[:, 0], pairs[:, 1], most)
    expected = {(int(paras[i]), int(paras[j])) for i, j in pairs[edits <= most].tolist()}
    assert found == expected
    assert len(expected) >= 30  # the copies (a replaced word may be the same word)


def _first(c: Index, p: int) -> int:
    """Paragraph ``p``'s first token in its document's tokens."""
    d = int(c.para_doc[p])
    return int(c.para_ntok[c.doc_first_para[d] : p].sum())


def test_paragraph_edges_in_small_windows_equal_one_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidate pairs verified twenty at a time (windows of 20:
    a pair in several bands comes again in later windows, and one that
    passed earlier is skipped, looked up in the sorted runs the passed
    ones are kept in) give the edges of one window, on 600 SaudiNewsNet
    articles; later windows drop pairs passed before."""
    needs(SAUDINEWSNET)
    cfg = Config()
    c = build(tmp_path, list(saudinewsnet(600)), cfg)
    whole = paragraphs.paragraph_edges(c, cfg, Engine())
    dropped = []
    holds = finders._holds

    def spy(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
        held = holds(ordered, values)
        dropped.append((int(held.sum()), len(values) <= len(ordered)))
        return held

    monkeypatch.setattr(finders, "_holds", spy)
    monkeypatch.setattr(paragraphs, "verify", partial(finders.verify, window=20))
    small = paragraphs.paragraph_edges(c, cfg, Engine())
    assert {k: sorted(v) for k, v in small.items()} == {k: sorted(v) for k, v in whole.items()}
    assert whole and sum(n for n, _ in dropped) > 0
    assert {shorter for _, shorter in dropped} == {True, False}  # each way of looking up
