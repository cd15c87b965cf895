"""Finders: one module a finding level, each returning typed findings.

- ``paragraphs``: repeated and copied paragraphs (within, formula, across,
  boilerplate spans) and the templates among them;
- ``passages``: passages copied inside paragraphs (seed, chain, extend);
- ``documents``: near-duplicate and contained documents, in clusters.

Each reads the corpus ``Index`` and runs its heavy work as an ``Engine``'s
tasks; what they share is here: candidate pairs verified a window at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from dedup.engines import Engine, run


def encode(pairs: np.ndarray) -> np.ndarray:
    """Pairs ``(a, b)`` as ``a << 32 | b`` (the inverse of lsh.decode)."""
    encoded: np.ndarray = pairs[:, 0] << 32 | pairs[:, 1]
    return encoded


def chunks(pairs: np.ndarray, size: int = 20_000) -> Iterator[np.ndarray]:
    for i in range(0, len(pairs), size):
        yield pairs[i : i + size]


def verify(
    candidates: Iterable[np.ndarray],
    check: Callable[[np.ndarray], np.ndarray],
    engine: Engine,
    window: int = 1 << 22,
) -> np.ndarray:
    """The candidate pairs (encoded ``a << 32 | b``) that pass ``check``, distinct
    and sorted. Candidates come a band at a time; bands are gathered until
    they hold ``window`` pairs, so that a pair found in several of them is
    checked once, and what a window holds is checked by the engine's tasks. All
    bands' pairs together can be hundreds of millions, a window is a few
    million; a pair verified in an earlier window is not checked again."""
    verified = np.empty(0, np.int64)
    for pairs in windows(candidates, window):
        pairs = pairs[~np.isin(pairs, verified)]
        kept = run(engine, check, chunks(pairs))
        verified = np.union1d(verified, np.concatenate(kept)) if kept else verified
    return verified


def windows(batches: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """The batches' values gathered until they number ``size``, distinct and sorted."""
    pending: list[np.ndarray] = []
    for batch in batches:
        pending.append(batch)
        if sum(map(len, pending)) >= size:
            yield np.unique(np.concatenate(pending))
            pending = []
    if pending:
        yield np.unique(np.concatenate(pending))
