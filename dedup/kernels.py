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


@njit(cache=True, nogil=True)
def chain(
    b_positions: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    a_positions: np.ndarray,
    gap: int,
) -> np.ndarray:
    """passages._chain's loop, compiled (its plain twin: reference.chain).

    Seed ``s`` is word position ``b_positions[s]`` in b, whose word occurs
    in a at ``a_positions[starts[s]:ends[s]]`` (ascending). Returns one row a
    chain, closed ones first, in the order they closed, then the open ones:
    ``a_lo, a_hi, b_lo, b_hi, seeds, first_a, first_b, last_a, last_b``."""
    n = len(b_positions)
    rows = np.zeros((n, 9), np.int64)
    open_ids = np.zeros(n, np.int64)
    done_ids = np.zeros(n, np.int64)
    n_rows = n_open = n_done = 0
    for s in range(n):
        pb = b_positions[s]
        kept = 0
        for k in range(n_open):  # chains too far behind in b are closed
            c = open_ids[k]
            if pb - rows[c, 3] <= gap:
                open_ids[kept] = c
                kept += 1
            else:
                done_ids[n_done] = c
                n_done += 1
        n_open = kept
        best, best_c, best_pa = -1, -1, -1
        for k in range(n_open):
            c = open_ids[k]
            for o in range(starts[s], ends[s]):
                pa = a_positions[o]
                distance = max(rows[c, 0] - pa, pa - rows[c, 1], 0)
                if distance <= gap and (best < 0 or distance < best):
                    best, best_c, best_pa = distance, c, pa
        if best < 0:
            pa = a_positions[starts[s]]
            rows[n_rows] = (pa, pa, pb, pb, 1, pa, pb, pa, pb)
            open_ids[n_open] = n_rows
            n_open += 1
            n_rows += 1
            continue
        c = best_c
        rows[c, 0] = min(rows[c, 0], best_pa)
        rows[c, 1] = max(rows[c, 1], best_pa)
        rows[c, 3] = pb
        rows[c, 4] += 1
        rows[c, 7] = best_pa
        rows[c, 8] = pb
    order = np.concatenate((done_ids[:n_done], open_ids[:n_open]))
    return rows[order]
