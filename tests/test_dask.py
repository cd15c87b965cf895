"""The Dask engine gives the local engine's answer: on a LocalCluster, and on
a real scheduler with two worker processes of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Document, finders, heap, pipeline, read_documents, scan, store
from dedup.archive import describe
from dedup.cli import app
from dedup.engines import Engine, run
from dedup.engines.dask import DaskEngine
from dedup.errors import WorkerError
from dedup.finders import paragraphs, passages
from tests.conftest import ROOT, SEEDS, needs
from tests.test_engines import die_at, refuse, square_all

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as c,
        distributed.Client(c) as client,
    ):
        yield client


def test_tasks_keep_their_order_and_errors_reach_the_caller(client: distributed.Client) -> None:
    batches = [list(range(i, i + 7)) for i in range(0, 200, 7)]
    with DaskEngine(client) as engine:
        assert list(engine.map(square_all, batches)) == list(Engine().map(square_all, batches))
        with pytest.raises(ValueError, match="thirteen"):
            run(engine, refuse, range(40))
    assert client.status == "running"  # a client given is the caller's: left open


def test_workers_that_die_running_a_task_are_one_error() -> None:
    """A task that kills whichever worker runs it (as the system does to
    free memory): the scheduler gives it to another worker as many times as
    it allows (once here), then the scan has one error."""
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as c,
        DaskEngine(client=distributed.Client(c)) as engine,
        pytest.raises(WorkerError, match=r"^Dask workers died running a task"),
    ):
        run(engine, die_at, range(40))


def test_features_kept_by_a_worker_that_is_gone_are_one_error(
    client: distributed.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client reads what a worker keeps from that worker only: one that
    left the cluster (its address is no worker's now) stops the scan with
    one error, after the time allowed to reach it."""
    from dedup.engines import dask

    monkeypatch.setattr(dask, "_CONNECT", 1)
    gone = "tcp://127.0.0.1:9"
    assert gone not in client.scheduler_info()["workers"]
    with (
        DaskEngine(client) as engine,
        pytest.raises(WorkerError, match=f"^the Dask worker {gone}, which keeps features"),
    ):
        engine.fetch({gone: (["/nowhere"], np.array([[0, 0, 8]]))})
    # Once the workers have a copy of the scan's folder, its tasks are bound
    # to them: one bound to a worker that left would wait forever. One error.
    with (
        DaskEngine(client) as engine,
        pytest.raises(WorkerError, match=f"^the Dask worker {gone}, which keeps .* left the"),
    ):
        engine._copied, engine._owners = [gone], {gone}
        run(engine, square_all, [[3]])


def _heap_bounds() -> tuple[str | None, str | None]:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("MALLOC_MMAP_THRESHOLD_")


_OWN_WORKERS = """
from dedup.engines.dask import DaskEngine
from tests.test_dask import _heap_bounds

with DaskEngine(workers=1) as engine:
    print(*set(engine._client.run(_heap_bounds).values()))
"""


def test_the_scans_own_workers_keep_the_memory_a_batch_freed(client: distributed.Client) -> None:
    """A LocalCluster started for the scan (in a process of its own, as the
    command's) gives its workers the command's malloc bounds
    (cli.own_process), not Dask's trim at 64 KB, under which each batch's
    arrays were faulted in anew (SaudiNewsNet on 2 workers, in turns: 0.885
    of the time). A cluster of the caller's keeps Dask's."""
    env = {k: v for k, v in os.environ.items() if "MALLOC_" not in k}
    done = subprocess.run(
        [sys.executable, "-c", _OWN_WORKERS], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == str((str(64 << 20), str(32 << 20)))
    assert set(client.run(_heap_bounds).values()) == {("65536", None)}


def _mapped_apart(size: int) -> int:
    """How many blocks glibc maps apart for a new array of ``size`` bytes."""
    before = heap._libc.mallinfo2().hblks  # type: ignore[union-attr]
    block = np.ones(size, np.uint8)
    mapped: int = heap._libc.mallinfo2().hblks - before  # type: ignore[union-attr]
    del block
    return mapped


def test_a_callers_workers_map_apart_only_big_blocks_until_the_scan_ends(
    tmp_path: Path,
) -> None:
    """Dask's nanny trims its workers' heap at 64 KB, which leaves glibc's
    mmap threshold at 128 KB: a batch's arrays were mapped and faulted in
    anew (100,000 synthetic documents on 2 such workers: features 6.5-7.1 s
    of each worker's time, 4.5 s bounded). The scan's tasks bound it
    (heap.bound_mapping); its end gives the caller's cluster back as it was."""
    if not hasattr(heap._libc, "mallinfo2"):
        pytest.skip("glibc's mallinfo2 (glibc 2.33 on) tells which blocks are mapped apart")
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as c,
        distributed.Client(c) as client,
    ):
        assert list(client.run(_mapped_apart, 1 << 20).values()) == [1]
        with DaskEngine(client) as engine:
            assert run(engine, _mapped_apart, [1 << 20, 1 << 20]) == [0, 0]
            engine.forget(tmp_path)
        assert list(client.run(_mapped_apart, 1 << 20).values()) == [1]


