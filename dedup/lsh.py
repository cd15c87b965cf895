"""Candidate pairs from MinHash signatures by banding.

A signature of ``b * r`` values is cut into ``b`` bands of ``r`` rows; items
whose values agree on a whole band share a bucket and become a candidate
pair. ``b`` and ``r`` come from datasketch's own optimizer, which minimizes the
equally weighted false positive and false negative probability mass around
the threshold (``datasketch.lsh._optimal_param``). Bucketing is a numpy sort of
one 64-bit key per band instead of datasketch's dict of tuples.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch.lsh import _optimal_param

from dedup.minhash import fmix64

# Buckets larger than this pair their members with the first member only: an
# all-pairs bucket of n items costs n^2/2 verifications. Exact copies, the
# usual cause of big buckets, are collapsed before LSH anyway.
MAX_BUCKET = 64


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for a Jaccard threshold, as datasketch.MinHashLSH picks them."""
    b, r = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(b), int(r)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """uint64 array (n, bands): one hash of each band's ``rows`` values."""
    n = len(signatures)
    keys = np.zeros((n, bands), dtype=np.uint64)
    cube = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    for r in range(rows):
        # Any fixed odd multipliers would do; fmix64 spreads the sum.
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + cube[:, :, r]
    return fmix64(keys)


def candidate_pairs(keys: np.ndarray) -> np.ndarray:
    """Distinct pairs ``(i, j)``, ``i < j``, of rows sharing a bucket in some band."""
    pairs: list[np.ndarray] = []
    for band in range(keys.shape[1]):
        col = keys[:, band]
        order = np.argsort(col, kind="stable")
        ordered = col[order]
        # Runs of equal keys: [starts[x], ends[x]) in `order`.
        change = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change, [len(col)]))
        for s, e in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(),
                        strict=True):
            members = np.sort(order[s:e])
            if len(members) <= MAX_BUCKET:
                i, j = np.triu_indices(len(members), k=1)
                pairs.append(np.stack((members[i], members[j]), axis=1))
            else:
                pairs.append(np.stack((np.full(len(members) - 1, members[0]), members[1:]), axis=1))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(pairs).astype(np.int64), axis=0)
