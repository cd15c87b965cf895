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