def test_a_cluster_of_its_own_held_open_serves_each_scan() -> None:
    docs = list(read_documents(SEEDS))
    said: list[str] = []
    with DaskEngine(workers=1, started=said.append) as engine:
        client = engine.client
        assert scan(docs, engine=engine) == scan(docs)
        assert engine.client is client and client is not None and client.status == "running"
        assert scan(docs[:3], engine=engine) == scan(docs[:3])
    assert len(said) == 1 and engine.client is None and client.status == "closed"


def test_a_client_is_an_engine_and_gives_the_local_answer(
    client: distributed.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = list(read_documents(SEEDS))
    assert scan(docs, engine=client) == scan(docs)
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(2000))
    one = scan(news)
    assert one.spans and one.clusters and any(s.match == "passage" for s in one.spans)
    from distributed.protocol.serialize import Serialize, serialize

    # Every task's answer goes as a few arrays: Dask sends a list's objects
    # one by one (the passages of a block of 1024 documents took 1,337 frames).
    frames: list[int] = []
    result = DaskEngine._result

    def framed(engine: DaskEngine, future: Any) -> Any:
        answer = result(engine, future)
        frames.append(len(serialize(Serialize(answer))[1]))
        return answer

    with monkeypatch.context() as patched:
        patched.setattr(DaskEngine, "_result", framed)
        assert scan(news, engine=client) == one
    assert len(frames) > 30 and max(frames) <= 32
    # Told that they see the scan's folder (they do), the workers open its
    # index and the passage alignment's state there. They let go of both
    # when the scan is done: maps of files the scan removes.
    assert scan(news, engine=DaskEngine(client, shared_disk=True)) == one
    # Where the paragraph edges are many (any, here), workers that see the
    # folder find the spans too; others align beside this process's spans.
    monkeypatch.setattr(pipeline, "_MANY_EDGES", 0)
    assert scan(news, engine=DaskEngine(client, shared_disk=True)) == one
    assert scan(news, engine=client) == one
    held = client.run(lambda: len(__import__("dedup.index").index._HELD))
    assert set(held.values()) == {0}
    states = client.run(lambda: len(__import__("dedup.finders.passages").finders.passages._STATES))
    assert set(states.values()) == {0}


