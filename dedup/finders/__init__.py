"""Finders: one module a finding level, each returning typed findings.

- ``paragraphs``: repeated and copied paragraphs (within, formula, across,
  boilerplate spans) and the templates among them;
- ``passages``: passages copied inside paragraphs (seed, chain, extend);
- ``documents``: near-duplicate and contained documents, in clusters.

Each reads the corpus ``Index`` and runs its heavy work as an ``Engine``'s
tasks; what they share is here: candidate pairs verified a window at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple, Protocol, TypeVar

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.engines import Engine, run
from dedup.index import held, here
from dedup.lsh import band_pairs, decode
from dedup.minhash import ranges
from dedup.store import BandFile, Spill
from dedup.verify import groups, unique

N = TypeVar("N", bound=NamedTuple)
T = TypeVar("T")


def save_arrays(arrays: NamedTuple, key: str) -> list[Path]:
    """A named tuple of arrays saved for tasks to map (``map_arrays``): the files."""
    paths = [Path(f"{key}.{name}.npy") for name in arrays._fields]
    for path, array in zip(paths, arrays, strict=True):
        np.save(path, array)
    return paths


def map_arrays(kind: type[N], key: str) -> N:
    """The ``kind`` saved at ``key``, memory-mapped: the workers of a machine
    share one copy in its page cache (copy-on-write, never written: the
    kernels take them as they take arrays of their own, not as read-only
    ones compiled anew)."""
    key = str(here(key))
    return kind(*(np.load(f"{key}.{name}.npy", mmap_mode="c") for name in kind._fields))


def started(task: Callable[[], T]) -> Callable[[], T]:
    """``task`` started in a thread; call what is returned for its result
    (or its error). Left behind by an error, it is never waited for: it
    runs to its end, or to its own error (a stage of the engine's tasks
    when the workers stop)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="dedup")
    future = pool.submit(task)
    pool.shutdown(wait=False)
    return future.result


def encode(pairs: np.ndarray) -> np.ndarray:
    """Pairs ``(a, b)`` as ``a << 32 | b`` (the inverse of lsh.decode)."""
    encoded: np.ndarray = pairs[:, 0].astype(np.int64) << 32 | pairs[:, 1]
    return encoded


def chunks(pairs: np.ndarray, size: int = 20_000) -> Iterator[np.ndarray]:
    for i in range(0, len(pairs), size):
        yield pairs[i : i + size]


# Bytes of a band's keys a task holds at most: a band of more is bucketed
# in parts, by key (at 1M synthetic documents a paragraph band is 39 MB, one
# part; at a 1 TB crawl, 11 GB, 42 parts). A task reads the band a stretch
# of ``STRETCH`` entries at a time, and keeps its part's (so a band is read
# once a part: the price of a task's memory bounded without a shuffle of
# the keys as they are written).
BAND_BYTES = 256 << 20
STRETCH = 1 << 22


