"""Engines say where a scan's tasks run; the stages say what runs.

An engine maps a task over items and yields ``(item, result)`` in the items'
order. It is a context manager that owns its workers for the whole scan. A
task is a module-level function, or a ``functools.partial`` of one, with
picklable arguments, never shared memory, so any engine can run it: in this
process, in a forked or spawned one, or on another machine. Where an
engine's workers see this machine's disk (``shares_disk``), or have a copy
of the scan's folder (``publish``: Dask workers that keep the features
they computed), a task finds what it reads (the corpus index, a stage's
saved state) by the folder it is given (``opens``); else what it reads
travels with it (finders/: ``Gathered``), and what every task reads goes
to each worker once (``share``). ``Engine`` itself
runs tasks in this process and is the reference: every engine gives its
answer (tests/test_engines.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import numpy as np

from dedup.store import Wanted

T = TypeVar("T")
R = TypeVar("R")


class Engine:
    """Runs tasks in this process (the reference engine)."""

    # Whether tasks run in this process, seeing its memory: else what they
    # read must be on disk first (the index sealed, a stage's state saved).
    local = True
    # Whether its workers see this process's files at the same paths.
    shares_disk = True

    @property
    def opens(self) -> bool:
        """Whether tasks open the sealed index, and the state a stage saves
        beside it, where they run: in the scan's folder, or in a copy of it
        on each worker (``publish``)."""
        return self.shares_disk

    def map(self, task: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        for item in items:
            yield item, task(item)

    def share(self, value: T) -> T:
        """``value`` (what many tasks read) as tasks are given it: sent to
        every worker once where it has to travel (a Dask future, then)."""
        return value

    def publish(self, folder: Path, paths: list[Path], owners: Iterable[str] = ()) -> None:
        """Files saved in the scan's ``folder`` for tasks to read, copied to
        each worker that does not see it. The first are the sealed index's:
        ``owners``, the workers that keep its features, then serve each
        copy the features it reads of theirs."""

    def forget(self, folder: Path) -> None:
        """The workers let go of what they opened in ``folder`` (a scan's, done)."""

    def fetch(self, wanted: Wanted) -> dict[str, np.ndarray]:
        """Bytes of files that workers on other machines keep (``store.Fetch``):
        only an engine whose workers share no disk with this process has them."""
        raise NotImplementedError(f"{type(self).__name__} keeps no files on other machines")

    # The with blocks it is in: its workers start as the first begins and
    # stop as it ends, so that an engine a caller holds open serves each
    # scan given it (a scan's own with block must not start a second pool).
    _depth = 0

    def __enter__(self) -> Self:
        if not self._depth:
            self._open()
        else:
            self._resume()
        self._depth += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if not self._depth:
            self._close(failed=kind is not None)
        elif kind is not None:
            self._failed()

    def _open(self) -> None:
        """Start the workers."""

    def _close(self, failed: bool) -> None:
        """Stop the workers (at once if ``failed``: an error or a signal)."""

    def _resume(self) -> None:
        """A scan begins in the with block of a caller who holds the engine open."""

    def _failed(self) -> None:
        """A scan failed in the with block of a caller who holds the engine open."""


def make_engine(workers: int, start: str | None = None) -> Engine:
    """The local engine for one worker, else a pool of ``workers`` processes
    (``start``: the multiprocessing start method, ``fork`` where there is one)."""
    if workers <= 1:
        return Engine()
    return ProcessEngine(workers, start)


def engine_of(given: Any) -> Engine:
    """An engine, or a ``distributed.Client`` made one."""
    if isinstance(given, Engine):
        return given
    if type(given).__module__.startswith("distributed"):
        return DaskEngine(client=given)
    raise TypeError(f"not an engine or a distributed.Client: {given!r}")


def forget_folder(folder: str) -> None:
    """In a worker: let go of what tasks opened in a scan's folder, its index
    and the passage alignment's state."""
    from dedup.finders import passages
    from dedup.index import forget

    forget(folder)
    passages.forget(folder)


def run(engine: Engine, task: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
    """The task's results, in order."""
    return [result for _, result in engine.map(task, items)]


from dedup.engines.dask import DaskEngine  # noqa: E402 (they build on Engine)
from dedup.engines.processes import ProcessEngine  # noqa: E402

__all__ = ["DaskEngine", "Engine", "ProcessEngine", "engine_of", "make_engine", "run"]
