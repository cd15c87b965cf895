"""Where the time goes: a scan (one worker unless told) timed stage by stage, then the
per-document work (featurize) broken down with cProfile.

    python -m benchmarks.profile [--input corpus.jsonl] [--limit N] [--sample 3000] [--workers 1]
        [--levels documents]

Default corpus: SaudiNewsNet (../shared/data). Stage times are wall-clock
without a profiler; the featurize breakdown runs under cProfile on the first
``--sample`` documents, so its shares are indicative (the profiler slows
Python-level calls more than numpy's).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from benchmarks.corpora import jsonl_corpus
from dedup import Config, Source, read_documents, scan
from dedup.cli import own_process
from dedup.features import featurize_batch
from dedup.reports.json import write_json

# The functions featurize_batch spends its time in (file suffix, function name).
PARTS = [
    ("text.py", "tokenize_batch"),
    ("kernels.py", "tokenize"),
    ("kernels.py", "paragraphs"),
    ("kernels.py", "windows"),
    ("kernels.py", "paragraph_sets"),
    ("kernels.py", "document_sets"),
    ("kernels.py", "distinct"),
    ("kernels.py", "repetition"),
    ("kernels.py", "band_keys"),
    ("kernels.py", "paragraph_keys"),
    ("features.py", "fingerprint"),
    ("features.py", "_previews"),
]


def stages(path: Path, workers: int, levels: str | None) -> None:
    cfg = Config(levels=levels) if levels else Config()
    marks: list[tuple[str, float]] = [("read + featurize", time.perf_counter())]
    result = scan(
        Source(path),  # as `dedup scan` gives it: with workers, they read it
        cfg,
        workers=workers,
        stage=lambda name: marks.append((name, time.perf_counter())),
    )
    marks.append(("JSON report", time.perf_counter()))
    with tempfile.TemporaryDirectory() as tmp:
        write_json(result, Path(tmp) / "report.json")
    marks.append(("end", time.perf_counter()))
    total = marks[-1][1] - marks[0][1]
    chars = sum(d.chars for d in result.documents)
    print(
        f"{workers} worker(s), {len(result.documents):,} documents, {chars / 1e6:.1f} M characters:"
    )
    for (name, start), (_, end) in pairwise(marks):
        print(f"  {name:<26}{end - start:>8.2f} s {100 * (end - start) / total:>5.1f}%")
    print(f"  {'total':<26}{total:>8.2f} s")


def featurize(path: Path, sample: int) -> None:
    docs = [d for _, d in zip(range(sample), read_documents(path), strict=False)]
    cfg = Config()
    featurize_batch([d.text for d in docs[:10]], cfg)  # builds the per-process character tables
    profile = cProfile.Profile()
    profile.enable()
    for i in range(0, len(docs), 1000):
        featurize_batch([d.text for d in docs[i : i + 1000]], cfg)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(c for (_, _, name), (_, _, _, c, _) in stats.items() if name == "featurize_batch")
    print(f"featurize, first {len(docs):,} documents under cProfile: {total:.2f} s")
    for suffix, function in PARTS:
        cum = sum(
            c
            for (file, _, name), (_, _, _, c, _) in stats.items()
            if name == function and file.endswith(suffix)
        )
        print(f"  {function:<26}{cum:>8.2f} s {100 * cum / total:>5.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, help="a JSONL corpus with a 'text' field")
    parser.add_argument("--limit", type=int, default=None, help="first N SaudiNewsNet articles")
    parser.add_argument("--sample", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1, help="for the stage times")
    parser.add_argument(
        "--levels", help="comma-separated levels for the stage times (default: all)"
    )
    args = parser.parse_args()
    own_process()  # as `dedup scan` runs (its collector's threshold, small pages)
    with tempfile.TemporaryDirectory() as tmp:
        path = jsonl_corpus(args.input, tmp, args.limit)
        stages(path, args.workers, args.levels)
        if args.sample:
            featurize(path, args.sample)


if __name__ == "__main__":
    main()