def test_data_goes_to_the_workers_directly(
    client: distributed.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a task reads (scattered), what it answers (gathered) and what
    this process reads of the features a worker keeps (its actor's answers)
    go between this process and the workers, not through the scheduler (a
    machine of its own on a cluster; Dask's default sends them through it).
    A client that cannot reach the workers says so (``direct_to_workers=False``),
    and its data goes through the scheduler, with the same answer."""
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(500))
    one = scan(news)
    scheduler = client.cluster.scheduler
    through: list[str] = []
    for op in ("scatter", "gather", "proxy"):  # proxy: to a worker's actor (DaskEngine.fetch)
        handler = scheduler.handlers[op]

        def counted(*args: object, op: str = op, handler: Any = handler, **kwargs: object) -> Any:
            through.append(op)
            return handler(*args, **kwargs)

        monkeypatch.setitem(scheduler.handlers, op, counted)
    assert scan(news, engine=client) == one
    assert through == []
    with distributed.Client(client.cluster, direct_to_workers=False) as indirect:
        assert scan(news, engine=indirect) == one
    assert {"scatter", "gather", "proxy"} <= set(through)


def _refuse_opening(folder: str) -> None:
    """On a worker: opening any file under ``folder`` fails (an audit hook,
    which sees every ``open``, ``os.open`` and ``np.load`` of the process)."""

    def hook(event: str, args: tuple[object, ...]) -> None:
        path = args[0] if event == "open" else None
        if isinstance(path, str | bytes | os.PathLike) and os.fsdecode(path).startswith(folder):
            raise RuntimeError(f"a task opened {os.fsdecode(path)}")

    sys.addaudithook(hook)


def _refuse_opening_on(client: distributed.Client, folder: Path) -> None:
    """``_refuse_opening`` on every worker of ``client``, sent by value: a
    worker started elsewhere cannot import this test module."""
    import cloudpickle

    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    try:
        client.run(_refuse_opening, str(folder))
    finally:
        cloudpickle.unregister_pickle_by_value(module)


@contextmanager
def _refusing(folder: Path) -> Iterator[tuple[distributed.LocalCluster, distributed.Client]]:
    """A LocalCluster of two workers, each refusing to open a file in ``folder``."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as c,
        distributed.Client(c) as client,
    ):
        _refuse_opening_on(client, folder)
        yield c, client


def test_no_task_reads_the_clients_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers on other machines do not see the scan's folder: given a
    cluster it did not start, the engine sends each task what it reads.
    Here every worker refuses to open a file in the client's folder; the
    scan gives the local answer all the same, and the engine told that the
    workers see the folder fails, as a check that the refusal bites.

    The client writes no feature: each worker keeps those it computed, in
    a folder of its own, removed as the scan ends. The client seals the
    index and publishes it, and each stage's saved state, to every worker:
    the stages' tasks open a copy of it there."""
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(2000))
    one = scan(news)
    assert one.spans and one.clusters and any(s.match == "passage" for s in one.spans)
    folder = tmp_path / "client"
    folder.mkdir()
    written: list[str] = []
    write = store.Folder.write
    monkeypatch.setattr(store.Folder, "write", lambda f, *a: written.append(a[0]) or write(f, *a))
    fetched: list[int] = []
    fetch = DaskEngine.fetch
    monkeypatch.setattr(DaskEngine, "fetch", lambda e, w: fetched.append(len(w)) or fetch(e, w))
    published: set[str] = set()
    publish = DaskEngine.publish

    def published_too(e: DaskEngine, folder: Path, paths: list[Path], *owners: Any) -> None:
        published.update(p.name.split(".")[0] for p in paths)
        publish(e, folder, paths, *owners)

    monkeypatch.setattr(DaskEngine, "publish", published_too)
    with _refusing(folder) as (_, client):
        assert scan(news, engine=client, tmp_dir=folder) == one
        assert not written and 2 in fetched  # read from both workers at once
        stages = {"manifest", "lsh", "passages", "affixes", "edit_grams", "sketch", "holders"}
        assert stages <= published
        kept = client.run(lambda dask_worker: [*Path(dask_worker.local_directory).glob("dedup-*")])
        assert list(kept.values()) == [[], []]
        # Where the paragraph edges are many (any, here), the paragraph
        # spans are tasks too. (And the passages' state is counted by 4
        # tasks, and each paragraph band by 3, 10,517 keys read from both workers.)
        monkeypatch.setattr(pipeline, "_MANY_EDGES", 0)
        monkeypatch.setattr(passages, "_STATE_BLOCK", 500)
        monkeypatch.setattr(finders, "BAND_BYTES", 8 * 4000)
        assert scan(news, engine=client, tmp_dir=folder) == one
        assert "looks" in published
        with pytest.raises(RuntimeError, match="a task opened"):
            scan(news, engine=DaskEngine(client, shared_disk=True), tmp_dir=folder)


def test_the_client_reads_no_tokens_to_weigh_passages_or_frame_copies(
    client: distributed.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the workers keep the features, tasks read the tokens that
    weighing the passages (add_passages) and the copies' template frames
    (templates) need, where they are kept: the client reads none for them
    (the formulas among the passages aside: their few documents' tokens).
    Run here, both read them, as a check that the count bites."""
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(2000))
    stage: list[str] = []  # the stage this (the main) thread is in
    read: list[tuple[str, str]] = []  # (store, stage) of each read here

    def within(name: str, function: Any) -> Any:
        def staged(*args: Any, **kwargs: Any) -> Any:
            stage.append(name)
            try:
                return function(*args, **kwargs)
            finally:
                stage.pop()

        return staged

    gather = store.Spill.gather

    def counted(spill: store.Spill, items: np.ndarray) -> np.ndarray:
        if stage and threading.current_thread() is threading.main_thread():
            read.append((spill._values.name, stage[-1]))
        return gather(spill, items)

    monkeypatch.setattr(store.Spill, "gather", counted)
    monkeypatch.setattr(pipeline, "add_passages", within("weighing", pipeline.add_passages))
    monkeypatch.setattr(pipeline, "templates", within("framing", pipeline.templates))
    monkeypatch.setattr(pipeline, "formulas", within("formulas", pipeline.formulas))
    tokens = {"tokens", "token_spans"}
    one = scan(news)
    assert {where for name, where in read if name in tokens} >= {"weighing", "framing"}
    read.clear()
    assert scan(news, engine=client) == one
    assert {where for name, where in read if name in tokens} <= {"formulas"}


def test_the_client_reads_no_document_signature_or_band_key(
    client: distributed.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the workers open the index, tasks bucket the documents' bands
    and read the verified pairs' signatures for their MinHash estimates:
    the client (this process; the cluster's workers are processes of their
    own) reads neither, in any thread. Scanned here, it reads both, as a
    check that the count bites."""
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(1000))
    read: set[str] = set()  # the stores read here

    def counted(method: Any) -> Any:
        def reads(chunks: Any, *args: Any) -> Any:
            read.add(chunks.name)
            return method(chunks, *args)

        return reads

    for name in ("read", "gather", "take"):
        monkeypatch.setattr(store._Chunks, name, counted(getattr(store._Chunks, name)))
    one = scan(news)
    assert {"doc_sigs", "doc_bands"} <= read and one.related
    read.clear()
    assert scan(news, engine=client) == one
    assert read and not read & {"doc_sigs", "doc_bands"}


def test_a_worker_that_joins_after_the_index_was_sent_runs_none_of_its_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adaptive cluster grows as it likes: a worker that joins once the
    workers have their copy of the scan's folder has none, so the scan's
    tasks go to the others. Here it joins as the index is first sent, and
    refuses to open the client's folder (a task there would fail)."""
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(800))
    one = scan(news)
    folder = tmp_path / "client"
    folder.mkdir()
    publish = DaskEngine.publish
    joined: list[str] = []

    def joins(e: DaskEngine, at: Path, paths: list[Path], *owners: Any) -> None:
        publish(e, at, paths, *owners)
        if not joined:
            before = set(client.scheduler_info()["workers"])
            c.scale(3)
            client.wait_for_workers(3)
            joined.extend(set(client.scheduler_info()["workers"]) - before)
            _refuse_opening_on(client, folder)

    monkeypatch.setattr(DaskEngine, "publish", joins)
    with _refusing(folder) as (c, client):
        assert scan(news, engine=client, tmp_dir=folder) == one
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count, workers=joined)
        assert list(ran.values()) == [0]


