from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.cluster import UnionFind
from dedup.lsh import MAX_BUCKET, band_keys, candidate_pairs
from dedup.verify import jaccard_containment


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


def test_oversized_bucket_pairs_with_its_first_member() -> None:
    sigs = np.zeros((MAX_BUCKET + 5, 4), dtype=np.uint32)
    pairs = candidate_pairs(band_keys(sigs, 2, 2).T)
    assert pairs.tolist() == [[0, j] for j in range(1, MAX_BUCKET + 5)]


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(0, 50)), st.sets(st.integers(0, 50)))
def test_jaccard_containment_equal_python_sets(a: set[int], b: set[int]) -> None:
    arr = lambda s: np.array(sorted(s), dtype=np.uint64)  # noqa: E731
    jac, cont = jaccard_containment(arr(a), arr(b))
    if a or b:
        assert jac == len(a & b) / len(a | b)
    if a and b:
        assert cont == len(a & b) / min(len(a), len(b))


def test_union_find_roots_are_first_members() -> None:
    uf = UnionFind(6)
    uf.union(4, 2)
    uf.union(5, 4)
    uf.union(1, 3)
    assert uf.groups() == {1: [1, 3], 2: [2, 4, 5]}
