"""Every engine gives the reference (in-process) engine's answer."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, finders, pipeline, read_documents, scan
from dedup.cli import app
from dedup.engines import Engine, make_engine, run
from dedup.engines.processes import ProcessEngine
from dedup.errors import OutputError, WorkerError
from dedup.finders import ahead, documents, paragraphs, passages
from dedup.finders.documents import document_clusters, sketch_candidates
from dedup.finders.paragraphs import paragraph_edges, paragraph_spans
from dedup.finders.passages import _frequencies as frequencies
from dedup.index import Index
from dedup.models import DocTable
from tests.conftest import SEEDS, mapped_file, needs
from tests.test_index import build


def square_all(batch: list[int]) -> list[int]:
    return [x * x for x in batch]


def refuse(x: int) -> int:
    if x == 13:
        raise ValueError("thirteen")
    return x


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_pool_keeps_order_and_results(start: str) -> None:
    batches = [list(range(i, i + 7)) for i in range(0, 200, 7)]
    with ProcessEngine(2, start) as engine:
        assert list(engine.map(square_all, batches)) == list(Engine().map(square_all, batches))
        # the same workers serve the scan's every stage
        assert run(engine, square_all, [[1, 2]]) == [[1, 4]]


def test_a_task_error_reaches_the_caller_and_stops_the_pool() -> None:
    with pytest.raises(ValueError, match="thirteen"), ProcessEngine(2) as engine:
        run(engine, refuse, range(40))
    assert engine._procs == []  # stopped, none left behind


def die_at(x: int) -> int:
    """A task whose worker is killed at ``x == 13``, as the system's
    out-of-memory killer would kill it."""
    if x == 13:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_a_killed_worker_is_one_error_and_stops_the_pool() -> None:
    with (
        pytest.raises(WorkerError, match=r"^a worker process was killed \(SIGKILL, as the sys"),
        ProcessEngine(2) as engine,
    ):
        run(engine, die_at, range(40))
    assert engine._procs == []  # stopped, none left behind


@pytest.mark.timeout(120)
def test_a_task_that_cannot_be_sent_is_an_error_not_a_wait() -> None:
    with (
        pytest.raises(RuntimeError, match="a task could not be sent to a worker"),
        ProcessEngine(2) as engine,
    ):
        run(engine, lambda x: x, range(4))  # a lambda does not pickle


def test_one_worker_is_the_local_engine() -> None:
    assert make_engine(1).local and not make_engine(2).local


def test_two_workers_equal_one_on_seeds() -> None:
    """... and the report's rows are copies: the index's columns, sealed for
    the workers, are maps of files the scan removes (Windows would not, were
    they still mapped)."""
    docs = list(read_documents(SEEDS))
    two = scan(docs, workers=2)
    assert two == scan(docs)
    table = two.documents
    assert isinstance(table, DocTable) and len(table)
    assert not [a for a in table.columns(slice(None)) if mapped_file(a)]


def test_spawned_forked_and_local_engines_agree_on_news(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tasks find the index and the passages' state by their folder, so a
    worker that shares nothing with the parent (spawned) gives the answer
    too."""
    needs(SAUDINEWSNET)
    docs: list[Document] = list(saudinewsnet(2500))  # three batches of work
    one = scan(docs)
    assert one.spans and one.clusters and any(s.match == "passage" for s in one.spans)
    assert scan(docs, workers=2) == one
    assert scan(docs, engine=ProcessEngine(2, "spawn")) == one
    # two workers align passages while this process finds the paragraph
    # edges; three find the edges first (pipeline.py) ...
    assert scan(docs, workers=3) == one
    # ... and where the edges are many (any, here), the spans too, then
    # align; two do so where the edges are very many (any, here)
    monkeypatch.setattr(pipeline, "_MANY_EDGES", 0)
    assert scan(docs, workers=3) == one
    monkeypatch.setattr(pipeline, "_EARLY_EDGES", 0)
    assert scan(docs, workers=2) == one


def held_here(_: object) -> tuple[list[str], list[str]]:
    """In a worker: the scans' folders whose index or alignment state it holds."""
    from dedup.finders.passages import _STATES
    from dedup.index import _HELD

    return sorted(_HELD), sorted(_STATES)


