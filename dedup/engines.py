"""Engines say where a stage runs; the stages say what runs.

``local`` runs batches in this process (the reference). ``parallel`` runs
them in forked worker processes, with at most two batches per worker in
flight (so a huge input never piles up in memory) and results in input
order: its output equals the local engine's (tests/test_engines.py).

Each worker has a pipe of its own, not multiprocessing.Pool's shared
queues: a worker killed from outside (``kill -TERM`` of the whole process
group, a service manager stopping everything) could die holding a shared
queue's lock, and Pool's clean-up then waits for it forever. Here the parent
sees the pipe close, says so, and kills the rest. Batches go round-robin
(each worker answers in the order it was given), sent by a thread of their
own so that sending a big batch never waits on a worker that is itself
waiting to hand back a big result.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from dedup.outputs import forget_locks

T = TypeVar("T")
R = TypeVar("R")


def local(fn: Callable[[T], R], batches: Iterable[T]) -> Iterator[tuple[T, R]]:
    for batch in batches:
        yield batch, fn(batch)


def _serve(fn: Callable[[Any], Any], conn: Connection) -> None:
    """A worker: apply ``fn`` (inherited through fork, never pickled, so it
    may carry big state at no cost per task) to each batch until told to stop."""
    # Die at once on SIGTERM (the handler inherited from the CLI would unwind);
    # Ctrl-C is the parent's to handle. Output locks are the parent's alone.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    forget_locks()
    while True:
        try:
            batch = conn.recv()
        except EOFError:  # the parent is gone
            return
        if batch is None:
            return
        try:
            answer = (True, fn(batch))
        except BaseException as e:  # handed to the parent, which raises it
            answer = (False, e)
        conn.send(answer)


def parallel(fn: Callable[[T], R], batches: Iterable[T], workers: int) -> Iterator[tuple[T, R]]:
    if workers <= 1:
        yield from local(fn, batches)
        return
    context = multiprocessing.get_context("fork")  # workers inherit fn and warm caches
    conns: list[Connection] = []
    procs = []
    for _ in range(workers):
        mine, theirs = context.Pipe()
        proc = context.Process(target=_serve, args=(fn, theirs), daemon=True)
        proc.start()
        theirs.close()
        conns.append(mine)
        procs.append(proc)
    outbox: queue.Queue[tuple[Connection, Any] | None] = queue.Queue()
    sender = threading.Thread(target=_send, args=(outbox,), daemon=True)
    sender.start()
    finished = False
    try:
        pending: deque[tuple[T, Connection]] = deque()
        for n, batch in enumerate(batches):
            conn = conns[n % workers]
            outbox.put((conn, batch))
            pending.append((batch, conn))
            if len(pending) >= 2 * workers:
                done, conn = pending.popleft()
                yield done, _receive(conn)
        while pending:
            done, conn = pending.popleft()
            yield done, _receive(conn)
        for conn in conns:
            outbox.put((conn, None))
        finished = True
    finally:
        outbox.put(None)
        if not finished:  # an error or a signal: the workers stop at once
            for proc in procs:
                proc.kill()
        sender.join()
        for proc in procs:
            proc.join()
        for conn in conns:
            conn.close()


def _send(outbox: queue.Queue[tuple[Connection, Any] | None]) -> None:
    while (item := outbox.get()) is not None:
        conn, batch = item
        with contextlib.suppress(OSError):  # a dead worker: the parent finds out when it reads
            conn.send(batch)


def _receive(conn: Connection) -> Any:
    try:
        ok, value = conn.recv()
    except EOFError:
        raise RuntimeError("a worker process died") from None
    if not ok:
        raise value
    return value
