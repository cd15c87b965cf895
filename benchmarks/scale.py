"""The scale run: a synthetic crawl of N documents, scanned by the CLI.

    python -m benchmarks.scale --documents 1000000 [--workers 2] [--corpus big.jsonl]

Generates the corpus with benchmarks.synth (unless --corpus exists already),
then runs ``dedup scan CORPUS --json REPORT`` in its own process and prints
wall time, docs/s, MB/s of input and the peak resident memory of the scan's
whole process tree (parent and workers together), sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.memory import PeakRSS
from benchmarks.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=0, help="0: every core")
    parser.add_argument("--corpus", type=Path, help="keep (or reuse) the corpus here")
    parser.add_argument(
        "--tmp-dir", type=Path, help="where the scan spills (default: the system's)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus or Path(tmp) / "synth.jsonl"
        if not corpus.exists():
            start = time.perf_counter()
            generate(corpus, args.documents, seed=0)
            print(f"generated {corpus} in {time.perf_counter() - start:.0f} s", flush=True)
        mb = corpus.stat().st_size / 1e6
        docs = sum(1 for _ in corpus.open(encoding="utf-8"))
        command = [sys.executable, "-m", "dedup", "scan", str(corpus), "-q"]
        command += ["--json", str(Path(tmp) / "report.json"), "--workers", str(args.workers)]
        if args.tmp_dir:
            command += ["--tmp-dir", str(args.tmp_dir)]
        start = time.perf_counter()
        process = subprocess.Popen(command)
        with PeakRSS(process.pid) as peak:
            code = process.wait()
        seconds = time.perf_counter() - start
        report = (Path(tmp) / "report.json").stat().st_size / 1e6 if code == 0 else 0.0
        if code == 0:  # the summary is one line near the top of the report
            with (Path(tmp) / "report.json").open(encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith('"summary"'):
                        print("summary", line.split(":", 1)[1].strip().rstrip(","))
                        break
    print(
        f"{docs:,} documents, {mb:,.0f} MB of JSONL: exit {code}, {seconds:,.0f} s, "
        f"{docs / seconds:,.0f} docs/s, {mb / seconds:.1f} MB/s, "
        f"peak memory {peak.mb:,.0f} MB (PSS, all processes), report {report:,.0f} MB"
    )
    sys.exit(code)


if __name__ == "__main__":
    main()
