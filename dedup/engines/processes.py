"""A pool of worker processes that lives as long as the scan.

Each worker has a pipe of its own, not multiprocessing.Pool's shared
queues: a worker killed from outside (``kill -TERM`` of the whole process
group, a service manager stopping everything) could die holding a shared
queue's lock, and Pool's clean-up then waits for it forever. Here the parent
sees the pipe close, says so, and kills the rest. Tasks go round-robin (each
worker answers in the order it was given), at most two a worker in flight
(so a huge input never piles up in memory), sent by a thread of their own so
that sending a big batch never waits on a worker that is itself waiting to
hand back a big result.
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
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

from dedup.engines import Engine, forget_folder
from dedup.errors import WorkerError
from dedup.outputs import forget_locks

T = TypeVar("T")
R = TypeVar("R")


class ProcessEngine(Engine):
    local = False

    def __init__(self, workers: int, start: str | None = None) -> None:
        methods = multiprocessing.get_all_start_methods()
        self.workers = workers
        self.start = start or ("fork" if "fork" in methods else "spawn")
        self._conns: list[Connection] = []
        self._procs: list[BaseProcess] = []
        self._outbox: queue.Queue[tuple[Connection, Any] | None] = queue.Queue()
        self._sender: threading.Thread | None = None
        self._next = 0  # the worker the next task goes to
        self._due = 0  # answers sent for and not read yet
        self._pool = 0  # how many pools were started: a map stops only its own

    def _open(self) -> None:
        self._pool += 1
        context: Any = multiprocessing.get_context(self.start)
        for _ in range(self.workers):
            mine, theirs = context.Pipe()
            # A forked worker inherits the parent's end of its own pipe and
            # of the earlier workers' pipes: it closes them, or an orphaned
            # worker would wait forever on a pipe it holds open itself.
            inherited = [*self._conns, mine] if self.start == "fork" else []
            proc = context.Process(target=_serve, args=(theirs, inherited), daemon=True)
            proc.start()
            theirs.close()
            self._conns.append(mine)
            self._procs.append(proc)
        self._sender = threading.Thread(target=_send, args=(self._outbox,), daemon=True)
        self._sender.start()

    def map(self, task: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        if self._sender is None:
            raise RuntimeError(
                "a ProcessEngine runs tasks inside its with block (until a scan in it fails "
                "or a worker dies: the next scan starts new workers)"
            )
        pool = self._pool
        pending: deque[tuple[T, int]] = deque()
        try:
            for item in items:
                worker = self._next
                self._next = (self._next + 1) % self.workers
                self._outbox.put((self._conns[worker], (task, item)))
                self._due += 1
                pending.append((item, worker))
                if len(pending) >= 2 * self.workers:
                    done, worker = pending.popleft()
                    yield done, self._receive(worker)
            while pending:
                done, worker = pending.popleft()
                yield done, self._receive(worker)
        finally:
            # Stopped early: the answers still due would come out of turn. (A
            # map left by an error may end late, when a later one runs.)
            if pending and self._pool == pool:
                self._stop(kill=True)

    def _close(self, failed: bool) -> None:
        self._stop(kill=failed)

    def _failed(self) -> None:
        # A stage the error left running (the passage alignment beside the
        # paragraph spans) would go on sending tasks: its workers stop, and
        # the next scan starts new ones.
        self._stop(kill=True)

    def _resume(self) -> None:
        if self._sender is None:  # stopped by a scan that failed
            self._open()

    def forget(self, folder: Path) -> None:
        # Each worker's, in turn: a pool held open for many scans would
        # keep each one's index open (its removed files' disk space too).
        if self._sender is None or self._due:  # stopped, or a stage an error left is running
            self._stop(kill=True)
            return
        for conn in self._conns:
            self._outbox.put((conn, (forget_folder, str(folder))))
        self._due += len(self._conns)
        try:
            for worker in range(self.workers):
                self._receive(worker)
        except Exception:  # a worker died, or could not let go: the scan's own error matters
            self._stop(kill=True)

    def _receive(self, worker: int) -> Any:
        """The answer of the task given to ``worker`` first (its error raised)."""
        try:
            ok, value = self._conns[worker].recv()
        except (EOFError, OSError):  # closed; reset if it died with tasks unread
            raise WorkerError(_death(self._procs[worker])) from None
        self._due -= 1
        if not ok:
            raise value
        return value

    def _stop(self, kill: bool) -> None:
        if self._sender is None:
            return
        if not kill:
            for conn in self._conns:
                self._outbox.put((conn, None))
        self._outbox.put(None)
        if kill:
            for proc in self._procs:
                proc.kill()
        self._sender.join()
        for proc in self._procs:
            proc.join()
        for conn in self._conns:
            conn.close()
        self._sender, self._conns, self._procs = None, [], []
        self._next = self._due = 0


def _serve(conn: Connection, inherited: list[Connection]) -> None:
    """A worker: run each task it is given until told to stop."""
    for other in inherited:
        other.close()
    # Die at once on SIGTERM (the handler inherited from the CLI would unwind);
    # Ctrl-C is the parent's to handle. Output locks are the parent's alone.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    forget_locks()
    while True:
        try:
            work = conn.recv()
        except EOFError:  # the parent is gone
            return
        if work is None:
            return
        task, item = work
        try:
            answer = (True, task(item))
        except BaseException as e:  # handed to the parent, which raises it
            answer = (False, e)
        conn.send(answer)


def _send(outbox: queue.Queue[tuple[Connection, Any] | None]) -> None:
    while (work := outbox.get()) is not None:
        conn, message = work
        try:
            conn.send(message)
        except OSError:  # a dead worker: the parent finds out when it reads
            pass
        except Exception as e:  # not picklable, or no memory to: the worker says so in turn
            with contextlib.suppress(OSError):
                conn.send((_unsent, f"{type(e).__name__}: {e}"))


def _unsent(why: str) -> None:
    """In a worker, for a task that could not be sent to it: its error, in
    the task's place (else the parent would wait for its answer forever)."""
    raise RuntimeError(f"a task could not be sent to a worker ({why})")


def _death(proc: BaseProcess) -> str:
    """How a worker whose pipe closed under a task ended, in words."""
    proc.join(timeout=10)  # the system has its exit status at once, or nearly
    code = proc.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        why = ", as the system does to free memory" if -code == signal.SIGKILL else ""
        return f"a worker process was killed ({name}{why}); the scan stopped"
    return f"a worker process died (exit status {code}); the scan stopped"
