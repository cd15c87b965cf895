from __future__ import annotations

import datasketch
import numpy as np
import pytest
from datasketch.lsh import MinHashLSH

from dedup.lsh import WEIGHTS, lsh_params
from dedup.minhash import MinHasher, all_window_hashes, estimate, shingle_sets, window_hashes
from dedup.segment import paragraphs
from dedup.text import tokenize


def reference_signature(values: list[int], num_perm: int, seed: int) -> np.ndarray:
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
    m.update_batch(values)
    return np.asarray(m.hashvalues)


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 12345)])
def test_signatures_are_bit_identical_to_datasketch(
    seed_texts: dict[str, str], num_perm: int, seed: int
) -> None:
    hasher = MinHasher(num_perm, seed)
    for text in seed_texts.values():
        toks = tokenize(text)
        paras = paragraphs(text, toks)
        sets = shingle_sets(toks.hashes, paras.tok_lo, paras.tok_hi, 5)
        ours = hasher.signatures(sets)
        for s, sig in zip(sets, ours, strict=True):
            ref = reference_signature([int(v) & 0xFFFFFFFF for v in s], num_perm, seed)
            assert np.array_equal(sig, ref)
        doc = np.unique(np.concatenate(sets))
        ref_doc = reference_signature([int(v) & 0xFFFFFFFF for v in doc], num_perm, seed)
        assert np.array_equal(ours.min(axis=0), ref_doc)


def test_permutations_are_datasketchs() -> None:
    for num_perm, seed in ((128, 1), (16, 0), (256, 42), (1024, 2**32 - 1)):
        a, b = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        hasher = MinHasher(num_perm, seed)
        assert np.array_equal(hasher.a, a) and np.array_equal(hasher.b, b)
        assert hasher.a.dtype == hasher.b.dtype == np.uint32


def test_large_sets_take_the_chunked_path() -> None:
    hasher = MinHasher(32, 3)
    hasher.chunk = 100  # force both the batched and the running-minimum branches
    rng = np.random.default_rng(0)
    sets = [np.unique(rng.integers(0, 2**63, size=n, dtype=np.uint64)) for n in (5, 250, 40, 1)]
    for s, sig in zip(sets, hasher.signatures(sets), strict=True):
        assert np.array_equal(sig, reference_signature([int(v) & 0xFFFFFFFF for v in s], 32, 3))


def test_shingles_of_short_and_long_paragraphs() -> None:
    toks = tokenize("a b\nc d e f g h\na b")
    paras = paragraphs("a b\nc d e f g h\na b", toks)
    sets = shingle_sets(toks.hashes, paras.tok_lo, paras.tok_hi, 5)
    assert [len(s) for s in sets] == [1, 2, 1]  # short paragraphs: one shingle of all tokens
    assert np.array_equal(sets[0], sets[2])
    reordered = tokenize("b a")
    assert not np.array_equal(
        shingle_sets(reordered.hashes, np.array([0]), np.array([2]), 5)[0], sets[0]
    )


def test_signatures_work_with_datasketch_lsh(seed_texts: dict[str, str]) -> None:
    hasher = MinHasher()
    text = seed_texts["001_78ea9c6ae5c3d444.txt"]
    toks = tokenize(text)
    paras = paragraphs(text, toks)
    sigs = hasher.signatures(shingle_sets(toks.hashes, paras.tok_lo, paras.tok_hi, 5))
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i, sig in enumerate(sigs):
        lsh.insert(i, hasher.to_datasketch(sig))
    # paragraph 11 repeats paragraph 2 (the doubled block)
    assert 2 in lsh.query(hasher.to_datasketch(sigs[11]))
    assert hasher.to_datasketch(sigs[2]).jaccard(hasher.to_datasketch(sigs[11])) == estimate(
        sigs[2], sigs[11]
    )


def test_lsh_parameters_are_datasketchs_and_favour_recall() -> None:
    for threshold in (0.5, 0.7, 0.8, 0.9):
        b, r = lsh_params(threshold, 128)
        lsh = MinHashLSH(threshold=threshold, num_perm=128, weights=WEIGHTS)
        assert (b, r) == (lsh.b, lsh.r)
        # a pair exactly at the threshold becomes a candidate almost always
        assert 1 - (1 - threshold**r) ** b > 0.95


def test_incremental_window_hashes_equal_window_hashes() -> None:
    values = np.random.default_rng(5).integers(0, 2**63, size=23, dtype=np.uint64)
    got = dict(all_window_hashes(values, 30))
    assert sorted(got) == list(range(1, 24))
    for n, hashes in got.items():
        assert np.array_equal(hashes, window_hashes(values, n))
