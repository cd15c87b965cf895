"""Every compiled kernel equals its plain twin (dedup/reference), on random
token sequences and on real news; and again with numba switched off."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import kernels, reference
from dedup.finders.passages import _ANCHOR, _BRIDGE, _DENSE, _WINDOW, STOP_SORTED
from dedup.text import tokenize
from tests.conftest import ROOT, needs

# Few distinct tokens, so that runs, differences and anchors all happen.
TOKENS = st.lists(st.integers(1, 6), max_size=60).map(lambda x: np.array(x, np.uint64))


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.integers(0, 70), st.integers(0, 70), st.sets(st.integers(1, 6)))
def test_follow_equals_its_twin_on_random_tokens(
    a: np.ndarray, b: np.ndarray, qa: int, qb: int, stop: set[int]
) -> None:
    qa, qb = min(qa, len(a)), min(qb, len(b))
    words = np.array(sorted(stop), np.uint64)
    for bridge, anchor in ((_BRIDGE, _ANCHOR), (3, 2), (0, 1)):
        got = kernels.follow(a, b, qa, qb, bridge, anchor, words)
        assert got == reference.follow(a, b, qa, qb, bridge, anchor, words)
        # and read backwards, as passages do from a copy's first seed
        ra, rb = a[::-1], b[::-1]
        got = kernels.follow(ra, rb, qa, qb, bridge, anchor, words)
        assert got == reference.follow(ra, rb, qa, qb, bridge, anchor, words)


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.data(), st.sets(st.integers(1, 6)))
def test_trim_equals_its_twin_on_random_tokens(
    a: np.ndarray, b: np.ndarray, data: st.DataObject, stop: set[int]
) -> None:
    a_lo = data.draw(st.integers(0, len(a)))
    a_hi = data.draw(st.integers(a_lo, len(a)))
    b_lo = data.draw(st.integers(0, len(b)))
    b_hi = data.draw(st.integers(b_lo, len(b)))
    words = np.array(sorted(stop), np.uint64)
    for window, dense in ((_WINDOW, _DENSE), (3, 1), (1, 2)):
        got = kernels.trim(a, b, a_lo, a_hi, b_lo, b_hi, window, dense, words)
        assert got == reference.trim(a, b, a_lo, a_hi, b_lo, b_hi, window, dense, words)


def seeds(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """chain's input for every token a rare word: b's positions, where each
    word's occurrences in a start and end, a's positions grouped by word."""
    order = np.argsort(a, kind="stable")
    lo, hi = np.searchsorted(a[order], b), np.searchsorted(a[order], b, side="right")
    hit = hi > lo
    return np.flatnonzero(hit), lo[hit], hi[hit], order


@settings(max_examples=400, deadline=None)
@given(TOKENS, TOKENS, st.integers(0, 12))
def test_chain_equals_its_twin_on_random_tokens(a: np.ndarray, b: np.ndarray, gap: int) -> None:
    args = seeds(a, b)
    assert np.array_equal(kernels.chain(*args, gap), reference.chain(*args, gap))


def test_follow_and_trim_equal_their_twins_on_news() -> None:
    """Consecutive articles (wire copy republished, topic words shared),
    followed from places where their tokens agree, and trimmed around them."""
    needs(SAUDINEWSNET)
    docs = [tokenize(d.text).hashes for d in saudinewsnet(400)]
    checked = 0
    for a, b in pairwise(docs):
        common = np.intersect1d(a, b)
        for w in common[:: max(1, len(common) // 5)].tolist():
            qa, qb = int(np.flatnonzero(a == w)[0]), int(np.flatnonzero(b == w)[0])
            got = kernels.follow(a, b, qa, qb, _BRIDGE, _ANCHOR, STOP_SORTED)
            assert got == reference.follow(a, b, qa, qb, _BRIDGE, _ANCHOR, STOP_SORTED)
            ends = (max(0, qa - 40), min(len(a), qa + 60), max(0, qb - 40), min(len(b), qb + 60))
            got_trim = kernels.trim(a, b, *ends, _WINDOW, _DENSE, STOP_SORTED)
            assert got_trim == reference.trim(a, b, *ends, _WINDOW, _DENSE, STOP_SORTED)
            checked += 1
        args = seeds(a, b)
        assert np.array_equal(kernels.chain(*args, 25), reference.chain(*args, 25))
    assert checked > 500


def test_kernels_without_numba() -> None:
    """The same tests with NUMBA_DISABLE_JIT=1: the kernels run as the Python
    they are written in (what a platform numba cannot compile for would see)."""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", "not without_numba"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
