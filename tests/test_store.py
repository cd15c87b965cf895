"""Spilled storage gives back exactly what was stored."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from dedup import store
from dedup.engines.processes import ProcessEngine
from dedup.errors import OutputError
from dedup.store import BandFile, Chunk, Column, Folder, Spill, Wanted, _Chunks


def test_column_grows_and_keeps_rows() -> None:
    col = Column(np.float64, 3)
    rows = np.random.default_rng(0).random((5000, 3))
    for i in range(0, 5000, 700):
        col.extend(rows[i : i + 700])
    assert len(col) == 5000 and (col.array() == rows).all()


def test_spill_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    arrays = [rng.integers(0, 2**63, rng.integers(0, 50), dtype=np.uint64) for _ in range(300)]
    folder = Folder(tmp_path)
    spill = Spill(folder, "s", np.uint64)
    for i in range(0, 300, 37):  # batches of arrays, some empty
        batch = arrays[i : i + 37]
        spill.extend(np.concatenate(batch), np.array([len(a) for a in batch]))
    assert len(spill) == 300
    assert all((spill[i] == a).all() and len(spill[i]) == len(a) for i, a in enumerate(arrays))
    assert (spill.range(10, 20) == np.concatenate(arrays[10:20])).all()
    assert spill.lengths().tolist() == [len(a) for a in arrays]
    assert spill.lengths(10, 20).tolist() == [len(a) for a in arrays[10:20]]
    items = np.unique(rng.integers(0, 300, 120))  # runs of consecutive items, and gaps
    assert spill.sizes(items).tolist() == [len(arrays[i]) for i in items]
    assert np.array_equal(spill.gather(items), np.concatenate([arrays[i] for i in items]))
    assert len(spill.gather(items[:0])) == 0
    full = np.flatnonzero(spill.lengths())
    which = rng.choice(full, 200)  # in any order, some twice
    at = rng.integers(0, spill.sizes(which))
    assert spill.take(which, at).tolist() == [arrays[i][j] for i, j in zip(which, at, strict=True)]
    empty = Spill(folder, "e", np.uint64)  # arrays, all empty: no chunk at all
    empty.extend(np.empty(0, np.uint64), np.zeros(3, np.int64))
    assert len(empty.gather(np.arange(3))) == 0
    folder.close()


@pytest.mark.skipif(os.name == "nt", reason="Windows reads are never mapped (store._MAPS)")
def test_big_reads_are_mapped_where_one_stretch_of_a_file_holds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of a megabyte or more maps the file when its chunks follow one
    another in it, and reads them (pread) when they lie in two files; both
    give the values stored, and a write to a map (copy-on-write) stays
    out of the file."""
    rng = np.random.default_rng(7)
    parts = [rng.integers(0, 2**63, 100_000, dtype=np.uint64) for _ in range(4)]
    folder = Folder(tmp_path)
    one = Spill(folder, "one", np.uint64)
    for part in parts:
        one.extend(part, np.array([len(part)]))
    whole = np.concatenate(parts)
    got = one.range(0, 4)  # 3.2 MB in one file, four chunks one after another
    assert isinstance(got.base, np.memmap) and np.array_equal(got, whole)
    got[0] += 1
    assert one.range(0, 1)[0] == whole[0] and one[0][0] == whole[0]
    inside = one._items(150_000, 350_000)  # a stretch from inside chunks
    assert isinstance(inside.base, np.memmap) and np.array_equal(inside, whole[150_000:350_000])
    assert not isinstance(one[0].base, np.memmap)  # 800 KB: read
    two = Spill(folder, "two", np.uint64)
    for k, part in enumerate(parts):  # chunks alternate between two files
        two.add(folder.write("two" if k % 2 else "other", part), np.array([len(part)]))
    got = two.range(0, 4)
    assert not isinstance(got.base, np.memmap) and np.array_equal(got, whole)
    # Gathers read a stretch of a file at once (mapped where the items fill
    # half of it, else one by one): the same values.
    pieces = [part[i : i + 1000] for part in parts for i in range(0, 100_000, 1000)]
    mapped: list[object] = []  # the maps made
    spy = lambda self, *at, f=_Chunks._mapped: mapped.append(at) or f(self, *at)  # noqa: E731
    for alternate in (False, True):  # chunks in one file, or alternating between two
        many = Spill(folder, "many", np.uint64)
        for k in range(4):
            values = np.concatenate(pieces[100 * k : 100 * k + 100])
            chunk = folder.write(f"many-{alternate}-{k % 2 if alternate else 0}", values)
            many.add(chunk, np.full(100, 1000))
        sparse = np.unique(rng.integers(0, 400, 150))  # runs, gaps, and runs across files
        dense = np.setdiff1d(np.arange(20, 390), sparse[::3])
        for items, maps in ((sparse, False), (dense, not alternate)):
            mapped.clear()
            with monkeypatch.context() as patch:
                patch.setattr(_Chunks, "_mapped", spy)
                got = many.gather(items)
            assert np.array_equal(got, np.concatenate([pieces[i] for i in items]))
            assert bool(mapped) == maps  # a file's 3.2 MB, 37% or 90% of them asked; 800 KB


