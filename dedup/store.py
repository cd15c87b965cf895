"""Compact storage for what a scan keeps: memory that grows with the number of
documents and paragraphs (a few numbers each), never with their text.

- ``Column``: a growable numpy array in memory (one row per document or paragraph).
- ``Spill``: variable-length arrays (shingle sets, token hashes) appended to a
  file and read back by index with ``pread``. Reads go through the page cache,
  not a memory map, so they never count towards the process's resident memory.
- ``BandFile``: LSH band keys, one file per band, so that bucketing reads one
  band's column at a time.
"""

from __future__ import annotations

import os
from pathlib import Path

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


class _File:
    """An append-only file of raw values, read back by position with ``pread``."""

    def __init__(self, path: Path, dtype: np.dtype) -> None:
        self.path = path
        self.dtype = dtype
        self.size = 0  # in values
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def append(self, values: np.ndarray) -> None:
        view = np.ascontiguousarray(values, dtype=self.dtype).reshape(-1).data.cast("B")
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as e:  # a full disk, most likely
            raise OutputError(
                f"{self.path.parent}: cannot write the scan's temporary files ({e.strerror}); "
                "--tmp-dir puts them elsewhere"
            ) from None
        self.size += values.size

    def read(self, lo: int, hi: int) -> np.ndarray:
        out = np.empty(hi - lo, dtype=self.dtype)
        view, pos = out.data.cast("B"), lo * self.dtype.itemsize
        while view:  # one read returns at most 2 GiB
            n = os.preadv(self._fd, [view], pos)
            if n <= 0:
                raise OSError(f"spill file ends before value {hi}")
            view, pos = view[n:], pos + n
        return out

    def close(self) -> None:
        os.close(self._fd)


class Spill:
    """Arrays of one dtype (items of ``width`` values each, ``width`` 0 for flat),
    appended in batches to a file and read back one by one."""

    def __init__(self, path: Path, dtype: type | np.dtype, width: int = 0) -> None:
        self.width = width
        self._file = _File(path, np.dtype(dtype))
        self._bounds = Column(np.int64)  # end of each array, in items
        self._bounds.extend(np.zeros(1, np.int64))

    def extend(self, values: np.ndarray, lengths: np.ndarray) -> None:
        """Append ``len(lengths)`` arrays, given concatenated, ``lengths`` items each."""
        self._file.append(values)
        end = self._bounds.array()[-1]
        self._bounds.extend(end + np.cumsum(lengths, dtype=np.int64))

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
        return self._read(int(b[first]), int(b[last]))

    def _read(self, lo: int, hi: int) -> np.ndarray:
        w = max(self.width, 1)
        out = self._file.read(lo * w, hi * w)
        return out.reshape(-1, self.width) if self.width else out

    def close(self) -> None:
        self._file.close()


class BandFile:
    """LSH band keys of many items, one file per band, so that bucketing reads
    one band of every item at a time."""

    def __init__(self, folder: Path, name: str, bands: int) -> None:
        self._columns = [_File(folder / f"{name}.{b}", np.dtype(np.uint64)) for b in range(bands)]

    def extend(self, keys: np.ndarray) -> None:
        """Append ``(n, bands)`` keys."""
        for b, column in enumerate(self._columns):
            column.append(keys[:, b])

    def __len__(self) -> int:
        return self._columns[0].size

    @property
    def bands(self) -> int:
        return len(self._columns)

    def column(self, band: int, rows: np.ndarray | None = None) -> np.ndarray:
        """One band's keys, of every item or of ``rows`` only."""
        keys = self._columns[band].read(0, len(self))
        return keys if rows is None else keys[rows]

    def close(self) -> None:
        for column in self._columns:
            column.close()
