"""Engines say where a stage runs; the stages say what runs.

``local`` runs batches in this process (the reference). ``parallel`` runs
them in worker processes, with at most two batches per worker in flight (so
a huge input never piles up in memory) and results in input order: its
output equals the local engine's (tests/test_engines.py).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def local(fn: Callable[[T], R], batches: Iterable[T]) -> Iterator[tuple[T, R]]:
    for batch in batches:
        yield batch, fn(batch)


# The function a worker applies: it arrives by fork, never pickled, so it may
# carry big state (a corpus's tables, open spill files) at no cost per task.
_fn: Callable[[Any], Any] | None = None


def _worker_start(fn: Callable[[Any], Any]) -> None:
    global _fn
    _fn = fn
    # A worker must die at once when the pool terminates it, not unwind like
    # the CLI does on SIGTERM (it inherits that handler through fork): unwinding
    # can leave a shared queue lock taken and the next pool waiting forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _call(batch: Any) -> Any:
    assert _fn is not None
    return _fn(batch)


def parallel(fn: Callable[[T], R], batches: Iterable[T], workers: int) -> Iterator[tuple[T, R]]:
    if workers <= 1:
        yield from local(fn, batches)
        return
    # fork: workers start at once and inherit the warm token cache and ``fn``.
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_worker_start, initargs=(fn,)) as pool:
        pending: deque[tuple[T, multiprocessing.pool.AsyncResult[R]]] = deque()
        for batch in batches:
            pending.append((batch, pool.apply_async(_call, (batch,))))
            if len(pending) >= 2 * workers:
                done, result = pending.popleft()
                yield done, result.get()
        while pending:
            done, result = pending.popleft()
            yield done, result.get()