def test_an_engine_held_open_serves_each_scan_with_its_own_workers() -> None:
    """A scan enters the engine it is given; one its caller entered already
    keeps its workers for every scan (a second pool, with a second thread
    sending to the same pipes, garbled the tasks of a 1M-document scan),
    and they let go of each scan's folder as it ends."""
    needs(SAUDINEWSNET)
    docs: list[Document] = list(saudinewsnet(2500))
    # A forked worker inherits what this process holds (an earlier test's
    # index, say): the scans' folders must add nothing to it.
    ours = held_here(None)
    with ProcessEngine(2) as engine:
        workers = [p.pid for p in engine._procs]
        assert scan(docs, engine=engine) == scan(docs)
        for theirs in run(engine, held_here, range(2)):
            assert all(set(t) <= set(o) for t, o in zip(theirs, ours, strict=True)), theirs
        assert scan(docs[:1200], engine=engine) == scan(docs[:1200])
        assert [p.pid for p in engine._procs] == workers
    assert engine._procs == []  # stopped as the caller's block ended


def disk_full(*args: object) -> None:
    """A stage of a scan that fails as a full disk makes it."""
    raise OutputError("no space left on the device")


def test_a_held_engine_starts_anew_after_a_scan_that_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scan that failed with answers still due from the workers stops the
    pool (the next scan would take them for its own); the next starts one."""
    needs(SAUDINEWSNET)
    docs: list[Document] = list(saudinewsnet(3000))

    with ProcessEngine(2) as engine:
        with monkeypatch.context() as m:
            m.setattr(Index, "append", disk_full)  # the first batch back: two more due
            with pytest.raises(OutputError):
                scan(docs, engine=engine)
        assert engine._procs == []
        assert scan(docs[:1200], engine=engine) == scan(docs[:1200])
        assert len(engine._procs) == 2


def slow_state(*args: Any) -> Any:
    """passages._frequencies (the alignment's first task), ten minutes late:
    still running when the scan fails, however loaded the machine. A pool
    that stops as it should is killed at once; waiting for its answer would
    outlast the test's timeout."""
    time.sleep(600)
    return frequencies(*args)


@pytest.mark.timeout(120)
def test_a_held_engine_is_not_taken_over_by_a_stage_left_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers align passages while this process finds the paragraph
    spans (pipeline.py): when the spans fail, the alignment is left running,
    its answers due. The pool stops without waiting for them (letting go of
    the folder would), and the next scan starts a new one."""
    needs(SAUDINEWSNET)
    docs: list[Document] = list(saudinewsnet(2500))
    one = scan(docs[:1200])

    monkeypatch.setattr(passages, "_frequencies", slow_state)  # before the workers fork
    with ProcessEngine(2, "fork") as engine:
        with monkeypatch.context() as m:
            m.setattr(pipeline, "paragraph_spans", disk_full)
            with pytest.raises(OutputError):
                scan(docs, engine=engine)
        assert engine._procs == []
        monkeypatch.undo()
        assert scan(docs[:1200], engine=engine) == one


def test_cli_workers_option(tmp_path: Path) -> None:
    runner = CliRunner()
    for n in ("1", "2"):
        args = ["scan", str(SEEDS), "--json", str(tmp_path / f"{n}.json"), "-q", "--workers", n]
        assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()


def test_workers_of_a_killed_parent_exit() -> None:
    """A parent killed outright (its workers untouched) leaves no worker
    waiting for work: each sees its pipe close, as no other process holds
    the parent's end."""
    code = (
        "import os, sys, time\n"
        "from dedup.engines.processes import ProcessEngine\n"
        "with ProcessEngine(2, 'fork') as e:\n"
        "    print(' '.join(str(p.pid) for p in e._procs), flush=True)\n"
        "    time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    parent.stdout.close()
    parent.kill()  # the parent only: no cleanup of its own runs
    parent.wait()
    for _ in range(1200):  # a minute at most; a worker that waits forever fails
        alive = []
        for pid in workers:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split()[2]
            except OSError:
                continue
            if state != "Z":  # a zombie has exited; init reaps it
                alive.append(pid)
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError(f"workers {alive} still waiting a minute after their parent died")


def test_reading_ahead_keeps_order_errors_and_stops() -> None:
    """finders.ahead (candidate windows gathered while workers verify): the
    same items in order, a producer's error raised in the caller, and a
    caller that stops early leaves no thread behind."""
    assert list(ahead(iter(range(50)))) == list(range(50))

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("bad band")

    got = []
    with pytest.raises(ValueError, match="bad band"):
        for item in ahead(broken()):
            got.append(item)
    assert got == [1]
    before = threading.active_count()
    endless = ahead(itertools.count())
    assert [next(endless) for _ in range(3)] == [0, 1, 2]
    endless.close()  # the caller stops: the producer thread ends
    assert threading.active_count() == before


def test_paragraph_spans_by_tasks_a_block_each_equal_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paragraph_spans: tasks find the spans of a block of documents each,
    reading the paragraph tables mapped from the sealed index (spawned
    workers hold no index of their own) and the looks saved beside it;
    blocks of any size, on any engine, give the spans of one pass."""
    needs(SAUDINEWSNET)
    docs = list(saudinewsnet(2500))
    cfg = Config()
    index = build(tmp_path, docs, cfg)
    edges = paragraph_edges(index, cfg, Engine())
    spans, boilerplate, shared = paragraph_spans(index, edges, cfg)
    assert {"within", "formula", "across", "boilerplate"} <= {s.kind for s in spans}
    monkeypatch.setattr(paragraphs, "_DOCS", 300)
    with ProcessEngine(2, "spawn") as engine:
        theirs = paragraph_spans(index, edges, cfg, engine)
    assert theirs[0] == spans and theirs[1] == boilerplate and np.array_equal(theirs[2], shared)
    assert (tmp_path / "looks.boiler.npy").exists()  # the tasks read them there
    index.close()


class _Elsewhere(Engine):
    """Runs tasks here as other processes' workers would: they open the
    index's folder (``shares_disk``), or are sent what they read."""

    local = False

    def __init__(self, shares_disk: bool) -> None:
        self.shares_disk = shares_disk


def test_bands_in_parts_give_the_pairs_of_whole_bands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A band of more keys than a task may hold (BAND_BYTES) is bucketed
    by tasks a part of its keys each (by key, so a bucket is a part's):
    read from the index's folder a stretch at a time, or sent. The
    paragraph edges, and the document clusters and pairs, are those of
    whole bands, on every engine."""
    needs(SAUDINEWSNET)
    docs = list(saudinewsnet(2500))
    cfg = Config()
    index = build(tmp_path, docs, cfg)
    whole = paragraph_edges(index, cfg, Engine())
    assert len(whole) > 100
    lsh = len(paragraphs.lsh_paragraphs(index))
    monkeypatch.setattr(finders, "BAND_BYTES", lsh * 8 // 3)  # 4 parts a band
    monkeypatch.setattr(finders, "STRETCH", lsh // 7)  # 8 stretches a band
    monkeypatch.setattr(paragraphs, "_SENT_BANDS", 0)
    parts: list[tuple[int, int]] = []  # (part, parts) of each stretch split
    kept = 0  # keys kept in the parts
    split = finders.key_part

    def spied(keys: np.ndarray, part: int, of: int) -> np.ndarray:
        nonlocal kept
        mine = split(keys, part, of)
        parts.append((part, of))
        kept += len(mine)
        return mine

    monkeypatch.setattr(finders, "key_part", spied)
    monkeypatch.setattr(paragraphs, "key_part", spied)
    bands = index.para_bands.bands
    for shares_disk, calls in ((True, bands * 4 * 8), (False, bands * 4)):
        parts.clear()
        kept = 0
        assert paragraph_edges(index, cfg, _Elsewhere(shares_disk)) == whole
        assert len(parts) == calls and set(parts) == {(p, 4) for p in range(4)}
        assert kept == bands * lsh  # each key in one part
    with ProcessEngine(2) as engine:  # forked: the parts and stretches above
        assert paragraph_edges(index, cfg, engine) == whole

    shared = paragraph_spans(index, whole, cfg)[2]
    sketched = sketch_candidates(index, cfg, Engine())
    monkeypatch.setattr(finders, "BAND_BYTES", 1 << 30)
    found = document_clusters(index, shared, sketched, cfg, Engine())
    assert len(found[0]) > 20 and len(found[1]) > 5  # clusters, and other pairs
    live = int(np.count_nonzero(index.doc_sets.lengths()))
    monkeypatch.setattr(finders, "BAND_BYTES", live * 8 // 3)
    monkeypatch.setattr(finders, "STRETCH", live // 7)
    parts.clear()
    kept = 0
    assert document_clusters(index, shared, sketched, cfg, _Elsewhere(True)) == found
    bands = index.doc_bands.bands
    assert len(parts) == bands * 4 * 8 and kept == bands * live
    assert document_clusters(index, shared, sketched, cfg, _Elsewhere(False)) == found
    with ProcessEngine(2) as engine:
        assert document_clusters(index, shared, sketched, cfg, engine) == found
    index.close()


def test_an_alignment_beside_this_process_has_its_state_made_by_a_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Aligning beside this process's own stages, workers that see its
    folder make the passages' state in a task (this process's interpreter
    stays its stages'): this process makes none of it, and the passages
    are those aligned here."""
    needs(SAUDINEWSNET)
    cfg = Config()
    index = build(tmp_path, list(saudinewsnet(2000)), cfg)
    here = passages.aligned_passages(index, cfg, Engine())
    assert len(here) > 100

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the passages' state made in this process")

    with ProcessEngine(2) as engine:  # forked before: theirs is the real one
        monkeypatch.setattr(passages, "_state", not_here)
        assert passages.aligned_passages(index, cfg, engine, beside=True) == here
        with pytest.raises(AssertionError, match="made in this process"):
            passages.aligned_passages(index, cfg, engine)
    index.close()


def test_containment_candidates_by_tasks_a_block_each_equal_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sketch_candidates: each task counts the holders of every sketch hash
    in its block of documents, and the counts are summed, then each makes
    the pairs of a range of documents, mapping the holders saved beside the
    index; blocks of any size, on any engine, give the candidates of one
    block of them all."""
    needs(SAUDINEWSNET)
    docs = list(saudinewsnet(2500))
    cfg = Config()
    index = build(tmp_path, docs, cfg)
    whole = sketch_candidates(index, cfg, Engine(), block=len(docs))
    assert len(whole) > 100
    monkeypatch.setattr(documents, "_OWNERS", 300)
    assert np.array_equal(sketch_candidates(index, cfg, Engine(), block=300), whole)
    with ProcessEngine(2, "spawn") as engine:
        assert np.array_equal(sketch_candidates(index, cfg, engine, block=300), whole)
    assert (tmp_path / "holders.sketch.npy").exists()  # the tasks read them there
    index.close()


def test_cgroup_quota_is_read_as_dask_reads_it(tmp_path: Path) -> None:
    """``cores.quota`` of cgroup files as Linux writes them (v2's ``cpu.max``
    in the process's group, v1's ``cpu.cfs_*_us``), rounded up as Dask's."""
    from dedup.cores import quota

    own = tmp_path / "cgroup"
    own.write_text("0::/job.slice/run\n", encoding="utf-8")
    group = tmp_path / "job.slice" / "run"
    group.mkdir(parents=True)
    for written, paid in (("150000 100000", 2), ("100000 100000", 1), ("max 100000", None)):
        (group / "cpu.max").write_text(written + "\n", encoding="utf-8")
        assert quota(str(tmp_path), str(own)) == paid
    (group / "cpu.max").unlink()
    (tmp_path / "cpu,cpuacct").mkdir()
    (tmp_path / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n", encoding="utf-8")
    for written, paid in (("250000", 3), ("-1", None)):
        (tmp_path / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text(written, encoding="utf-8")
        assert quota(str(tmp_path), str(own)) == paid
    assert quota(str(tmp_path / "none"), str(tmp_path / "none")) is None


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_defaults_count_the_cores_the_process_may_use() -> None:
    """A process allowed one core (``taskset -c 0``, a Slurm job's share)
    starts one worker by default and compresses on one thread, whatever
    the machine has."""
    code = (
        "import io, os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from dedup.cli import _default_workers; from dedup.formats.compress import BlockWriter; "
        "print(_default_workers(None), BlockWriter(io.BytesIO(), '.gz')._threads)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "1"]
