"""Compact storage for what a scan keeps: memory that grows with the number of
documents and paragraphs (a few numbers each), never with their text.

- ``Column``: a growable numpy array in memory (one row per document or paragraph).
- ``Spill``: variable-length arrays (shingle sets, token hashes) written to
  disk in batches and read back by index with ``pread``. Reads go through the
  page cache, not a memory map, so they never count towards the process's
  resident memory.
- ``BandFile``: LSH band keys, stored band by band, so that bucketing reads
  one band's column at a time.

Whichever process computes a batch writes it (``write``): a worker appends to
a file of its own in the scan's ``Folder`` and sends the parent only where it
put the batch (a ``Chunk``), which the parent adds to the store in input
order. So a batch's bulk never crosses a pipe, and workers write in parallel.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dedup.errors import OutputError


class Column:
    """A numpy array grown by appending (capacity doubles, so appends are amortized O(1))."""

    def __init__(self, dtype: type | np.dtype, width: int = 0) -> None:
        self._data = np.empty((1024, width) if width else 1024, dtype=dtype)
        self._n = 0

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

    def __len__(self) -> int:
        return self._n


class Chunk(NamedTuple):
    """Where a process wrote one batch of a store: ``size`` values at byte
    ``offset`` of the file ``path``."""

    path: str
    offset: int
    size: int


class Folder:
    """A scan's temporary folder. Each process appends to a file of its own
    (``part.<pid>``); any process reads any of them back by position."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: tuple[int, int, str] | None = None  # (pid, fd, path)
        self._written = 0  # bytes in this process's file
        self._readers: dict[str, int] = {}  # path -> fd, shared by every store

    def write(self, values: np.ndarray) -> Chunk:
        """Append ``values`` to this process's file (a forked worker opens its own)."""
        if self._writer is None or self._writer[0] != os.getpid():
            path = str(self.path / f"part.{os.getpid()}")
            fd = self._open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            self._writer, self._written = (os.getpid(), fd, path), os.fstat(fd).st_size
        _, fd, path = self._writer
        view = np.ascontiguousarray(values).reshape(-1).data.cast("B")
        offset = self._written
        try:
            while view:
                n = os.write(fd, view)
                view, self._written = view[n:], self._written + n
        except OSError as e:  # a full disk, most likely
            raise OutputError(
                f"{self.path}: cannot write the scan's temporary files ({e.strerror}); "
                "--tmp-dir puts them elsewhere"
            ) from None
        return Chunk(path, offset, values.size)

    def read(self, path: str, offset: int, out: np.ndarray) -> None:
        """Fill ``out`` from byte ``offset`` of ``path``."""
        fd = self._readers.get(path)
        if fd is None:
            fd = self._readers[path] = self._open(path, os.O_RDONLY)
        view = out.data.cast("B")
        while view:  # one read returns at most 2 GiB
            n = os.preadv(fd, [view], offset)
            if n <= 0:
                raise OSError(f"{path} ends before byte {offset + len(view)}")
            view, offset = view[n:], offset + n

    def _open(self, path: str, flags: int) -> int:
        try:
            return os.open(path, flags, 0o600)
        except OSError as e:
            raise OutputError(
                f"{self.path}: cannot create the scan's temporary files ({e.strerror}); "
                "--tmp-dir puts them elsewhere"
            ) from None

    def close(self) -> None:
        if self._writer is not None and self._writer[0] == os.getpid():
            os.close(self._writer[1])
        self._writer = None
        for fd in self._readers.values():
            os.close(fd)
        self._readers = {}


class _Chunks:
    """Values of one dtype that lie in chunks, in order, across processes' files:
    read back as if they were one array."""

    def __init__(self, folder: Folder, dtype: np.dtype) -> None:
        self.folder = folder
        self.dtype = dtype
        self._starts = [0]  # first value of each chunk, then the end
        self._where: list[tuple[str, int]] = []  # each chunk's (path, byte offset)

    @property
    def size(self) -> int:
        return self._starts[-1]

    def write(self, values: np.ndarray) -> Chunk:
        return self.folder.write(np.asarray(values, dtype=self.dtype))

    def add(self, chunk: Chunk) -> None:
        if chunk.size:
            self._where.append((chunk.path, chunk.offset))
            self._starts.append(self._starts[-1] + chunk.size)

    def read(self, lo: int, hi: int) -> np.ndarray:
        out = np.empty(hi - lo, dtype=self.dtype)
        i = bisect_right(self._starts, lo) - 1
        while lo < hi:
            path, offset = self._where[i]
            first, end = self._starts[i], min(hi, self._starts[i + 1])
            at = out.size - (hi - lo)
            self.folder.read(
                path, offset + (lo - first) * self.dtype.itemsize, out[at : at + end - lo]
            )
            lo, i = end, i + 1
        return out


class Spill:
    """Arrays of one dtype (items of ``width`` values each, ``width`` 0 for flat),
    written in batches and read back one by one."""

    def __init__(self, folder: Folder, dtype: type | np.dtype, width: int = 0) -> None:
        self.width = width
        self._values = _Chunks(folder, np.dtype(dtype))
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

    def __len__(self) -> int:
        return len(self._bounds) - 1

    def lengths(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """Lengths of arrays ``first`` .. ``last - 1`` (all by default)."""
        b = self._bounds.array()
        return np.diff(b[first : (len(self) if last is None else last) + 1])

    def __getitem__(self, i: int) -> np.ndarray:
        return self.range(i, i + 1)

    def range(self, first: int, last: int) -> np.ndarray:
        """Arrays ``first`` .. ``last - 1`` concatenated."""
        b = self._bounds.array()
        w = max(self.width, 1)
        out = self._values.read(int(b[first]) * w, int(b[last]) * w)
        return out.reshape(-1, self.width) if self.width else out


class BandFile:
    """LSH band keys of many items, stored band by band, so that bucketing
    reads one band of every item at a time."""

    def __init__(self, folder: Folder, bands: int) -> None:
        self._columns = [_Chunks(folder, np.dtype(np.uint64)) for _ in range(bands)]

    def write(self, keys: np.ndarray) -> list[Chunk]:
        """Write ``(n, bands)`` keys (in any process); ``add`` records them."""
        return [column.write(keys[:, b]) for b, column in enumerate(self._columns)]

    def add(self, chunks: list[Chunk]) -> None:
        for column, chunk in zip(self._columns, chunks, strict=True):
            column.add(chunk)

    def extend(self, keys: np.ndarray) -> None:
        self.add(self.write(keys))

    def __len__(self) -> int:
        return self._columns[0].size

    @property
    def bands(self) -> int:
        return len(self._columns)

    def column(self, band: int, rows: np.ndarray | None = None) -> np.ndarray:
        """One band's keys, of every item or of ``rows`` only."""
        keys = self._columns[band].read(0, len(self))
        return keys if rows is None else keys[rows]
