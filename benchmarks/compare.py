"""dedup scan against the baseline a user would write, in one run on one corpus.

    python -m benchmarks.compare [--input corpus.jsonl] [--limit N] [--only dedup-docs,rensa]
        [--rounds 3]

Contenders, each in its own process (so each peak RSS is its own), all
reading the same JSONL file; each one's memory is sampled from this process,
so that the sampling's work (a tenth of a core) is not the contender's. They
run in rounds, each contender once a round, in turn: a machine whose speed
drifts from minute to minute (a shared virtual machine's does, by a fifth)
slows the contenders of a round alike, so each ratio is taken within a
round, and the median of the rounds' is printed, beside the median seconds
and CPU time and the largest peak memory:

- ``dedup``: the full ``dedup scan`` (every level, JSON report; the corpus
  given as the CLI gives it, a ``Source`` the workers read too), one worker;
  ``dedup-2``: the same with two workers; ``dedup-docs``: near-duplicate
  documents only (``--levels documents``), one worker: the same job as the
  baselines', verified.
- ``datasketch``: ``regex`` ``\\w+`` tokens of the lowercased text, word
  5-gram shingles, ``datasketch.MinHash.bulk`` signatures (SHA-1, datasketch's
  default hash), inserted into and queried against a ``MinHashLSH`` at
  threshold 0.8. Document signatures and LSH only.
- ``rensa``: the same with rensa's ``RMinHash`` and ``RMinHashLSH``, if rensa
  is installed (``pip install rensa``).

Default corpus: SaudiNewsNet (../shared/data), 31,030 articles. Prints docs/s,
MB/s of text, peak RSS, CPU time and each contender's speed relative to
datasketch; and how much faster two workers are than one, beside how much
more CPU time they took and how busy they kept the machine's cores (a
share near 100% leaves a second worker nothing to gain from); then each
round's seconds.

With both ``dedup`` and ``dedup-2``, each round also measures what two
processes can gain on this machine at all (``ceiling``): the same work by
one process, then by two at once, a half each, for two loops of plain
Python (the most two processes can gain here) and for dedup's own
featurization of the corpus (each document on its own: nothing shared,
nothing waited for, but much memory read); and dedup's fixed part
(``dedup-fixed``: the full scan of the corpus's first 100 documents, one
worker: start-up, kernels, report). Two workers take at least the fixed
part, plus the featurization sped up as measured, plus the rest of one
worker's time sped up as plain Python was: about the best they could do,
printed beside their ratio. A shared virtual machine's two cores can run
two processes at well under twice one's speed, memory-bound ones most.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import regex

from benchmarks.corpora import jsonl_corpus
from benchmarks.memory import PeakRSS
from dedup.cores import cores

WORD = regex.compile(r"\w+")
NUM_PERM = 128


def texts(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)["text"]


def shingles(text: str) -> list[bytes]:
    words = WORD.findall(text.lower())
    return [" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(len(words) - 4, 1))]


def run_datasketch(path: Path) -> int:
    from datasketch import MinHash, MinHashLSH

    signatures = MinHash.bulk((shingles(t) for t in texts(path)), num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=0.8, num_perm=NUM_PERM)
    for i, m in enumerate(signatures):
        lsh.insert(i, m)
    return sum(len(lsh.query(m)) - 1 for m in signatures) // 2


def run_rensa(path: Path) -> int:
    from rensa import RMinHash, RMinHashLSH

    signatures = []
    for t in texts(path):
        m = RMinHash(num_perm=NUM_PERM, seed=42)
        m.update([s.decode("utf-8") for s in shingles(t)])
        signatures.append(m)
    lsh = RMinHashLSH(threshold=0.8, num_perm=NUM_PERM, num_bands=16)
    for i, m in enumerate(signatures):
        lsh.insert(i, m)
    return sum(len(lsh.query(m)) - 1 for m in signatures) // 2


def run_dedup(path: Path, workers: int, levels: str | None = None) -> int:
    from dedup import Config, Source, scan
    from dedup.cli import own_process
    from dedup.reports.json import write_json

    own_process()  # as `dedup scan` runs
    config = Config(levels=levels) if levels else None
    # The corpus as `dedup scan` gives it: with workers, they read it too.
    result = scan(Source(path), config, workers=workers)
    with tempfile.TemporaryDirectory() as tmp:
        write_json(result, Path(tmp) / "report.json")
    return sum(len(c.pairs) for c in result.clusters) + len(result.related)


def run_ceiling(path: Path) -> dict[str, float]:
    """Seconds the same work takes one process, and two at once, a half
    each: two loops of plain Python (the most two processes can gain here),
    and dedup's featurization of the corpus (every other document each).
    Each process reads its documents and readies the kernels before the
    clock starts."""
    # Each the least of a few, in turns: the run least disturbed by the
    # machine's other work (plain Python's is short: a second).
    seconds = {}
    for work, times in (("featurize", 2), ("python", 3)):
        runs = [[_together(work, n, path) for n in (1, 2)] for _ in range(times)]
        seconds |= {f"{work}-{n}": min(run[n - 1] for run in runs) for n in (1, 2)}
    return {**seconds, "rss_mb": 0.0}


def _together(work: str, n: int, path: Path) -> float:
    """Seconds ``n`` processes take for ``work``, a share each, from when all are ready."""
    context = multiprocessing.get_context()
    ready, go = context.Queue(), context.Event()
    procs = [context.Process(target=_share, args=(work, path, i, n, ready, go)) for i in range(n)]
    for proc in procs:
        proc.start()
    for _ in procs:  # each reads its documents and readies the kernels first
        while True:
            try:
                ready.get(timeout=1)
                break
            except queue.Empty:
                _check(procs, work)
    go.set()
    start = time.perf_counter()
    for proc in procs:
        proc.join()
    _check(procs, work)
    return time.perf_counter() - start


def _check(procs: list[Any], work: str) -> None:
    for proc in procs:
        if proc.exitcode:
            raise SystemExit(f"ceiling: a process of {work} failed (exit {proc.exitcode})")


def _share(work: str, path: Path, i: int, n: int, ready: Any, go: Any) -> None:
    """The ``i``-th of ``n`` shares of ``work``, once ``go`` is set."""
    if work == "python":
        ready.put(i)
        go.wait()
        for _ in range(2 // n):
            total = 0
            for x in range(5_000_000):
                total += x * x % 7
        return
    from dedup.cli import own_process
    from dedup.config import Config
    from dedup.features import featurize_batch, prepare

    own_process()  # as `dedup scan` runs
    cfg = Config()
    mine = [text for j, text in enumerate(texts(path)) if j % n == i]  # every n-th
    prepare(cfg)
    ready.put(i)
    go.wait()
    for first in range(0, len(mine), 1000):  # the pipeline's batches
        featurize_batch(mine[first : first + 1000], cfg)


CONTENDERS = {
    "dedup": lambda p: run_dedup(p, 1),
    "dedup-2": lambda p: run_dedup(p, 2),
    "dedup-docs": lambda p: run_dedup(p, 1, "documents"),
    "datasketch": run_datasketch,
    "rensa": run_rensa,
}


def child(name: str, path: Path) -> None:
    if name == "ceiling":
        print(json.dumps(run_ceiling(path)))
        return
    start = time.perf_counter()
    pairs = CONTENDERS[name](path)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The process tree's CPU time (workers joined by now), its start included.
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    print(json.dumps({"seconds": seconds, "rss_mb": rss, "pairs": pairs, "cpu": cpu}))


def contend(name: str, path: Path) -> dict[str, float]:
    """``name`` run in a process of its own; its process tree's memory
    (it and its workers together) sampled from here."""
    command = [sys.executable, "-m", "benchmarks.compare", "--child", name, "--input", str(path)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakRSS(proc.pid) as peak:
        out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{err}")
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["rss_mb"] = max(peak.mb, result["rss_mb"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, help="a JSONL corpus with a 'text' field")
    parser.add_argument("--limit", type=int, default=None, help="first N SaudiNewsNet articles")
    parser.add_argument(
        "--only", help="comma-separated contenders (default: all; datasketch always)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="each contender once a round (default 3)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.input)
        return
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    with tempfile.TemporaryDirectory() as tmp:
        path = jsonl_corpus(args.input, tmp, args.limit)
        n = sum(1 for _ in texts(path))
        mb = sum(len(t.encode("utf-8")) for t in texts(path)) / 1e6
        print(f"corpus: {path.name}, {n:,} documents, {mb:.1f} MB of text")
        chosen = [*args.only.split(","), "datasketch"] if args.only else list(CONTENDERS)
        names = [name for name in CONTENDERS if name in chosen]
        if "rensa" in names:
            try:
                import rensa  # noqa: F401
            except ImportError:
                print("rensa: skipped (not installed)")
                names.remove("rensa")
        both = "dedup" in names and "dedup-2" in names
        if both:  # dedup's fixed part: the corpus's first 100 documents
            few = Path(tmp) / "few.jsonl"
            with path.open(encoding="utf-8") as fh:
                few.write_text("".join(itertools.islice(fh, 100)), "utf-8")
        rounds: list[dict[str, dict[str, float]]] = []
        for r in range(args.rounds):
            rounds.append({name: contend(name, path) for name in names})
            if both:
                rounds[-1]["ceiling"] = contend("ceiling", path)
                rounds[-1]["dedup-fixed"] = contend("dedup", few)
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    for name in names:  # every round finds the same
        if len({one[name]["pairs"] for one in rounds}) > 1:
            raise SystemExit(f"{name} found different pairs in different rounds")

    def mid(name: str, key: str) -> float:
        return statistics.median(one[name][key] for one in rounds)

    def ratio(a: str, b: str, key: str = "seconds") -> float:
        """The median of the rounds' ratios of ``a``'s to ``b``'s."""
        return statistics.median(one[a][key] / one[b][key] for one in rounds)

    print(
        f"{'contender':<12}{'seconds':>9}{'CPU s':>7}{'docs/s':>9}{'MB/s':>7}{'peak MB':>13}"
        f"{'pairs*':>8}{'vs datasketch':>15}"
    )
    for name in names:
        seconds = mid(name, "seconds")
        print(
            f"{name:<12}{seconds:>9.1f}{mid(name, 'cpu'):>7.1f}{n / seconds:>9,.0f}"
            f"{mb / seconds:>7.1f}{max(one[name]['rss_mb'] for one in rounds):>13,.0f}"
            f"{rounds[0][name]['pairs']:>8,}{ratio('datasketch', name):>14.2f}x"
        )
    if both:
        k = cores()
        busy = statistics.median(
            one["dedup-2"]["cpu"] / one["dedup-2"]["seconds"] for one in rounds
        )
        print(
            f"two workers: {ratio('dedup', 'dedup-2'):.2f}x one; their CPU time "
            f"{ratio('dedup-2', 'dedup', 'cpu'):.2f}x one's, the {k} cores {busy / k:.0%} busy"
        )

        def gain(one: dict[str, dict[str, float]], work: str) -> float:
            return one["ceiling"][f"{work}-1"] / one["ceiling"][f"{work}-2"]

        def bound(one: dict[str, dict[str, float]]) -> float:
            """One worker's time over about the least two could take in that round:
            the fixed part, the featurization sped up as measured, the rest as
            plain Python."""
            alone, fixed = one["dedup"]["seconds"], one["dedup-fixed"]["seconds"]
            features = one["ceiling"]["featurize-1"]
            rest = alone - fixed - features
            least = fixed + features / gain(one, "featurize") + rest / gain(one, "python")
            return alone / least

        best = statistics.median(map(bound, rounds))
        python = statistics.median(gain(one, "python") for one in rounds)
        featurize = statistics.median(gain(one, "featurize") for one in rounds)
        alone = statistics.median(one["ceiling"]["featurize-1"] for one in rounds)
        print(
            "this machine, the same work by two processes at once against one: plain Python "
            f"{python:.2f}x, dedup's featurization {featurize:.2f}x (one alone: {alone:.1f} s); "
            f"dedup's fixed part {mid('dedup-fixed', 'seconds'):.1f} s (its first 100 documents, "
            f"one worker): two workers could reach about {best:.2f}x one "
            "(the fixed part, the featurization sped up as that, the rest as plain Python)"
        )
    for name in ("dedup", "dedup-docs"):
        if name in names and "rensa" in names:
            print(f"{name} against rensa: {ratio('rensa', name):.2f}x")
    print(
        f"medians of {len(rounds)} rounds (each ratio taken within a round; peak MB the "
        "largest); each round's seconds:"
    )
    for name in names:
        print(f"  {name:<12}" + " ".join(f"{one[name]['seconds']:6.1f}" for one in rounds))
    print("CPU s: the process tree's user and system time, the interpreter's start included")
    print(
        "peak MB: the process tree's memory (PSS: forked workers' shared pages count once), "
        "sampled every 0.2 s, or the main process's own peak RSS if larger"
    )
    print(
        "* pairs: LSH candidate pairs for datasketch and rensa (not verified); verified "
        "near-duplicate pairs for dedup, which also finds repeated paragraphs, passages, "
        "boilerplate and computes repetition statistics"
    )


if __name__ == "__main__":
    main()