def test_an_index_grows_on_workers_that_share_nothing(
    client: distributed.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches added to a persistent index by a cluster whose workers keep
    the features: each batch's result, and the index, are the local
    engine's (the client reads the batch's features from the workers to
    add them to the index). The index's own are on the client's disk: the
    stages are the client's, each task sent what it reads (here, where the
    paragraphs in LSH are many, any: the workers bucket the bands, sent
    their keys, a part of a band's each where a band is more than a task
    may hold, here more than 1,000 keys)."""
    needs(SAUDINEWSNET)
    news: list[Document] = list(saudinewsnet(400))
    here, there = tmp_path / "here.db", tmp_path / "there.db"
    monkeypatch.setattr(paragraphs, "_SENT_BANDS", 0)
    monkeypatch.setattr(finders, "BAND_BYTES", 8 * 1000)
    for lo in range(0, len(news), 200):
        batch = news[lo : lo + 200]
        got = scan(batch, engine=client, index=there, batch_name=f"day {lo}")
        local = scan(batch, index=here, batch_name=f"day {lo}")
        assert (got.config["index"].pop("path"), local.config["index"].pop("path")) == (
            str(there),
            str(here),
        )
        assert got == local and got.config["index"]["documents_before"] == lo
    assert got.spans and any(s.duplicate_of.doc not in {d.id for d in batch} for s in got.spans)
    assert describe(there)["documents"] == describe(here)["documents"] == len(news)


def test_cli_engine_dask_writes_the_same_report(tmp_path: Path) -> None:
    runner = CliRunner()
    local, dask = tmp_path / "local.json", tmp_path / "dask.json"
    assert runner.invoke(app, ["scan", str(SEEDS), "--json", str(local), "-q"]).exit_code == 0
    args = ["scan", str(SEEDS), "--json", str(dask), "--engine", "dask", "--workers", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "dask dashboard: http://" in result.stderr
    assert dask.read_bytes() == local.read_bytes()
    wrong = runner.invoke(app, ["scan", str(SEEDS), "--engine", "spark", "-q"])
    assert wrong.exit_code == 1 and "--engine must be local | dask" in wrong.stderr
    # clean too, its workers sharing nothing with it
    outs = [tmp_path / "local-clean", tmp_path / "dask-clean"]
    for out, extra in zip(outs, [[], ["--engine", "dask", "--no-shared-tmp-dir"]], strict=True):
        done = runner.invoke(app, ["clean", str(SEEDS), "--out", str(out), "-q", *extra])
        assert done.exit_code == 0, done.output
    assert [p.read_bytes() for p in sorted(outs[1].iterdir())] == [
        p.read_bytes() for p in sorted(outs[0].iterdir())
    ]
    assert (
        Path(f"{outs[1]}.removals.jsonl").read_bytes()
        == Path(f"{outs[0]}.removals.jsonl").read_bytes()
    )
    # a bad line read by a worker: one line naming the file and the line, in
    # a process of its own (its workers' logs, not the runner's, reach its stderr)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\n{"text": broken}\n', encoding="utf-8")
    command = [sys.executable, "-m", "dedup", "scan", str(bad), "-q", "--engine", "dask"]
    failed = subprocess.run([*command, "--workers", "1"], capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stderr.strip() == f"error: {bad}:2: not valid JSON (Expecting value)"


def _scheduler_address(address_file: Path, scheduler: subprocess.Popen) -> str:
    """The address the scheduler writes to its file. The file appears empty
    before it is written, so wait for it to parse, not only to exist."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert scheduler.poll() is None, f"dask scheduler exited ({scheduler.returncode})"
        try:
            return json.loads(address_file.read_text())["address"]
        except (FileNotFoundError, ValueError, KeyError):
            time.sleep(0.2)
    raise AssertionError(f"dask scheduler wrote no address to {address_file} in 60 s")


