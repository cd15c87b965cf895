"""This checkout against an earlier revision, `dedup scan` of one corpus, in turns.

    python -m benchmarks.turns REVISION [--input corpus.jsonl] [--workers 1] [--runs 3]
        [-- more scan options, e.g. --engine dask --no-shared-tmp-dir]

The machine's speed drifts from hour to hour, so a change is timed against
its base in the same minutes: the revision is checked out in a temporary
git worktree, each side first scans once untimed (compiling its kernels
into its own cache), then they scan in turns, ``--runs`` times each, by
the CLI in a process of its own (its start and imports included). Prints
each side's times, their medians and the ratio, and whether the two JSON
reports are byte-identical (a change meant to be faster only must keep them so).

Default corpus: SaudiNewsNet (../shared/data), written as JSONL.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import jsonl_corpus

ROOT = Path(__file__).resolve().parent.parent


def scan(tree: Path, corpus: Path, report: Path, workers: int, options: list[str]) -> float:
    """Seconds of one `dedup scan` by the code in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "dedup", "scan", str(corpus), "--json", str(report)]
    command += ["--force", "--workers", str(workers), *options]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        sys.exit(f"{tree}: dedup scan failed: {last}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revision", help="the base: a commit, tag or branch")
    parser.add_argument("--input", type=Path, help="a JSONL corpus with a 'text' field")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("options", nargs="*", help="more scan options (after --)")
    args = parser.parse_intermixed_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), args.revision],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if added.returncode:
            sys.exit(f"cannot check out {args.revision}: {added.stderr.strip()}")
        try:
            corpus = jsonl_corpus(args.input, tmp)
            sides = {args.revision: base, "this checkout": ROOT}
            reports = {name: Path(tmp) / f"report-{i}.json" for i, name in enumerate(sides)}
            for name, tree in sides.items():  # untimed: kernels compiled and cached
                scan(tree, corpus, reports[name], args.workers, args.options)
            times: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(args.runs):
                for name, tree in sides.items():
                    times[name].append(
                        scan(tree, corpus, reports[name], args.workers, args.options)
                    )
            first, second = reports.values()
            same = filecmp.cmp(first, second, shallow=False)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    options = " ".join(["--workers", str(args.workers), *args.options])
    print(f"`dedup scan {corpus.name} {options}`, {args.runs} runs each, in turns:")
    for name, seconds in times.items():
        runs = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"  {name:<16} {runs}  median {statistics.median(seconds):.2f} s")
    medians = [statistics.median(seconds) for seconds in times.values()]
    print(f"  ratio (this checkout / {args.revision}): {medians[1] / medians[0]:.3f}")
    print(f"  reports byte-identical: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