def test_spill_of_rows(tmp_path: Path) -> None:
    spans = np.arange(40, dtype=np.int32).reshape(20, 2)
    spill = Spill(Folder(tmp_path), "s", np.int32, 2)
    spill.extend(spans, np.array([5, 0, 15]))
    assert spill[0].shape == (5, 2) and (spill[2] == spans[5:]).all() and len(spill[1]) == 0
    assert spill.take(np.array([2, 0, 2]), np.array([3, 4, 0])).tolist() == [
        [16, 17], [8, 9], [10, 11]
    ]  # fmt: skip


def test_band_file_columns(tmp_path: Path) -> None:
    keys = np.random.default_rng(2).integers(0, 2**63, (100, 7), dtype=np.uint64)
    bands = BandFile(Folder(tmp_path), "b", 7)
    bands.extend(keys[:60])
    bands.extend(keys[60:])
    assert len(bands) == 100
    assert all((bands.column(b) == keys[:, b]).all() for b in range(7))
    rows = np.array([3, 50, 99])
    assert all((bands.column(b, rows) == keys[rows, b]).all() for b in range(7))


def test_full_disk_is_a_clear_error(tmp_path: Path) -> None:
    folder = Folder(tmp_path)
    os.symlink("/dev/full", tmp_path / f"s.{os.getpid()}")  # every write fails with ENOSPC
    with pytest.raises(OutputError, match=r"No space left.*--tmp-dir"):
        Spill(folder, "s", np.uint64).extend(np.arange(10, dtype=np.uint64), np.array([10]))


def _data() -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(3)
    arrays = [rng.integers(0, 2**63, rng.integers(0, 9), dtype=np.uint64) for _ in range(40)]
    return arrays, rng.integers(0, 2**63, (40, 3), dtype=np.uint64)


def _write(path: str, batch: range) -> tuple[Chunk, list[Chunk]]:
    """A worker's task: write a batch to its own files of the folder at ``path``."""
    arrays, keys = _data()
    folder = Folder(Path(path))
    values = np.concatenate([arrays[i] for i in batch])
    return Spill(folder, "s", np.uint64).write(values), BandFile(folder, "b", 3).write(
        keys[batch.start : batch.stop]
    )


def test_chunks_from_many_processes_read_as_one(tmp_path: Path) -> None:
    """Workers write their batches to files of their own; the parent reads the
    store back in the order it added the chunks, across files."""
    folder = Folder(tmp_path)
    spill, bands = Spill(folder, "s", np.uint64), BandFile(folder, "b", 3)
    arrays, keys = _data()
    batches = [range(i, i + 8) for i in range(0, 40, 8)]
    with ProcessEngine(2) as engine:  # tasks go round-robin: both workers write
        written = list(engine.map(partial(_write, str(tmp_path)), batches))
    assert len({chunk.path for _, (chunk, _) in written}) == 2  # two writers
    for batch, (chunk, band_chunks) in written:
        spill.add(chunk, np.array([len(arrays[i]) for i in batch]))
        bands.add(band_chunks)
    assert all((spill[i] == a).all() and len(spill[i]) == len(a) for i, a in enumerate(arrays))
    assert (spill.range(5, 33) == np.concatenate(arrays[5:33])).all()
    items = np.array([0, 1, 6, 7, 8, 9, 15, 16, 17, 30, 39])  # runs across the two files
    assert np.array_equal(spill.gather(items), np.concatenate([arrays[i] for i in items]))
    assert all((bands.column(b) == keys[:, b]).all() for b in range(3))
    folder.close()


def test_gathered_sets_answer_as_their_store_does(tmp_path: Path) -> None:
    """What a verification task reads travels as ``Gathered`` where workers
    do not see the store: sizes and gathers of any of its sets (in any order,
    repeated, empty ones too) equal the store's."""
    from dedup.finders import Gathered

    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 40, 300)
    values = rng.integers(0, 2**63, int(lengths.sum()), dtype=np.uint64)
    spill = Spill(Folder(tmp_path), "sets", np.uint64)
    spill.extend(values, lengths)
    items = np.unique(rng.integers(0, 300, 120))
    gathered = Gathered(spill, items)
    for asked in (items, items[::3], items[:0], np.repeat(items[5:9], 2)):
        assert np.array_equal(gathered.sizes(asked), spill.sizes(asked))
        expected = np.concatenate([values[:0], *(spill[int(i)] for i in asked)])
        assert np.array_equal(gathered.gather(asked), expected)


