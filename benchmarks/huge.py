"""One huge document: a single line of SaudiNewsNet text, scanned by the CLI.

    python -m benchmarks.huge [--mb 200] [--workers 1]

The line is SaudiNewsNet's articles joined by spaces, no line break at all,
until it holds ``--mb`` MB of UTF-8 (a scraped page without line breaks, at
crawl scale). Prints the scan's wall time and the peak memory of its process
tree (PSS, sampled every 0.2 s) against the document's size, and the repeat
it must find: the line runs through the corpus, then starts it again, so
from there on it repeats its own beginning (exact offsets checked).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import regex

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from benchmarks.memory import PeakRSS


def write_line(path: Path, mb: float) -> tuple[str, int]:
    """Write the one-document JSONL; returns its text and where the line
    starts the corpus again (its length if it does not)."""
    parts, size, again = [], 0, 0
    while size < mb * 1e6:
        if parts and not again:  # the corpus again
            again = sum(len(p) + 1 for p in parts)
        for d in saudinewsnet():
            text = " ".join(d.text.split())
            parts.append(text)
            size += len(text.encode("utf-8")) + 1
            if size >= mb * 1e6:
                break
    text = " ".join(parts)
    path.write_text(json.dumps({"id": "huge", "text": text}, ensure_ascii=False) + "\n")
    return text, again or len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "huge.jsonl"
        text, again = write_line(corpus, args.mb)
        mb = corpus.stat().st_size / 1e6
        command = [sys.executable, "-m", "dedup", "scan", str(corpus), "-q"]
        command += ["--json", str(Path(tmp) / "report.json"), "--workers", str(args.workers)]
        start = time.perf_counter()
        process = subprocess.Popen(command)
        with PeakRSS(process.pid) as peak:
            code = process.wait()
        seconds = time.perf_counter() - start
        spans = json.loads((Path(tmp) / "report.json").read_text())["spans"] if code == 0 else []
    print(
        f"one line of {len(text) / 1e6:,.0f} M characters ({mb:,.0f} MB of JSONL): exit {code}, "
        f"{seconds:,.1f} s, peak memory {peak.mb:,.0f} MB (PSS, all processes), "
        f"{peak.mb / mb:.1f}x the input"
    )
    # From where the corpus starts again, the line repeats its beginning (as
    # many times as it holds the corpus): spans one after another to the end,
    # each copying the line from its start. Articles the corpus holds twice
    # are repeats too, before it.
    tail = sorted((s for s in spans if s["end"] > again), key=lambda s: s["start"])
    ends = [again, *(s["end"] for s in tail)]
    exact = bool(tail) and all(
        s["duplicate_of"]["start"] == 0
        and text[s["start"] : s["end"]] == text[: s["duplicate_of"]["end"]]
        and not regex.search(r"\w", text[end : s["start"]])
        for s, end in zip(tail, ends, strict=False)
    )
    exact = exact and not regex.search(r"\w", text[ends[-1] :])
    print(
        f"repeated from character {again:,}: {len(tail)} span(s) to the end, each a copy of "
        f"the line's beginning: {'exact' if exact else 'NOT exact'}; "
        f"{len(spans) - len(tail):,} span(s) before it (articles the corpus holds twice)"
    )
    sys.exit(code)


if __name__ == "__main__":
    main()
