"""Compact storage for what a scan keeps: memory that grows with the number of
documents and paragraphs (a few numbers each), never with their text.

- ``Column``: a growable numpy array in memory (one row per document or paragraph).
- ``Spill``: variable-length arrays (shingle sets, token hashes) written to
  disk in batches and read back by index with ``pread``, or, a megabyte or
  more at once, by mapping the file: either way from the page cache, and
  only what a stage holds counts towards the process's resident memory.
- ``BandFile``: LSH band keys, stored band by band, so that bucketing reads
  one band's column at a time.

Whichever process computes a batch writes it (``write``): a worker appends to
files of its own in the scan's ``Folder`` and sends the parent only where it
put the batch (a ``Chunk``), which the parent adds to the store in input
order. So a batch's bulk never crosses a pipe, and workers write in parallel.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_right
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dedup.errors import OutputError


class Column:
    """A numpy array grown by appending (capacity doubles, so appends are amortized O(1))."""

    def __init__(self, dtype: type | np.dtype, width: int = 0) -> None:
        self._data = np.empty((1024, width) if width else 1024, dtype=dtype)
        self._n = 0

    @classmethod
    def of(cls, values: np.ndarray) -> Column:
        """A column holding ``values`` as they are (a memory map stays one; a
        plain view of it, since slicing an np.memmap costs a Python call)."""
        column = cls(values.dtype, values.shape[1] if values.ndim > 1 else 0)
        column._data, column._n = values.view(np.ndarray), len(values)
        return column

    def extend(self, values: np.ndarray) -> None:
        need = self._n + len(values)
        if need > len(self._data):
            grown = np.empty(
                (max(need, 2 * len(self._data)), *self._data.shape[1:]), self._data.dtype
            )
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = values
        self._n = need

    def array(self) -> np.ndarray:
        return self._data[: self._n]

    def trim(self) -> None:
        """Let go of the spare capacity (up to half the column) once it is whole."""
        if len(self._data) > self._n and self._data.flags.owndata:
            self._data = self._data[: self._n].copy()

    def __len__(self) -> int:
        return self._n


class Chunk(NamedTuple):
    """Where a process wrote one batch of a store: ``size`` values at byte
    ``offset`` of the file ``path``; on the disk of ``owner`` (a Dask
    worker's address), or of this machine ("")."""

    path: str
    offset: int
    size: int
    owner: str = ""


# What a Folder reads from other machines: for each owner, the paths of its
# files wanted and the ranges ``(path number, byte offset, bytes)`` wanted
# of them (an array: thousands of tuples, Dask would send one by one); it
# answers, for each owner, their bytes one after another (engines/dask.py:
# DaskEngine.fetch).
Wanted = dict[str, tuple[list[str], np.ndarray]]
Fetch = Callable[[Wanted], dict[str, np.ndarray]]


class Folder:
    """A scan's temporary folder. Each process appends each store's batches to
    a file of its own (``<store>.<pid>``: a store's data stays together, which
    keeps the page cache's read-ahead useful); any process reads any of them
    back by position. Files another machine keeps (a Dask worker that shares
    no disk with this process) are read through ``fetch``."""

    def __init__(self, path: Path, fetch: Fetch | None = None) -> None:
        self.path = path
        self.fetch = fetch
        self._pid = os.getpid()
        self._writers: dict[str, list[int]] = {}  # this process's: path -> [fd, bytes]
        self._readers: dict[str, int] = {}  # path -> fd, shared by every store
        # Another machine's files, by number: -1 - number stands for a file descriptor.
        self._far: list[tuple[str, str]] = []  # (owner, path)
        self._far_numbers: dict[tuple[str, str], int] = {}

    def write(self, name: str, values: np.ndarray) -> Chunk:
        """Append ``values`` to this process's file of store ``name``."""
        if self._pid != os.getpid():  # a forked worker: files of its own
            self._pid, self._writers = os.getpid(), {}
        path = str(self.path / f"{name}.{self._pid}")
        writer = self._writers.get(path)
        if writer is None:
            fd = self._open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            writer = self._writers[path] = [fd, os.fstat(fd).st_size]
        view = np.ascontiguousarray(values).reshape(-1).data.cast("B")
        offset = writer[1]
        try:
            while view:
                n = os.write(writer[0], view)
                view, writer[1] = view[n:], writer[1] + n
        except OSError as e:  # a full disk, most likely
            raise OutputError(
                f"{self.path}: cannot write the scan's temporary files ({e.strerror}); "
                "--tmp-dir puts them elsewhere"
            ) from None
        return Chunk(path, offset, values.size)

    def reader(self, path: str, owner: str = "") -> int:
        """A file descriptor to read ``path`` with, opened once (forked workers
        share it; of two threads opening it at once, one keeps its own); for
        a file of ``owner``'s, a negative number standing for one."""
        if owner:
            with _FAR_LOCK:
                number = self._far_numbers.setdefault((owner, path), len(self._far))
                if number == len(self._far):
                    self._far.append((owner, path))
            return -1 - number
        fd = self._readers.get(path)
        if fd is None:
            fd = self._readers.setdefault(path, opened := self._open(path, os.O_RDONLY))
            if fd != opened:
                os.close(opened)
        return fd

    def _open(self, path: str, flags: int) -> int:
        try:
            return os.open(path, flags, 0o600)
        except OSError as e:
            raise OutputError(
                f"{self.path}: cannot open the scan's temporary files ({e.strerror}); "
                "--tmp-dir puts them elsewhere"
            ) from None

    def fetch_into(self, wanted: list[tuple[int, np.ndarray, int]]) -> None:
        """Fill each ``out`` of ``wanted`` ``(fd, out, byte offset)``, where
        ``fd`` stands for another machine's file (``reader``): one call for
        all of them."""
        far: dict[str, list[tuple[str, int, int]]] = {}
        outs: dict[str, list[np.ndarray]] = {}
        for fd, out, offset in wanted:
            owner, path = self._far[-1 - fd]
            far.setdefault(owner, []).append((path, offset, out.nbytes))
            outs.setdefault(owner, []).append(out)
        for owner, got in self._fetch({o: _table(ranges) for o, ranges in far.items()}).items():
            at = 0
            for out in outs[owner]:
                out.reshape(-1).view(np.uint8)[:] = got[at : at + out.nbytes]
                at += out.nbytes

    def fetch_items(self, fds: np.ndarray, offsets: np.ndarray, size: int) -> np.ndarray:
        """Items of ``size`` bytes at byte ``offsets`` of other machines'
        files (``fds``: ``reader``'s numbers for them), as ``(items, size)``
        bytes: one call for all of them, built without a loop an item."""
        numbers = -1 - fds
        out = np.empty((len(fds), size), np.uint8)
        files, where = np.unique(numbers, return_inverse=True)
        owners = sorted({self._far[f][0] for f in files.tolist()})
        owner_of = np.array([owners.index(self._far[f][0]) for f in files.tolist()])[where]
        asked = {}
        for i, owner in enumerate(owners):
            mine = np.flatnonzero(owner_of == i)
            theirs, path = np.unique(numbers[mine], return_inverse=True)
            ranges = np.column_stack((path, offsets[mine], np.full(len(mine), size)))
            asked[owner] = ([self._far[f][1] for f in theirs.tolist()], ranges.astype(np.int64))
        for owner, got in self._fetch(asked).items():
            out[owner_of == owners.index(owner)] = got.reshape(-1, size)
        return out

    def _fetch(self, wanted: Wanted) -> dict[str, np.ndarray]:
        if self.fetch is None:
            raise OutputError(f"{self.path}: the scan's features are on other machines")
        return self.fetch(wanted)

    def close(self) -> None:
        if self._pid == os.getpid():  # a worker's copy leaves the parent's files alone
            for fd, _ in self._writers.values():
                os.close(fd)
        self._writers = {}
        for fd in self._readers.values():
            os.close(fd)
        self._readers = {}


class _Chunks:
    """Values of one dtype that lie in chunks, in order, across processes' files:
    read back as if they were one array."""

    def __init__(self, folder: Folder, name: str, dtype: np.dtype) -> None:
        self.folder = folder
        self.name = name
        self.dtype = dtype
        self._starts = [0]  # first value of each chunk, then the end
        self._where: list[tuple[int, int]] = []  # each chunk's (file descriptor, byte offset)
        self.chunks: list[Chunk] = []  # what an index's manifest records
        self._far = False  # whether some chunks are in other machines' files
        self._stretched: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def size(self) -> int:
        return self._starts[-1]

    def write(self, values: np.ndarray) -> Chunk:
        return self.folder.write(self.name, np.asarray(values, dtype=self.dtype))

    def add(self, chunk: Chunk) -> None:
        if chunk.size:
            self._where.append((self.folder.reader(chunk.path, chunk.owner), chunk.offset))
            self._starts.append(self._starts[-1] + chunk.size)
            self.chunks.append(chunk)
            self._far = self._far or bool(chunk.owner)

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Values ``lo`` .. ``hi - 1`` (the hot path of candidate verification:
        kept lean, one ``pread`` when they lie in one chunk). Many values in
        one stretch of one file are mapped instead: read into new memory,
        they cost a page fault every 4 KB, 10 ms a MB on a virtual machine
        whose host takes back the memory its guest frees."""
        i = bisect_right(self._starts, lo) - 1  # the chunk holding value lo
        if (hi - lo) * self.dtype.itemsize >= _MAP_BYTES and _MAPS:
            mapped = self._mapped(i, lo, hi)
            if mapped is not None:
                return mapped
        out = np.empty(hi - lo, dtype=self.dtype)
        far: list[tuple[int, np.ndarray, int]] = []
        self._fill(i, lo, out, far)
        if far:
            self.folder.fetch_into(far)
        return out

    def _fill(
        self, i: int, lo: int, out: np.ndarray, far: list[tuple[int, np.ndarray, int]]
    ) -> None:
        """Fill ``out`` with values ``lo`` .. ``lo + len(out) - 1``, from chunk
        ``i`` on (the one holding value ``lo``): a ``pread`` a chunk of this
        machine's files; the parts in other machines' are added to ``far``
        ``(fd, part of out, byte offset)``, to be fetched together."""
        at = 0
        while at < len(out):
            fd, offset = self._where[i]
            n = min(lo + len(out), self._starts[i + 1]) - (lo + at)
            part = out if n == len(out) else out[at : at + n]
            byte = offset + (lo + at - self._starts[i]) * out.itemsize
            if fd >= 0:
                pread(fd, part, byte)
            else:
                far.append((fd, part, byte))
            at, i = at + n, i + 1

    def gather(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Values ``lo[i]`` .. ``hi[i] - 1`` for every ``i`` (sorted, disjoint),
        concatenated. Ranges close together in one stretch of one file are
        read at once (a read a range cost 15 us): by one ``pread`` up to a
        megabyte, else mapped if they fill half of it or more. Sparse ones
        are read one by one: a map counts every page touched towards memory,
        and the system maps 64 KB around each (with sparse ranges mapped,
        the 1M-document scan's peak memory was 2.9 GB, else 2.4 GB)."""
        if lo[0] == hi[-1]:  # all empty (perhaps the store too)
            return np.empty(0, self.dtype)
        if self._far:  # some in other machines' files: every range in one fetch
            out = np.empty(int((hi - lo).sum()), self.dtype)
            ends = np.cumsum(hi - lo).tolist()
            far: list[tuple[int, np.ndarray, int]] = []
            for a, first, last in zip(lo.tolist(), [0, *ends[:-1]], ends, strict=True):
                self._fill(bisect_right(self._starts, a) - 1, a, out[first:last], far)
            if far:
                self.folder.fetch_into(far)
            return out
        if not _MAPS:
            return np.concatenate([self.read(a, b) for a, b in zip(lo, hi, strict=True)])
        starts, stretch, _ = self._stretches()
        part = stretch[np.searchsorted(starts, lo, "right") - 1]
        alone = part != stretch[np.searchsorted(starts, hi - 1, "right") - 1]  # across stretches
        size = self.dtype.itemsize
        far = (lo[1:] - hi[:-1]) * size >= _MAP_BYTES
        cut = np.flatnonzero((part[1:] != part[:-1]) | alone[1:] | alone[:-1] | far) + 1
        pieces = []
        for a, b in pairwise(np.r_[0, cut, len(lo)].tolist()):
            span, need = int(hi[b - 1] - lo[a]), int((hi[a:b] - lo[a:b]).sum())
            if span * size >= _MAP_BYTES and 2 * need < span:  # sparse: a read each
                pieces.append(self._each(lo[a:b], hi[a:b]))
                continue
            values = self.read(int(lo[a]), int(hi[b - 1]))
            at, to = (lo[a:b] - lo[a]).tolist(), (hi[a:b] - lo[a]).tolist()
            pieces += [values[x:y] for x, y in zip(at, to, strict=True)]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)  # a map stays one

    def take(self, rows: np.ndarray) -> np.ndarray:
        """Values at ``rows``: of this machine's files read as ``read_items``
        reads them; of other machines', those only (a band task's bit maps:
        3% of each column, which at 100,000 synthetic documents took 540 MB
        of the network read whole)."""
        starts, _, where = self._stretches()
        chunk = np.searchsorted(starts, rows, "right") - 1
        size = self.dtype.itemsize
        fds, offsets = where[chunk, 0], where[chunk, 1] + (rows - starts[chunk]) * size
        out = np.empty((len(rows), size), np.uint8)
        near = fds >= 0
        out[near] = read_items(fds[near], offsets[near], size)
        if not near.all():
            out[~near] = self.folder.fetch_items(fds[~near], offsets[~near], size)
        return out.view(self.dtype)[:, 0]

    def _stretches(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each chunk's first value, the number of the stretch of one file it
        lies in (a chunk right after the one before in its file continues
        its stretch), and its file descriptor and byte offset (rows)."""
        if self._stretched is None or self._stretched[0] != len(self.chunks):
            new = [
                i == 0
                or c.path != self.chunks[i - 1].path
                or c.offset
                != self.chunks[i - 1].offset + self.chunks[i - 1].size * self.dtype.itemsize
                for i, c in enumerate(self.chunks)
            ]
            where = np.array(self._where, np.int64).reshape(-1, 2)
            self._stretched = (len(self.chunks), np.array(self._starts[:-1]), np.cumsum(new), where)
        return self._stretched[1:]

    def _each(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Values ``lo[i]`` .. ``hi[i] - 1`` of ranges in one stretch of one
        file, concatenated: a ``pread`` each, into one array (``read`` a range
        at a time cost twice as much, most of it in Python)."""
        starts, _, where = self._stretches()
        chunk = np.searchsorted(starts, lo, "right") - 1
        fd = int(where[chunk[0], 0])  # one stretch: one file
        at = (where[chunk, 1] + (lo - starts[chunk]) * self.dtype.itemsize).tolist()
        out = np.empty(int((hi - lo).sum()), self.dtype)
        ends = np.cumsum(hi - lo).tolist()
        for offset, first, last in zip(at, [0, *ends[:-1]], ends, strict=True):
            pread(fd, out[first:last], offset)
        return out

    def _mapped(self, i: int, lo: int, hi: int) -> np.ndarray | None:
        """Values ``lo`` .. ``hi - 1``, from chunk ``i`` on, as a map of their
        file, if they lie in one stretch of it (else None). Copy-on-write:
        writable like what is read (a kernel given both is compiled once),
        and a write never reaches the file."""
        first, size = self.chunks[i], self.dtype.itemsize
        if first.owner:  # another machine's
            return None
        start = first.offset + (lo - self._starts[i]) * size
        j = i + 1
        while self._starts[j] < hi:  # the next chunks follow in the same file?
            chunk = self.chunks[j]
            follows = chunk.path == first.path and not chunk.owner
            if not follows or chunk.offset != start + (self._starts[j] - lo) * size:
                return None
            j += 1
        values: np.ndarray = np.memmap(first.path, self.dtype, "c", start, (hi - lo,))
        return values.view(np.ndarray)  # the map stays open as long as the values


def read_items(fds: np.ndarray, offsets: np.ndarray, size: int) -> np.ndarray:
    """Items of ``size`` bytes at byte ``offsets`` of the files ``fds``, as
    ``(items, size)`` bytes: from the first to the last of a run of one file
    less than ``GAP`` bytes apart at a time (not a read each: thousands, in
    Python; a keeper's for Folder.fetch_items too)."""
    out = np.empty((len(fds), size), np.uint8)
    if not len(fds):
        return out
    order = np.lexsort((offsets, fds))
    fd, at = fds[order], offsets[order]
    runs = np.flatnonzero((np.diff(fd) != 0) | (np.diff(at) > GAP)) + 1
    for a, b in pairwise([0, *runs.tolist(), len(order)]):
        first = int(at[a])
        data = np.empty(int(at[b - 1]) + size - first, np.uint8)
        pread(int(fd[a]), data, first)
        out[order[a:b]] = data[(at[a:b] - first)[:, None] + np.arange(size)]
    return out


def _table(ranges: list[tuple[str, int, int]]) -> tuple[list[str], np.ndarray]:
    """Ranges ``(path, byte offset, bytes)`` as Fetch wants them: their paths,
    and an array of ``(path number, byte offset, bytes)``."""
    numbers: dict[str, int] = {}
    rows = [(numbers.setdefault(path, len(numbers)), at, n) for path, at, n in ranges]
    return list(numbers), np.array(rows, np.int64).reshape(-1, 3)


# Reads of at least this many bytes map the file (_Chunks.read); not on
# Windows, where a mapped file cannot be removed with the scan's folder.
_MAP_BYTES = 1 << 20
# Items (take, and a keeper's Folder.fetch_items) less than this many bytes
# apart are read together, with what lies between them.
GAP = 64 << 10
_MAPS = os.name != "nt"
_FAR_LOCK = threading.Lock()


def pread(fd: int, out: np.ndarray, offset: int) -> None:
    """Fill ``out`` from byte ``offset`` of ``fd``."""
    n = os.preadv(fd, [out.data], offset)
    if n < out.nbytes:  # one read returns at most 2 GiB
        view = out.data.cast("B")[n:]
        while view:
            if (got := os.preadv(fd, [view], offset + n)) <= 0:
                raise OSError(f"temporary file ends before byte {offset + n + len(view)}")
            view, n = view[got:], n + got


class Spill:
    """Arrays of one dtype (items of ``width`` values each, ``width`` 0 for flat),
    written in batches and read back one by one."""

    def __init__(self, folder: Folder, name: str, dtype: type | np.dtype, width: int = 0) -> None:
        self.width = width
        self._values = _Chunks(folder, name, np.dtype(dtype))
        self._bounds = Column(np.int64)  # end of each array, in items
        self._bounds.extend(np.zeros(1, np.int64))

    def write(self, values: np.ndarray) -> Chunk:
        """Write a batch of arrays, concatenated (in any process); ``add`` records it."""
        return self._values.write(values)

    def add(self, chunk: Chunk, lengths: np.ndarray) -> None:
        """Record a written batch as the next ``len(lengths)`` arrays, ``lengths`` items each."""
        self._values.add(chunk)
        end = self._bounds.array()[-1]
        self._bounds.extend(end + np.cumsum(lengths, dtype=np.int64))

    def extend(self, values: np.ndarray, lengths: np.ndarray) -> None:
        self.add(self.write(values), lengths)

    def trim(self) -> None:
        self._bounds.trim()

    def state(self) -> tuple[list[Chunk], np.ndarray]:
        """Where its values lie and where each array ends: enough to open it again."""
        return self._values.chunks, self._bounds.array()

    def restore(self, chunks: list[Chunk], bounds: np.ndarray) -> None:
        """Take the ``state`` of a store of the same name and kind."""
        for chunk in chunks:
            self._values.add(chunk)
        self._bounds = Column.of(bounds)

    def __len__(self) -> int:
        return len(self._bounds) - 1

    def lengths(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """Lengths of arrays ``first`` .. ``last - 1`` (all by default)."""
        b = self._bounds.array()
        return np.diff(b[first : (len(self) if last is None else last) + 1])

    def __getitem__(self, i: int) -> np.ndarray:
        return self.range(i, i + 1)

    def sizes(self, items: np.ndarray) -> np.ndarray:
        """Lengths of arrays ``items``, without reading them."""
        b = self._bounds.array()
        sizes: np.ndarray = b[items + 1] - b[items]
        return sizes

    def gather(self, items: np.ndarray) -> np.ndarray:
        """Arrays ``items`` (sorted, distinct) concatenated: read together
        where they lie in one stretch of a file (see ``_Chunks.gather``; a
        map when that is all)."""
        if not len(items):
            return np.empty(0, self._values.dtype)
        b, w = self._bounds.array(), max(self.width, 1)
        lo, hi = b[items], b[items + 1]
        joined = np.flatnonzero(lo[1:] != hi[:-1]) + 1  # a run of consecutive items: one range
        lo, hi = lo[np.r_[0, joined]], hi[np.r_[joined - 1, len(hi) - 1]]
        out = self._values.gather(lo * w, hi * w)
        return out.reshape(-1, self.width) if self.width else out

    def each(self, items: np.ndarray) -> list[np.ndarray]:
        """Arrays ``items`` (sorted, distinct), read together (``gather``)."""
        if not len(items):
            return []
        return np.split(self.gather(items), np.cumsum(self.sizes(items))[:-1])

    def take(self, arrays: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Item ``at`` of each of ``arrays`` (in any order), those only read
        (``_Chunks.take``)."""
        w = max(self.width, 1)
        rows = (self._bounds.array()[arrays] + at)[:, None] * w + np.arange(w)
        out = self._values.take(rows.reshape(-1))
        return out.reshape(-1, self.width) if self.width else out

    def range(self, first: int, last: int) -> np.ndarray:
        """Arrays ``first`` .. ``last - 1`` concatenated."""
        b = self._bounds.array()
        return self._items(int(b[first]), int(b[last]))

    def _items(self, lo: int, hi: int) -> np.ndarray:
        """Items ``lo`` .. ``hi - 1`` of all the arrays concatenated."""
        w = max(self.width, 1)
        out = self._values.read(lo * w, hi * w)
        return out.reshape(-1, self.width) if self.width else out


class BandFile:
    """LSH band keys of many items, stored band by band, so that bucketing
    reads one band of every item at a time."""

    def __init__(self, folder: Folder, name: str, bands: int) -> None:
        # One file for every band (not one each): a band is read all at once.
        self._columns = [_Chunks(folder, name, np.dtype(np.uint64)) for _ in range(bands)]

    def write(self, keys: np.ndarray) -> list[Chunk]:
        """Write ``(n, bands)`` keys (in any process); ``add`` records them."""
        return [column.write(keys[:, b]) for b, column in enumerate(self._columns)]

    def add(self, chunks: list[Chunk]) -> None:
        for column, chunk in zip(self._columns, chunks, strict=True):
            column.add(chunk)

    def extend(self, keys: np.ndarray) -> None:
        self.add(self.write(keys))

    def state(self) -> list[list[Chunk]]:
        return [column.chunks for column in self._columns]

    def restore(self, state: list[list[Chunk]]) -> None:
        for column, chunks in zip(self._columns, state, strict=True):
            for chunk in chunks:
                column.add(chunk)

    def __len__(self) -> int:
        return self._columns[0].size

    @property
    def bands(self) -> int:
        return len(self._columns)

    def column(self, band: int, rows: np.ndarray | None = None) -> np.ndarray:
        """One band's keys, of every item or of ``rows`` only."""
        keys = self._columns[band].read(0, len(self))
        return keys if rows is None else keys[rows]

    def take(self, band: int, rows: np.ndarray) -> np.ndarray:
        """One band's keys of ``rows`` (in any order): only those are read (_Chunks.take)."""
        return self._columns[band].take(rows)

    def keys(self, band: int, first: int, last: int) -> np.ndarray:
        """One band's keys of items ``first`` .. ``last - 1``."""
        return self._columns[band].read(first, last)

    def rows(self, first: int, last: int) -> np.ndarray:
        """Every band's keys of items ``first`` .. ``last - 1``, ``(items, bands)``:
        only those are read."""
        keys = [column.read(first, last) for column in self._columns]
        return np.stack(keys, axis=1) if keys else np.empty((last - first, 0), np.uint64)
