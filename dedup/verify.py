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


def unique(values: np.ndarray) -> np.ndarray:
    """np.unique(values), flattened, by numpy's sort. NumPy 2.3 and later
    finds the distinct values of a plain np.unique with a hash table first:
    40x slower on 600,000 paragraph numbers, 30x on 6M word hashes."""
    return distinct(values.flatten())  # a copy, sorted (np.sort's way)


def distinct(values: np.ndarray) -> np.ndarray:
    """``unique`` of a flat array the caller is done with: sorted in place
    (as ``counted`` does), not copied."""
    values.sort()
    kept: np.ndarray = values[_firsts(values)]
    return kept


def counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_counts=True) of a flat array the caller is
    done with: sorted in place, where numpy's copies it first (new memory
    costs a page fault every 4 KB, 10 ms a MB on a virtual machine)."""
    values.sort()
    return runs(values)


def runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``counted`` of an array sorted already: each distinct value and how
    many times it occurs (sorting it again cost as much as the first sort)."""
    starts = np.flatnonzero(_firsts(ordered))
    return ordered[starts], np.diff(starts, append=len(ordered))


def _firsts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted array ``ordered`` begins."""
    new = np.empty(len(ordered), bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    return new


def groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(keys, return_index=True, return_inverse=True) of a flat
    array, by one stable argsort (numpy's own takes 2.5x as long): the
    distinct keys, where each first occurs, and each key's number among them."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = _firsts(ordered)
    inverse = np.empty(len(keys), np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], order[new], inverse


class Members:
    """Membership in a sorted set of hashes. Hashes are uniform, so an index
    of where each value of their top bits begins finds a value with a read
    or two, where a binary search in a set of tens of millions misses the
    cache at each of its 25 steps. With about four buckets a value (up to
    2^26 buckets, 256 MB), most values that are not members (most looked
    up are not) land in an empty bucket: one read."""

    def __init__(self, sorted_set: np.ndarray, bits: int | None = None, rare: bool = False) -> None:
        """``rare``: most values looked up are no members. A bit map then
        says so first (kernels.find): about 64 bits a member, at most 1 MB."""
        self.set = sorted_set
        bits = bits or max(1, min(26, len(sorted_set).bit_length() + 2))
        self.shift = np.uint64(64 - bits)
        self.starts = np.zeros((1 << bits) + 1, np.int32 if len(sorted_set) < 2**31 else np.int64)
        kernels.bucket_starts(sorted_set, self.shift, self.starts)
        self.bitmap = np.empty(0, np.uint64)
        if rare:
            self.bitmap = kernels.bit_filter(sorted_set, min(23, len(sorted_set).bit_length() + 6))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """np.isin(values, the set)."""
        found: np.ndarray = self.find(values) >= 0
        return found

    def find(self, values: np.ndarray) -> np.ndarray:
        """Where each value is in the set (-1: not in it), compiled
        (kernels.find; tests/test_kernels.py)."""
        return kernels.find(values, self.starts, self.shift, self.set, self.bitmap)
