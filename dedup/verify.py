"""Exact similarity of two shingle sets (sorted, duplicate-free uint64 arrays),
and membership in a big set of hashes."""

from __future__ import annotations

import numpy as np

from dedup import kernels


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Values two shingle sets share (compiled: kernels.overlap)."""
    return int(kernels.overlap(a, b))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    inter = overlap(a, b)
    union = len(a) + len(b) - inter
    return inter / union if union else 1.0


class Members:
    """Membership in a sorted set of hashes: a bitmap of their low bits rules
    out most values at once (frequent words are not rare), a binary search
    settles the rest."""

    def __init__(self, sorted_set: np.ndarray, bits: int = 24) -> None:
        self.set = sorted_set
        self.mask = np.uint64((1 << bits) - 1)
        self.bitmap = np.zeros(1 << bits, bool)
        self.bitmap[(sorted_set & self.mask).astype(np.int64)] = True

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """np.isin(values, the set), compiled (kernels.members; tests/test_kernels.py)."""
        return kernels.members(values, self.bitmap, self.mask, self.set)
