"""Compiled kernels: hot loops written in Python and compiled by numba.

Each kernel has a plain twin, the reference it is held equal to by
tests/test_kernels.py (also with ``NUMBA_DISABLE_JIT=1``, which runs the
kernels as the Python they are). Compiled code is cached beside this file,
or in the user's cache folder when the install is read-only (numba's own
fallback); the first scan after an install compiles them (about a second).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def follow(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    qa: int,
    qb: int,
    bridge: int,
    anchor: int,
    stop: np.ndarray,
) -> tuple[int, int]:
    """passages._follow_plain, compiled (see there). ``stop``: the stop
    words' hashes, sorted."""
    na, nb = len(ids_a), len(ids_b)
    while True:
        while qa < na and qb < nb and ids_a[qa] == ids_b[qb]:
            qa += 1
            qb += 1
        size_a = min(na - qa, bridge + anchor) - anchor + 1
        size_b = min(nb - qb, bridge + anchor) - anchor + 1
        best, best_i, best_j = -1, 0, 0
        for j in range(size_b):
            if best >= 0 and j >= best:  # no later j costs less
                break
            function_words = True
            for t in range(anchor):
                w = ids_b[qb + j + t]
                k = np.searchsorted(stop, w)
                if k >= len(stop) or stop[k] != w:
                    function_words = False
                    break
            if function_words:
                continue
            for i in range(size_a):  # the first place a holds the same words
                same = True
                for t in range(anchor):
                    if ids_a[qa + i + t] != ids_b[qb + j + t]:
                        same = False
                        break
                if same:
                    cost = max(i, j)
                    if best < 0 or cost < best:
                        best, best_i, best_j = cost, i, j
                    break
        if best < 0:
            return qa, qb
        qa += best_i
        qb += best_j


@njit(cache=True, nogil=True)
def trim(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    a_lo: int,
    a_hi: int,
    b_lo: int,
    b_hi: int,
    window: int,
    dense: int,
    stop: np.ndarray,
) -> tuple[int, int, int, int]:
    """passages._trim, compiled (its plain twin: reference.trim)."""
    b_lo, b_hi = _dense(ids_b, b_lo, b_hi, np.unique(ids_a[a_lo:a_hi]), stop, window, dense)
    a_lo, a_hi = _dense(ids_a, a_lo, a_hi, np.unique(ids_b[b_lo:b_hi]), stop, window, dense)
    return a_lo, a_hi, b_lo, b_hi


@njit(cache=True, nogil=True)
def _dense(
    ids: np.ndarray, lo: int, hi: int, other: np.ndarray, stop: np.ndarray, window: int, dense: int
) -> tuple[int, int]:
    start = _first_dense(ids, lo, hi, 1, other, stop, window, dense)
    if start < 0:
        return lo, lo
    end = _first_dense(ids, lo, hi, -1, other, stop, window, dense)
    return lo + start, hi - end


@njit(cache=True, nogil=True)
def _first_dense(
    ids: np.ndarray,
    lo: int,
    hi: int,
    step: int,
    other: np.ndarray,
    stop: np.ndarray,
    window: int,
    dense: int,
) -> int:
    """How far from ``lo`` (step 1) or from ``hi`` (step -1) the first
    content word in ``other`` is with ``dense`` such words in the ``window``
    tokens from it (-1: none)."""
    n = hi - lo
    for i in range(n):
        if not _content(ids[lo + i if step > 0 else hi - 1 - i], other, stop):
            continue
        count = 0
        for t in range(min(window, n - i)):
            count += _content(ids[lo + i + t if step > 0 else hi - 1 - i - t], other, stop)
        if count >= dense:
            return i
    return -1


@njit(cache=True, nogil=True)
def _content(word: np.uint64, other: np.ndarray, stop: np.ndarray) -> bool:
    """In ``other`` and no function word (both sorted)."""
    k = np.searchsorted(other, word)
    if k >= len(other) or other[k] != word:
        return False
    k = np.searchsorted(stop, word)
    return bool(k >= len(stop) or stop[k] != word)
