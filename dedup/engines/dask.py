"""A scan's tasks on a Dask cluster (``dask.distributed``): a ``LocalCluster``
started for the scan, a running scheduler by its address, or a ``Client``
the caller made.

Tasks go as futures, at most two a worker in flight (a huge input never
piles up on the cluster), and their answers come back in the items' order,
as every engine's do.

Workers on other machines share no disk with this process (the client):
each keeps the features it computes in a folder of its own (under its
``local_directory``) for the rest of the scan, and only the few numbers a
document the report needs come back. The sealed index, and each stage's
saved state, then go to every worker (``publish``), which writes them
beside its features: a copy of the scan's folder, where tasks open the
index (index.Mirror) as they would the folder. What a task (or this
process) reads of the features other workers keep, it fetches from the
worker that keeps them (``fetch``: a ``_Keeper`` actor on each, served
beside the worker's tasks, not behind them). A
``LocalCluster`` started here, or a cluster whose workers see the scan's
folder (``--tmp-dir``) at the same path (an HPC scratch or NFS folder:
``shared_disk``), reads and writes that folder instead, as the process
pool does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from dedup.cores import cores
from dedup.engines import Engine, forget_folder
from dedup.errors import InputError, WorkerError
from dedup.heap import BOUNDS, bound_mapping, unbound_mapping
from dedup.store import Wanted, pread, read_items

if TYPE_CHECKING:
    from distributed import Client, Future

T = TypeVar("T")
R = TypeVar("R")

# Seconds to wait for a scheduler given by its address before giving up.
_CONNECT = 30
# Bytes of an item's part that go inside its task; a bigger part is scattered.
_INLINE = 1 << 16
# Bytes of the files a publish sends at once (the sealed index's bounds and
# paragraph tables are about 0.34 GB at 1M documents).
_PUBLISHED = 64 << 20


class DaskEngine(Engine):
    local = False

    def __init__(
        self,
        client: Client | None = None,
        address: str | None = None,
        workers: int = 0,
        started: Callable[[str], None] | None = None,
        shared_disk: bool | None = None,
    ) -> None:
        """``client``: use it (it stays open); else connect to ``address`` (or
        ``DASK_SCHEDULER_ADDRESS``); else start a ``LocalCluster`` of
        ``workers`` processes (0: every core), one thread each. ``started``
        is given the dashboard's address once the cluster is there.
        ``shared_disk``: whether the workers see the scan's folder (default:
        only those of a ``LocalCluster`` started here)."""
        self.client = client
        self.address = address or os.environ.get("DASK_SCHEDULER_ADDRESS")
        if shared_disk is None:
            shared_disk = client is None and not self.address
        self.shares_disk = shared_disk
        self.workers = workers
        self.started = started
        self._own: list[Any] = []  # the client and cluster made here, closed here
        self._keepers: dict[str, Future[Any]] = {}  # by worker: what reads the features it keeps
        self._keeping = threading.Lock()
        # The workers with a copy of the scan's folder (publish), and those of
        # them that keep its features.
        self._copied: list[str] = []
        self._owners: set[str] = set()

    @property
    def opens(self) -> bool:
        return self.shares_disk or bool(self._copied)

    @property
    def dashboard(self) -> str:
        """The address of the cluster's dashboard."""
        return str(self._client.dashboard_link)

    @property
    def _client(self) -> Client:
        if self.client is None:
            raise RuntimeError("a DaskEngine runs tasks inside its with block")
        return self.client

    def _open(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "the Dask engine needs dask.distributed: pip install 'dedup[dask]'"
            ) from None
        if self.client is None:
            if self.address:
                try:
                    self.client = Client(self.address, timeout=_CONNECT)
                except OSError as e:
                    raise InputError(
                        f"cannot reach the Dask scheduler {self.address} ({e})"
                    ) from None
                self._own.append(self.client)
            else:
                import dask

                # Dask starts a worker with glibc's heap given back past 64 KB
                # free (its nanny's MALLOC_TRIM_THRESHOLD_), so each batch's
                # arrays are faulted in anew: these workers are the scan's,
                # with the command's bounds (heap.BOUNDS). (Where this
                # process's environment names a bound, as a nanny started in
                # it leaves Dask's, that one.)
                environ = "distributed.nanny.pre-spawn-environ."
                with dask.config.set({environ + k: v for k, v in BOUNDS.items()}):
                    cluster = LocalCluster(
                        n_workers=self.workers or cores(),
                        threads_per_worker=1,  # the kernels hold the GIL; processes scale
                        dashboard_address=":0",  # any free port: two scans side by side
                        # A task's error reaches the scan, which says it in
                        # one line: not its traceback too, logged by the worker.
                        silence_logs=logging.CRITICAL,
                    )
                self.client = Client(cluster)
                self._own += [self.client, cluster]
        if self.started is not None:
            self.started(self.dashboard)

    def map(self, task: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        client = self._client
        most = 2 * max(1, len(client.scheduler_info()["workers"]))
        pending: deque[tuple[T, Future[R]]] = deque()
        try:
            for item in items:
                pending.append((item, self._submit(task, item)))
                if len(pending) >= most:
                    done, future = pending.popleft()
                    yield done, self._result(future)
            while pending:
                done, future = pending.popleft()
                yield done, self._result(future)
        finally:
            for _, future in pending:  # stopped early, or an error: drop the rest
                future.cancel()

    def _submit(self, task: Callable[[T], R], item: T) -> Future[R]:
        """``task(item)`` as a future. The item's bulky data (texts, sets,
        tokens) goes to a worker on its own (scatter), not inside the task:
        the scheduler is for tasks, not for megabytes of data. A tuple's
        parts go one by one, so that a part which is a future (a ``share``-d
        value, on every worker already) reaches the task as its value."""
        from dask.sizeof import sizeof
        from distributed import Future

        client = self._client
        parts = item if isinstance(item, tuple) else (item,)
        sent = [
            client.scatter([p], hash=False, direct=self._direct)[0]
            if not isinstance(p, Future) and sizeof(p) > _INLINE
            else p
            for p in parts
        ]
        # Once workers have a copy of the scan's folder, its tasks go to them:
        # one that joined since (an adaptive cluster's) has none.
        where = {"workers": self._copied, "allow_other_workers": False} if self._copied else {}
        return client.submit(_call, task, isinstance(item, tuple), *sent, pure=False, **where)

    @property
    def _direct(self) -> bool:
        """Whether data goes between this process and the workers directly,
        or through the scheduler: Dask's default, for a client that cannot
        reach the workers (a ``Client(direct_to_workers=False)`` keeps it).
        Through it, every set and feature crossed the scheduler twice (a
        ``LocalCluster``'s runs here: at 1M documents, 30 s of this process)."""
        return self._client.direct_to_workers is not False

    def _result(self, future: Future[R]) -> R:
        """The task's result (its error raised); workers that died running it
        (the scheduler gives a task to another worker when one dies, a few
        times: ``distributed.scheduler.allowed-failures``) are one error."""
        from distributed import KilledWorker

        if self._copied:  # bound to the workers keeping the features: may wait forever
            self._wait(
                [(future, self._owners)], ", which keeps features of this scan, left the cluster"
            )
        try:
            return cast(R, self._client.gather(future, direct=self._direct))
        except KilledWorker as e:
            raise WorkerError(f"Dask workers died running a task ({e}); the scan stopped") from None

    def share(self, value: T) -> T:
        # A future in its place: a task given it (in a tuple) gets the value.
        scattered = self._client.scatter(value, broadcast=True, hash=False, direct=self._direct)
        return cast(T, scattered)

    def fetch(self, wanted: Wanted) -> dict[str, np.ndarray]:
        """Bytes of files that workers keep (store.Fetch): from each at once,
        directly, or through the scheduler (as an ``Actor``'s own calls go,
        from a client not made with ``direct_to_workers=True``)."""
        from distributed.actor import ProxyRPC

        client = self._client
        keys = {owner: self._keeper(owner) for owner in wanted}
        rpc = client.rpc if self._direct else partial(ProxyRPC, client.scheduler)
        return _reading(partial(client.sync, _ask, rpc, keys, wanted))

    def publish(self, folder: Path, paths: list[Path], owners: Iterable[str] = ()) -> None:
        # Sent to every worker at once (share: a list, not a dict, whose
        # keys Dask would take for its own), _PUBLISHED bytes at a time;
        # each worker writes them to its copy.
        if self.shares_disk:
            return
        client = self._client
        first = not self._copied
        keys = {owner: self._keeper(owner) for owner in owners} if first else None
        workers = list(client.scheduler_info()["workers"]) if first else self._copied
        for part in _parts(paths, _PUBLISHED):
            # Mapped, not read into memory: Dask sends an array's buffer as it is.
            files = self.share([(str(p.relative_to(folder)), _mapped(p)) for p in part])
            copies = [
                client.submit(
                    _copy,
                    str(folder),
                    files,
                    keys,
                    workers=[w],
                    allow_other_workers=False,
                    pure=False,
                )
                for w in workers
            ]
            bound = [(copy, {w}) for copy, w in zip(copies, workers, strict=True)]
            self._wait(bound, " left the cluster as the scan's index was sent to it")
            for copy in copies:
                self._result(copy)
        if first:
            self._copied, self._owners = workers, set(owners)

    def _wait(self, needs: list[tuple[Future[Any], set[str]]], gone: str) -> None:
        """Wait for tasks, each with the workers it needs (one it is bound to,
        those keeping the features it reads). Once one of those has left the
        cluster, its task would wait for it forever, or fail: that is one
        error (``gone`` says why the worker mattered)."""
        from distributed import wait

        while True:
            with contextlib.suppress(TimeoutError):
                wait([future for future, _ in needs], timeout=_CONNECT)
            waiting = {w for future, ws in needs if future.status == "pending" for w in ws}
            if not waiting:
                return
            left = waiting - set(self._client.scheduler_info()["workers"])
            if left:
                raise WorkerError(f"the Dask worker {min(left)}{gone}; the scan stopped")

    def _keeper(self, owner: str) -> str:
        """The key of the ``_Keeper`` actor on worker ``owner`` (made once a
        scan; its future, held here, keeps it there)."""
        from distributed import wait

        with self._keeping:
            if owner not in self._keepers:
                made = self._client.submit(
                    _Keeper, actor=True, workers=[owner], allow_other_workers=False, pure=False
                )
                with contextlib.suppress(TimeoutError):
                    wait([made], timeout=_CONNECT)  # a worker gone: forever, else
                if made.status != "finished":
                    raise WorkerError(
                        f"the Dask worker {owner}, which keeps features of this scan, "
                        f"is gone (its reader: {made.status}); the scan stopped"
                    )
                self._keepers[owner] = made
            return str(self._keepers[owner].key)

    def forget(self, folder: Path) -> None:
        # Called as a scan ends, also on its way out with an error: a cluster
        # that is gone has nothing left to forget, and the scan's error matters.
        with self._keeping:
            self._keepers, self._copied, self._owners = {}, [], set()
        with contextlib.suppress(Exception):
            self._client.run(_forget, str(folder))

    def _close(self, failed: bool) -> None:
        for made in self._own:  # the client, then its cluster
            made.close()
        if self._own:
            self.client, self._own = None, []


def _call(task: Callable[[Any], R], whole: bool, *parts: Any) -> R:
    """On a worker: ``task`` on the item ``DaskEngine._submit`` took apart
    (the worker's malloc bounded until the scan ends: heap.bound_mapping)."""
    bound_mapping()
    return task(parts if whole else parts[0])


def _mapped(path: Path) -> np.ndarray:
    """The bytes of the file ``path``, mapped (an empty file cannot be)."""
    if not path.stat().st_size:
        return np.empty(0, np.uint8)
    return np.memmap(path, np.uint8, "r").view(np.ndarray)


def _parts(paths: list[Path], most: int) -> Iterator[list[Path]]:
    """``paths`` in runs of about ``most`` bytes (a file bigger is one alone)."""
    part: list[Path] = []
    size = 0
    for path in paths:
        n = path.stat().st_size
        if part and size + n > most:
            yield part
            part, size = [], 0
        part.append(path)
        size += n
    if part:
        yield part


def _reading(ask: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """What ``ask`` (an ``_ask``) reads of the keepers; its failure, one error."""
    try:
        return ask()
    except Exception as e:
        raise WorkerError(
            f"cannot read the features a Dask worker keeps ({type(e).__name__}: {e}); "
            "the scan stopped"
        ) from None


async def _ask(
    rpc: Callable[[str], Any], keys: dict[str, str], wanted: Wanted
) -> dict[str, np.ndarray]:
    """Each keeper's ``read`` of what is ``wanted`` of it (``keys``: the actors,
    by worker), all at once; ``rpc`` reaches a worker by its address (an
    ``Actor``'s own calls would bind to whichever client they find)."""
    import asyncio  # (here: every scan imports this module, 30 ms of imports)

    from distributed.protocol.serialize import to_serialize

    async def one(owner: str, ranges: tuple[list[str], np.ndarray]) -> tuple[str, np.ndarray]:
        answer = await rpc(owner).actor_execute(
            actor=keys[owner], function="read", args=[*map(to_serialize, ranges)]
        )
        if answer["status"] != "OK":
            raise answer["exception"]
        return owner, answer["result"]

    return dict(await asyncio.gather(*(one(o, r) for o, r in wanted.items())))


def keeping(folder: Path) -> tuple[Path, str]:
    """In a task, on a worker that does not see the scan's ``folder``: the
    folder of its own that keeps its share of the scan's features, and the
    worker's address (where the client fetches them)."""
    from distributed import get_worker

    worker = get_worker()
    kept = Path(worker.local_directory) / folder.name
    kept.mkdir(exist_ok=True)
    return kept, worker.address


def _copy(folder: str, files: list[tuple[str, np.ndarray]], keys: dict[str, str] | None) -> None:
    """A task on each worker (``DaskEngine.publish``): ``files`` of the
    client's ``folder`` written to the worker's copy of it. The first time
    (``keys``: the keepers of the index's features, by worker), the tasks
    given paths in ``folder`` then find them in the copy (index.here), and
    read the features other workers keep from those keepers."""
    from distributed import get_worker
    from distributed.utils import sync

    from dedup.index import Mirror, mirror  # (here: the index imports the kernels, numba)

    kept, me = keeping(Path(folder))
    for name, data in files:
        (kept / name).parent.mkdir(parents=True, exist_ok=True)
        (kept / name).write_bytes(data.data)
    if keys is not None:
        worker = get_worker()

        def fetch(wanted: Wanted) -> dict[str, np.ndarray]:
            return _reading(partial(sync, worker.loop, _ask, worker.rpc, keys, wanted))

        mirror(folder, Mirror(kept, me, fetch))


class _Keeper:
    """On a worker, a Dask actor: reads the files it keeps for the client and
    the other workers' tasks. An actor's calls are served by a thread of
    the worker's own, beside the task it runs (a task would wait for the
    one before it)."""

    def read(self, paths: list[str], ranges: np.ndarray) -> np.ndarray:
        """The ranges ``(path number, byte offset, bytes)`` of ``paths``, one
        after another. A single one is a view of its file, mapped (sent as
        it is); many are read into one array: mapped, each small range would
        bring the 64 KB around it into the worker's memory (at 1M
        documents its peak doubled). Many items of a few bytes each (a
        band task's bit maps: Folder.fetch_items) are read a stretch of a
        file at a time where they lie close together."""
        if len(ranges) == 1:
            path, at, n = ranges[0].tolist()
            return np.memmap(paths[path], np.uint8, "r")[at : at + n].view(np.ndarray)
        fds = [os.open(path, os.O_RDONLY) for path in paths]
        try:
            size = int(ranges[0, 2])
            if size <= _ITEM and (ranges[:, 2] == size).all():
                return read_items(np.array(fds)[ranges[:, 0]], ranges[:, 1], size).reshape(-1)
            out = np.empty(int(ranges[:, 2].sum()), np.uint8)
            at = 0
            for path, offset, n in ranges.tolist():
                pread(fds[path], out[at : at + n], offset)
                at += n
        finally:
            for fd in fds:
                os.close(fd)
        return out


# Ranges of at most this many bytes, all of one size, are items (store.read_items).
_ITEM = 16


def _forget(folder: str, dask_worker: Any) -> None:
    """On a worker (``Client.run`` gives it): let go of the scan's folder and
    of the one it kept features in, and remove that one."""
    forget_folder(folder)
    unbound_mapping()
    kept = Path(dask_worker.local_directory) / Path(folder).name
    forget_folder(str(kept))
    shutil.rmtree(kept, ignore_errors=True)
