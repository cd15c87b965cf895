"""Candidate pairs from MinHash signatures by banding.

A signature of ``b * r`` values is cut into ``b`` bands of ``r`` rows; items
whose values agree on a whole band share a bucket and become a candidate
pair. ``b`` and ``r`` are chosen as datasketch's optimizer
(``datasketch.lsh._optimal_param``) chooses them: they minimize a weighted sum
of the false positive and false negative probability mass around the
threshold. The integrals are computed here by Gauss-Legendre quadrature
(exact for these polynomials) instead of scipy's ``quad``, which costs a
third of a second to import; a test checks that both choose the same.
datasketch weighs both equally, which at threshold 0.8 makes a pair with
Jaccard exactly 0.8 a candidate only 40% of the time. Here every candidate is
verified exactly, so a false positive costs one set intersection while a false
negative is a finding lost for good: false negatives weigh 0.98 (a pair at
the threshold becomes a candidate 98% of the time at 128 permutations).
Bucketing is a compiled hash table of one 64-bit key per band instead of
datasketch's dict of tuples.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from dedup import kernels
from dedup.minhash import fmix64
from dedup.verify import unique

# Buckets larger than this pair their members with the first member only: an
# all-pairs bucket of n items costs n^2/2 verifications. Exact copies, the
# usual cause of big buckets, are collapsed before LSH anyway.
MAX_BUCKET = 64
WEIGHTS = (0.02, 0.98)  # (false positive, false negative), see above


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for a Jaccard threshold, as ``MinHashLSH(weights=WEIGHTS)`` picks them."""
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands, rows = np.array(pairs, np.float64).T[:, :, None]
    # A candidate pair at similarity s: 1 - (1 - s^r)^b, a polynomial of degree
    # b * r <= num_perm, which n-point Gauss-Legendre integrates exactly when
    # 2n - 1 >= num_perm.
    x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(lo: float, hi: float, negative: bool) -> np.ndarray:
        s = (hi - lo) / 2 * x + (hi + lo) / 2
        found = 1 - (1 - s**rows) ** bands
        values = 1 - found if negative else found
        total: np.ndarray = (values * w).sum(axis=1) * (hi - lo) / 2
        return total

    error = WEIGHTS[0] * integral(0.0, threshold, False) + WEIGHTS[1] * integral(
        threshold, 1.0, True
    )
    best = int(np.argmin(error))  # the first of equal ones, as datasketch's loop keeps
    return pairs[best]


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """uint64 array (n, bands): one hash of each band's ``rows`` values."""
    n = len(signatures)
    keys = np.zeros((n, bands), dtype=np.uint64)
    cube = signatures[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    for r in range(rows):
        # Any fixed odd multipliers would do; fmix64 spreads the sum.
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + cube[:, :, r]
    return fmix64(keys)


def band_pairs(keys: np.ndarray) -> np.ndarray:
    """Distinct pairs of items sharing a bucket in one band, encoded ``i << 32 | j``
    with ``i < j``, sorted. ``keys``: the band's key of every item."""
    # An item is in one bucket of a band: the pairs are distinct.
    return np.sort(kernels.band_pairs(keys, MAX_BUCKET))


def group_pairs(items: np.ndarray, keys: np.ndarray, most: int) -> np.ndarray:
    """The pairs of items with equal keys (``keys`` sorted, ``items`` in the
    same order), ``i << 32 | j`` with ``i < j``, a group after another; a
    group of more than ``most`` pairs its smallest item with the others only."""
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(keys)]))
    big = ends - starts > 1
    pairs: np.ndarray = kernels.bucket_pairs(items.astype(np.int64), starts[big], ends[big], most)
    return pairs


def decode(pairs: np.ndarray) -> np.ndarray:
    """``(n, 2)`` array of ``(i, j)`` from pairs encoded ``i << 32 | j``."""
    return np.stack((pairs >> 32, pairs & 0xFFFFFFFF), axis=1)


def candidate_pairs(columns: Iterable[np.ndarray]) -> np.ndarray:
    """Distinct pairs ``(i, j)``, ``i < j``, of items sharing a bucket in some
    band, as an ``(n, 2)`` array. ``columns`` gives each band's keys of every
    item (``keys.T`` of a ``band_keys`` array). The pipeline verifies band by
    band instead (``band_pairs``), never holding every band's pairs at once."""
    pairs = [band_pairs(col) for col in columns]
    return decode(unique(np.concatenate(pairs)) if pairs else np.empty(0, np.int64))