def band_parts(entries: int) -> int:
    """Parts a band of ``entries`` keys is bucketed in (``BAND_BYTES``)."""
    return -(-entries * 8 // BAND_BYTES)


def key_part(keys: np.ndarray, part: int, parts: int) -> np.ndarray:
    """Where the keys of part ``part`` of ``parts`` are. Equal keys are in
    one part, so a bucket's pairs are a part's; the keys are hashes
    (fmix64), so the parts are about as large."""
    mine: np.ndarray = np.flatnonzero(keys % np.uint64(parts) == part)
    return mine


def bucketed(bands: BandFile, band: int, rows: np.ndarray, part: int, parts: int) -> np.ndarray:
    """The pairs ``(i, j)``, ``i < j``, of entries of ``rows`` (ascending)
    that share a bucket of ``band`` among the keys of part ``part`` of
    ``parts`` (``key_part``; of a whole band, read at once, if 1), sorted."""
    if parts == 1:
        return decode(band_pairs(bands.column(band, rows)))
    keys, places = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
    for at, some in _stretches(bands, band, rows):
        mine = key_part(some, part, parts)
        keys.append(some[mine])
        places.append(mine + at)
    pairs: np.ndarray = np.concatenate(places)[decode(band_pairs(np.concatenate(keys)))]
    return pairs


def _stretches(bands: BandFile, band: int, rows: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """A band's keys of ``rows`` (ascending), read a stretch of at most
    ``STRETCH`` of its entries at a time: where in ``rows`` each begins, and its keys."""
    at = 0
    while at < len(rows):
        lo = int(rows[at])
        end = at + int(np.searchsorted(rows[at:], lo + STRETCH))
        yield at, bands.keys(band, lo, int(rows[end - 1]) + 1)[rows[at:end] - lo]
        at = end


class Sets(Protocol):
    """Shingle sets by number: a spilled store, or some of them ``Gathered``."""

    def sizes(self, items: np.ndarray) -> np.ndarray: ...

    def gather(self, items: np.ndarray) -> np.ndarray: ...


class Stored(NamedTuple):
    """A store of the index in ``folder``, opened where a task runs."""

    folder: Path
    cfg: Config
    name: str

    def open(self) -> Sets:
        sets: Sets = getattr(held(self.folder, self.cfg, complete=True), self.name)
        return sets


class Gathered:
    """Some of a store's sets, read here to travel with a task to a worker
    that does not see the store's files."""

    def __init__(self, sets: Spill, items: np.ndarray) -> None:
        self.items = items  # sorted, distinct
        self.values = sets.gather(items)
        self.offsets = np.concatenate(([0], np.cumsum(sets.sizes(items))))

    def open(self) -> Sets:
        return self

    def __sizeof__(self) -> int:  # what it weighs, sent to a worker (engines/dask.py)
        return int(self.values.nbytes + self.offsets.nbytes + self.items.nbytes)

    def sizes(self, items: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.items, items)
        sizes: np.ndarray = self.offsets[at + 1] - self.offsets[at]
        return sizes

    def gather(self, items: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.items, items)
        gathered: np.ndarray = self.values[ranges(self.offsets[at], self.offsets[at + 1])]
        return gathered


def verify(
    candidates: Iterable[np.ndarray],
    check: Callable[[tuple[Stored | Gathered, np.ndarray]], np.ndarray],
    engine: Engine,
    sets: Stored,
    window: int = 1 << 22,
) -> np.ndarray:
    """The candidate pairs (encoded ``a << 32 | b``) that pass ``check``, distinct
    and sorted. Candidates come a band at a time; bands are gathered until
    they hold ``window`` pairs, so that a pair found in several of them is
    checked once, and what a window holds is checked by the engine's tasks. All
    bands' pairs together can be hundreds of millions, a window is a few
    million; a pair verified in an earlier window is not checked again.
    When the tasks run elsewhere, the next window is gathered (in a thread)
    while they check this one.

    ``check`` is given the ``sets`` the pairs are checked on, and a chunk of
    pairs; it returns the pairs that pass, or rows of them: the pair first,
    then what the check measured (so that no one measures it again); so
    does ``verify``, sorted by pair. The sets go as they are named where
    the engine's workers see the index's folder, else as the pairs'
    sets read here (``Gathered``)."""

    def items(pairs: np.ndarray) -> Iterator[tuple[Stored | Gathered, np.ndarray]]:
        for chunk in chunks(pairs):
            yield (sets, chunk) if engine.opens else (_gathered(sets, chunk), chunk)

    found: list[np.ndarray] = []
    passed: list[np.ndarray] = []  # the pairs passed so far: sorted runs (_merged)
    gathered = windows(candidates, window)
    for pairs in gathered if engine.local else ahead(gathered):
        for earlier in passed:
            pairs = pairs[~_holds(earlier, pairs)]
        kept = run(engine, check, items(pairs))
        if kept:
            rows = np.concatenate(kept)
            _merged(passed, rows if rows.ndim == 1 else rows[:, 0])
            found.append(rows)
    if not found:
        return np.empty(0, np.int64)
    rows = np.concatenate(found)
    ordered: np.ndarray = rows[np.argsort(rows if rows.ndim == 1 else rows[:, 0])]
    return ordered


def _holds(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of the sorted, distinct ``values`` the sorted array ``ordered``
    holds: the shorter looked up in the longer."""
    if len(values) <= len(ordered):
        at = np.searchsorted(ordered, values)
        found: np.ndarray = ordered[np.minimum(at, len(ordered) - 1)] == values
        return found
    held = np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(values, ordered), len(values) - 1)
    held[at[values[at] == ordered]] = True
    return held


def _merged(runs: list[np.ndarray], new: np.ndarray) -> None:
    """Add the sorted ``new`` (in none of them) to sorted ``runs``, each more
    than twice as long as the next, by merging it with the shorter ones: a
    pair is merged and looked up in a few runs, where one sorted union of
    all the pairs passed so far cost them all each window (at a crawl of
    hundreds of windows, their square)."""
    if not len(new):
        return
    while runs and len(runs[-1]) <= 2 * len(new):
        new = np.sort(np.concatenate((runs.pop(), new)), kind="stable")  # two runs: a merge
    runs.append(new)


def _gathered(sets: Stored, pairs: np.ndarray) -> Gathered:
    spill: Spill = getattr(held(sets.folder, sets.cfg), sets.name)
    return Gathered(spill, unique(decode(pairs)))


def shared_values(sets: Sets, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs of sets (encoded), the two sets' sizes ``(pairs, 2)`` and how
    many values they share. Each set the pairs name is read once, and the
    overlaps are counted by one kernel call, for pairs whose sets hold about
    ``_GATHER`` values at most together (one set may be a whole book)."""
    ab = decode(pairs)
    sizes = sets.sizes(ab)
    part = np.cumsum(sizes.sum(axis=1)) // _GATHER
    cuts = (np.flatnonzero(np.diff(part)) + 1).tolist()
    shared = [np.empty(0, np.int64)]
    for lo, hi in pairwise([0, *cuts, len(ab)]):
        items, _, slots = groups(ab[lo:hi].reshape(-1))
        slots = slots.reshape(-1, 2)
        offsets = np.concatenate(([0], np.cumsum(sets.sizes(items))))
        shared.append(kernels.overlaps(sets.gather(items), offsets, slots[:, 0], slots[:, 1]))
    return sizes, np.concatenate(shared)


# Shingle hashes read at most at once by a verification task (64 MB).
_GATHER = 1 << 23


def windows(batches: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """The batches' values gathered until they number ``size``, distinct and sorted."""
    pending: list[np.ndarray] = []
    for batch in batches:
        pending.append(batch)
        if sum(map(len, pending)) >= size:
            yield unique(np.concatenate(pending))
            pending = []
    if pending:
        yield unique(np.concatenate(pending))


def ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, the next one computed in a thread while the caller works on
    this one. (numpy releases the GIL in its sorts, so gathering candidates
    here and waiting for the workers there overlap.)"""
    box: queue.Queue[tuple[bool, T | BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(entry: tuple[bool, T | BaseException | None]) -> bool:
        """Put ``entry`` in the box unless the caller stopped: whether it did."""
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((True, item)):
                    return
            offer((False, None))
        except BaseException as e:  # raised again in the caller
            offer((False, e))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            more, item = box.get()
            if not more:
                if isinstance(item, BaseException):
                    raise item
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