def test_chunks_other_machines_keep_are_fetched_from_them(tmp_path: Path) -> None:
    """Workers that share no disk with the parent keep their chunks (each in
    a folder of its own, ``owner`` stamped on them); the parent reads them
    through ``fetch``: one call a read, for every owner at once, giving what
    the files hold. A big stretch of another machine's file is fetched,
    never mapped. Without a ``fetch``, reading them is one clear error."""
    from dedup.engines.dask import _Keeper

    calls: list[set[str]] = []

    def fetch(wanted: Wanted) -> dict[str, np.ndarray]:
        calls.append(set(wanted))
        return {owner: _Keeper().read(*ranges) for owner, ranges in wanted.items()}

    rng = np.random.default_rng(5)
    arrays = [rng.integers(0, 2**63, rng.integers(0, 3000), dtype=np.uint64) for _ in range(400)]
    keys = rng.integers(0, 2**63, (400, 3), dtype=np.uint64)
    kept = {owner: Folder(tmp_path / owner) for owner in ("tcp://a:1", "tcp://b:2")}
    for folder in kept.values():
        folder.path.mkdir(parents=True)
    parent = Folder(tmp_path, fetch)
    spill, bands = Spill(parent, "s", np.uint64), BandFile(parent, "b", 3)
    for i in range(0, 400, 50):  # batches alternate between the two workers
        owner = list(kept)[i // 50 % 2]
        values = np.concatenate(arrays[i : i + 50])
        chunk = kept[owner].write("s", values)._replace(owner=owner)
        spill.add(chunk, np.array([len(a) for a in arrays[i : i + 50]]))
        band_chunks = [BandFile(kept[owner], "b", 3).write(keys[i : i + 50])]
        bands.add([c._replace(owner=owner) for c in band_chunks[0]])
    assert (spill.range(0, 400) == np.concatenate(arrays)).all()  # 4.8 MB: never mapped
    assert calls == [{"tcp://a:1", "tcp://b:2"}]
    assert all((spill[i] == a).all() for i, a in enumerate(arrays[:60]))
    for items in (np.unique(rng.integers(0, 400, 40)), np.arange(20, 390)):  # sparse, dense
        calls.clear()
        assert np.array_equal(spill.gather(items), np.concatenate([arrays[i] for i in items]))
        assert len(calls) == 1
    assert all((bands.column(b) == keys[:, b]).all() for b in range(3))
    assert not parent._readers  # no file of theirs opened here
    blind = Spill(Folder(tmp_path), "s", np.uint64)
    blind.add(spill.state()[0][0], np.ones(1, np.int64))
    with pytest.raises(OutputError, match="features are on other machines"):
        blind[0]


def test_items_are_taken_where_they_lie(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``BandFile.take`` reads a band's keys of some rows only: of this
    machine's chunks a stretch each, of other machines' the rows wanted,
    every owner's in one call, which the keeper reads a run of nearby
    items at a time (runs of items at most 64 bytes apart here: many, in
    this machine's chunks too)."""
    from dedup.engines.dask import _Keeper

    monkeypatch.setattr(store, "GAP", 64)
    asked: list[np.ndarray] = []

    def fetch(wanted: Wanted) -> dict[str, np.ndarray]:
        asked.extend(ranges for _, ranges in wanted.values())
        return {owner: _Keeper().read(*ranges) for owner, ranges in wanted.items()}

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**63, (3000, 2), dtype=np.uint64)
    kept = {owner: Folder(tmp_path / owner) for owner in ("", "tcp://a:1", "tcp://b:2")}
    for folder in kept.values():
        folder.path.mkdir(parents=True, exist_ok=True)
    parent = Folder(tmp_path, fetch)
    kept[""] = parent
    bands = BandFile(parent, "b", 2)
    written = {}  # batches: this machine's, then each worker's, written out of order
    for i in rng.permutation(np.arange(0, 3000, 250)).tolist():
        owner = list(kept)[i // 250 % 3]
        chunks = BandFile(kept[owner], "b", 2).write(keys[i : i + 250])
        written[i] = [c._replace(owner=owner) for c in chunks]
    for i in sorted(written):
        bands.add(written[i])
    for rows in (np.unique(rng.integers(0, 3000, 200)), np.arange(3000), np.arange(0)):
        asked.clear()
        for band in range(2):
            assert np.array_equal(bands.take(band, rows), keys[rows, band])
        assert len(asked) == (4 if len(rows) else 0)  # each owner's once a band
        assert sum(len(r) for r in asked) == 2 * np.isin(rows // 250 % 3, [1, 2]).sum()