def test_a_scheduler_and_two_workers_of_their_own(tmp_path: Path) -> None:
    """``dask scheduler`` and two ``dask worker`` processes, each with its own
    local directory, started here; the CLI reaches them by --scheduler and
    by DASK_SCHEDULER_ADDRESS. The workers refuse to open the CLI's
    temporary files: they share no disk with it."""
    needs(SAUDINEWSNET)
    address_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    started = [
        subprocess.Popen(
            [*dask, "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
             "--scheduler-file", str(address_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    try:
        address = _scheduler_address(address_file, started[0])
        for n in (1, 2):  # each in a folder of its own, its working folder too
            (own := tmp_path / f"worker{n}").mkdir()
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "distributed.cli.dask_worker", address,
                     "--nthreads", "1", "--local-directory", str(own)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=own,
                )
            )  # fmt: skip
        client_tmp = tmp_path / "client-tmp"
        client_tmp.mkdir()
        with distributed.Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=60)
            _refuse_opening_on(c, client_tmp)
        corpus = tmp_path / "news.jsonl"
        with corpus.open("w", encoding="utf-8") as fh:
            for doc in saudinewsnet(2000):
                fh.write(json.dumps({"id": doc.id, "text": doc.text}, ensure_ascii=False) + "\n")
        local, on_cluster, by_env = (tmp_path / f"{n}.json" for n in ("local", "cluster", "env"))
        # Paths relative to the client's working folder, not the workers'.
        command = [sys.executable, "-m", "dedup", "scan", corpus.name, "-q", "--json"]
        subprocess.run([*command, str(local), "--workers", "1"], check=True, cwd=tmp_path)
        on = ["--tmp-dir", client_tmp.name]
        subprocess.run(
            [*command, str(on_cluster), "--scheduler", address, *on], check=True, cwd=tmp_path
        )
        env = {**os.environ, "DASK_SCHEDULER_ADDRESS": address}
        subprocess.run([*command, str(by_env), *on], check=True, env=env, cwd=tmp_path)
        assert on_cluster.read_bytes() == local.read_bytes() == by_env.read_bytes()
        # The features each worker kept are gone with the scan.
        assert [p for n in (1, 2) for p in (tmp_path / f"worker{n}").rglob("dedup-*")] == []
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(30)
