"""Reading Parquet streams: the same corpus as JSONL and as Parquet, at two
sizes, scanned by the CLI in its own process, peak memory of the whole
process tree.

    python -m benchmarks.formats [--corpus big.jsonl] [--sizes 100,1000] [--levels documents]

The corpus (default: the synthetic crawl of benchmarks.synth, generated if
missing) is cut into its first N MB of JSONL, and that slice written as
Parquet (zstd, a row group a 10,000 rows). Memory that grows with the file
beyond what JSONL of the same documents takes would be the reader's.
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


def slice_corpus(corpus: Path, mb: int, out: Path) -> int:
    """The first ``mb`` MB of ``corpus``'s lines, as JSONL at ``out``; how many."""
    n, size = 0, 0
    with corpus.open("rb") as src, out.open("wb") as dst:
        for line in src:
            if size + len(line) > mb * 1e6:
                break
            dst.write(line)
            size, n = size + len(line), n + 1
    return n


def to_parquet(jsonl: Path, out: Path) -> None:
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    table = pj.read_json(jsonl, pj.ReadOptions(block_size=1 << 26))
    pq.write_table(table, out, row_group_size=10_000, compression="zstd")


def measure(path: Path, levels: str, tmp: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "dedup", "scan", str(path), "-q", "--levels", levels]
    command += ["--json", str(tmp / f"{path.name}.json"), "--workers", "1"]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    with PeakRSS(process.pid) as peak:
        code = process.wait()
    if code:
        sys.exit(f"{path}: dedup scan failed ({code})")
    return time.perf_counter() - start, peak.mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, help="a JSONL corpus (default: synthetic)")
    parser.add_argument("--sizes", default="100,1000", help="MB of JSONL, comma-separated")
    parser.add_argument("--levels", default="documents", help="what the scans find")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sizes = [int(s) for s in args.sizes.split(",")]
        corpus = args.corpus
        if corpus is None:
            corpus = tmp / "synth.jsonl"
            generate(corpus, max(sizes) * 600, seed=0)  # about 1.7 KB a document
        print(f"{'input':<26}{'documents':>10}{'file MB':>9}{'seconds':>9}{'peak MB':>9}")
        for mb in sizes:
            jsonl = tmp / f"slice-{mb}.jsonl"
            n = slice_corpus(corpus, mb, jsonl)
            parquet = jsonl.with_suffix(".parquet")
            to_parquet(jsonl, parquet)
            for path in (jsonl, parquet):
                seconds, peak = measure(path, args.levels, tmp)
                size = path.stat().st_size / 1e6
                print(f"{path.name:<26}{n:>10,}{size:>9,.0f}{seconds:>9.1f}{peak:>9,.0f}")


if __name__ == "__main__":
    main()
