"""The Dask client's memory, stage by stage: a corpus scanned on a
LocalCluster whose workers share nothing with the client (as workers on
other machines: each keeps its features and a copy of the scan's folder),
the client's resident memory sampled every 3 ms.

    python -m benchmarks.client_stages CORPUS [--workers 2]

Prints, for each stage the scan names (``passages`` includes the template
frames, where the workers align meanwhile): the client's anonymous memory
as it starts, its peak, its peak with the pages of the files it maps (the
libraries', the scan's folder's) counted too, and the stage's seconds;
then the processor seconds each process spent in the stage: the client's
(on a LocalCluster, its scheduler's too), its main thread's alone (the
merges), and each worker's (what a paper estimate of a larger cluster
scales); then the workers' peaks and the md5 of the JSON report, to
compare with another engine's or revision's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import threading
import time
from itertools import pairwise
from pathlib import Path


def _status(*names: str) -> list[int]:
    """Fields of this process's /proc/self/status, in MB."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return [int(fields[name].split()[0]) >> 10 for name in names]


def _resident() -> tuple[int, int]:
    """This process's anonymous and file-backed resident memory, in MB."""
    anon, files, shared = _status("RssAnon", "RssFile", "RssShmem")
    return anon, files + shared


def _peak() -> int:
    """A (worker's) peak resident memory, in MB."""
    return _status("VmHWM")[0]


def _processor() -> float:
    """A process's processor seconds so far, its own and the system's for it."""
    spent = os.times()
    return spent.user + spent.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from dedup import Config, Source, scan
    from dedup.engines.dask import DaskEngine
    from dedup.reports.json import write_json

    stages: dict[str, list[float]] = {}  # name: start anon, peak anon, peak all, start time
    # name: processor seconds at its start: the client's, its main thread's, each worker's
    spent: dict[str, list[float]] = {}
    current = ["reading"]

    def stage(name: str) -> None:
        stages.setdefault(name, [_resident()[0], 0, 0, time.perf_counter()])
        each = [s for _, s in sorted(client.run(_processor).items())]  # by address
        spent.setdefault(name, [_processor(), time.thread_time(), *each])
        current[0] = name

    def sample() -> None:
        while True:
            anon, files = _resident()
            row = stages[current[0]]
            row[1], row[2] = max(row[1], anon), max(row[2], anon + files)
            time.sleep(0.003)

    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalCluster(n_workers=args.workers, threads_per_worker=1) as cluster,
        Client(cluster) as client,
    ):
        stage("reading")
        threading.Thread(target=sample, daemon=True).start()
        engine = DaskEngine(client, shared_disk=False)
        result = scan(Source(args.corpus), Config(), engine=engine, stage=stage, tmp_dir=tmp)
        stage("json")
        report = Path(tmp) / "report.json"
        write_json(result, report)
        stage("end")
        workers = client.run(_peak)
        digest = hashlib.md5(report.read_bytes()).hexdigest()
    names = list(stages)
    print(f"{'stage':40s} {'start anon':>10s} {'peak anon':>10s} {'peak all':>10s} {'s':>6s}")
    for name, after in pairwise(names):
        start, anon, every, began = stages[name]
        took = stages[after][3] - began
        print(f"{name:40s} {start:10.0f} {anon:10.0f} {every:10.0f} {took:6.1f}")
    print(f"{'processor seconds':40s} {'client':>10s} {'main':>10s} {'workers':>10s}")
    for label, first, last in [*((n, n, m) for n, m in pairwise(names)), ("all", names[0], "end")]:
        client_s, main_s, *each = (b - a for a, b in zip(spent[first], spent[last], strict=True))
        workers_s = " ".join(f"{s:.1f}" for s in each)
        print(f"{label:40s} {client_s:10.1f} {main_s:10.1f} {workers_s:>10s}")
    print("workers' peaks (MB):", sorted(workers.values()))
    print("report md5:", digest)


if __name__ == "__main__":
    main()
