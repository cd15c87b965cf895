"""A day's batch against a growing persistent index (``scan --index``).

    python -m benchmarks.index_growth --corpus big.jsonl [--sizes 10000,100000,999000]

The synthetic crawl (benchmarks.synth; made if --corpus does not exist, of
the largest size plus the batch) is added to an index up to each size, at
most 100,000 documents at a time (each part one ``dedup scan --index`` run,
one transaction: the way an archive grows); at each size, the crawl's last
1,000 documents (re-publications of earlier ones among them) are scanned
against it read-only, by the CLI in its own process. Prints, per size: the
batch's wall time and peak memory (the whole process tree), how many
indexed documents it read, and the index's size on disk per document.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

from benchmarks.memory import PeakRSS
from benchmarks.synth import generate

BATCH = 1_000
GROW = 100_000  # documents added by one run while the index grows


def part(corpus: Path, lo: int, hi: int, out: Path) -> Path:
    """Lines ``lo`` .. ``hi - 1`` of the corpus, as a file of their own."""
    with corpus.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        dst.writelines(islice(src, lo, hi))
    return out


def run(command: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command)
    with PeakRSS(process.pid) as peak:
        code = process.wait()
    if code:
        raise SystemExit(f"{' '.join(command)}: exit {code}")
    return time.perf_counter() - start, peak.mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, required=True, help="the synthetic crawl (made if missing)"
    )
    parser.add_argument("--sizes", default="10000,100000,999000")
    parser.add_argument("--workers", type=int, default=0, help="0: every core")
    parser.add_argument("--tmp-dir", type=Path, help="where the index and the parts go")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if not args.corpus.exists():
        generate(args.corpus, sizes[-1] + BATCH, seed=0)
    total = sum(1 for _ in args.corpus.open(encoding="utf-8"))
    with tempfile.TemporaryDirectory(dir=args.tmp_dir) as tmp:
        index = Path(tmp) / "index.db"
        batch = part(args.corpus, total - BATCH, total, Path(tmp) / "batch.jsonl")
        workers = ["--workers", str(args.workers)]
        held = 0
        for size in sizes:
            while held < size:  # a part at a time: a transaction's log stays small
                upto = min(size, held + GROW)
                grown = part(args.corpus, held, upto, Path(tmp) / "grow.jsonl")
                command = [sys.executable, "-m", "dedup", "scan", str(grown), "--index", str(index)]
                seconds, mb = run([*command, "-q", *workers])
                print(
                    f"added {held:,} to {upto:,} in {seconds:,.0f} s, peak {mb:,.0f} MB", flush=True
                )
                held = upto
            report = Path(tmp) / f"batch-{size}.json"
            command = [sys.executable, "-m", "dedup", "scan", str(batch), "--index", str(index)]
            command += ["--read-only", "-q", "--json", str(report), *workers]
            seconds, mb = run(command)
            with report.open(encoding="utf-8") as fh:
                described = next(
                    json.loads(line.split(":", 1)[1].rstrip().rstrip(","))
                    for line in fh
                    if line.startswith('"config"')
                )["index"]
            on_disk = sum(p.stat().st_size for p in Path(tmp).glob("index.db*"))
            print(
                f"index of {size:,} documents: a batch of {BATCH:,} in {seconds:.1f} s, "
                f"peak {mb:,.0f} MB, read {described['read']:,} indexed documents; "
                f"index {on_disk / 1e9:.2f} GB, {on_disk / size / 1e3:.1f} KB a document",
                flush=True,
            )


if __name__ == "__main__":
    main()
