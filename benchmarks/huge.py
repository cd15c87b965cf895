"""One huge document: a single line of SaudiNewsNet text, scanned by the CLI.

    python -m benchmarks.huge [--mb 200] [--workers 1]

The line is SaudiNewsNet's articles joined by spaces, no line break at all,
until it holds ``--mb`` MB of UTF-8 (a scraped page without line breaks, at
crawl scale). Prints the scan's wall time and the peak memory of its process
tree (PSS, sampled every 0.2 s) against the document's size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from benchmarks.memory import PeakRSS


def write_line(path: Path, mb: float) -> int:
    """Write the one-document JSONL; returns the text's length in characters."""
    parts, size = [], 0
    while size < mb * 1e6:
        for d in saudinewsnet():
            text = " ".join(d.text.split())
            parts.append(text)
            size += len(text.encode("utf-8")) + 1
            if size >= mb * 1e6:
                break
    text = " ".join(parts)
    path.write_text(json.dumps({"id": "huge", "text": text}, ensure_ascii=False) + "\n")
    return len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "huge.jsonl"
        chars = write_line(corpus, args.mb)
        mb = corpus.stat().st_size / 1e6
        command = [sys.executable, "-m", "dedup", "scan", str(corpus), "-q"]
        command += ["--json", str(Path(tmp) / "report.json"), "--workers", str(args.workers)]
        start = time.perf_counter()
        process = subprocess.Popen(command)
        with PeakRSS(process.pid) as peak:
            code = process.wait()
        seconds = time.perf_counter() - start
    print(
        f"one line of {chars / 1e6:,.0f} M characters ({mb:,.0f} MB of JSONL): exit {code}, "
        f"{seconds:,.1f} s, peak memory {peak.mb:,.0f} MB (PSS, all processes), "
        f"{peak.mb / mb:.1f}x the input"
    )
    sys.exit(code)


if __name__ == "__main__":
    main()
