"""The engines side by side: one corpus scanned by the CLI on the local
engine and on a Dask LocalCluster, 1 and 2 workers, the Dask workers
reading and writing the scan's folder (as a cluster whose workers see it)
and not (``--no-shared-tmp-dir``: as workers on other machines).

    python -m benchmarks.dask_engines CORPUS [--workers 1,2] [-- scan options]

Prints, for each: wall time, peak memory of the whole process tree, of the
client process, and of the largest other process (a worker), and the time
as a ratio of the first run's (the local engine); then whether every
report is byte-identical.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.memory import PeakRSS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("options", nargs="*", help="more scan options (after --)")
    args = parser.parse_args()
    runs: list[tuple[str, list[str]]] = []
    for n in args.workers.split(","):
        runs.append((f"local, {n} workers", ["--workers", n]))
    for n in args.workers.split(","):
        dask = ["--engine", "dask", "--workers", n]
        runs.append((f"dask, {n} workers, shared folder", dask))
        runs.append((f"dask, {n} workers, nothing shared", [*dask, "--no-shared-tmp-dir"]))
    reports = set()
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in runs:
            out = Path(tmp) / "report.json"
            command = [sys.executable, "-m", "dedup", "scan", str(args.corpus), "-q", "--force"]
            start = time.perf_counter()
            process = subprocess.Popen([*command, "--json", str(out), *extra, *args.options])
            with PeakRSS(process.pid) as peak:
                code = process.wait()
            if code:
                raise SystemExit(f"{name}: exit {code}")
            seconds = time.perf_counter() - start
            base = base or seconds
            ratio = base / seconds
            print(
                f"{name}: {seconds:.1f} s ({ratio:.2f}x the first), peak {peak.mb:,.0f} MB "
                f"(client {peak.own_mb:,.0f} MB, largest worker {peak.other_mb:,.0f} MB)",
                flush=True,
            )
            reports.add(out.read_bytes())
    print("reports byte-identical:", len(reports) == 1)


if __name__ == "__main__":
    main()
