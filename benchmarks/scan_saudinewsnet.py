"""Run ``dedup scan`` on SaudiNewsNet and print what it found.

    python benchmarks/scan_saudinewsnet.py [--limit N] [--show 5] [--seed 0]

Converts the corpus (../shared/data/saudinewsnet) to a temporary JSONL file,
times ``dedup scan FILE --json REPORT -q`` in a child process (wall time and
peak memory of it and its workers), then prints: verified near-duplicate pairs and
clusters, how many of them are exact copies, recall of the exact-duplicate
groups (identical content after white-space normalization, at least 20
words), whether any empty article was clustered, and ``--show`` random
cross-outlet pairs side by side for a person to judge.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet, write_jsonl
from benchmarks.memory import PeakRSS
from benchmarks.quality.exact import exact_groups
from dedup import Document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--show", type=int, default=5, help="cross-outlet pairs to print")
    parser.add_argument("--seed", type=int, default=0, help="which pairs to show")
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "saudinewsnet.jsonl"
        n = write_jsonl(saudinewsnet(args.limit), corpus)
        mb = corpus.stat().st_size / 1e6
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "dedup", "scan", str(corpus), "--json", str(report), "-q"]
        start = time.perf_counter()
        process = subprocess.Popen(cmd)
        with PeakRSS(process.pid) as peak:
            if process.wait():
                sys.exit(f"dedup scan failed (exit {process.returncode})")
        seconds = time.perf_counter() - start
        peak_mb = peak.mb
        result = json.loads(report.read_text(encoding="utf-8"))
        docs = {json.loads(line)["id"]: json.loads(line) for line in corpus.open(encoding="utf-8")}

    print(f"corpus: {n:,} articles, {mb:.1f} MB of JSONL")
    print(
        f"dedup scan: {seconds:.1f} s, {n / seconds:,.0f} docs/s, {mb / seconds:.1f} MB/s, "
        f"peak memory {peak_mb:,.0f} MB (PSS, all processes)"
    )
    summary = result["summary"]
    print(
        f"spans: {Counter(s['kind'] for s in result['spans'])}, "
        f"duplicated chars: {summary['duplicated_chars']}"
    )
    print(f"boilerplate paragraphs: {summary['boilerplate_paragraphs']}")

    pairs = [p for c in result["clusters"] for p in c["pairs"]] + result["related"]
    exact = [p for p in pairs if p["jaccard"] == 1.0]
    contained = [p for p in pairs if p["jaccard"] < 0.8]
    print(
        f"clusters: {len(result['clusters']):,} holding {summary['clustered_documents']:,} "
        f"articles; verified pairs (members and related): {len(pairs):,} "
        f"(exact shingle sets: {len(exact):,}, "
        f"near-duplicate: {len(pairs) - len(exact):,}, of which by containment only: "
        f"{len(contained):,})"
    )
    sizes = Counter(len(c["members"]) for c in result["clusters"])
    print(f"cluster sizes: {sorted(sizes.items())}")

    cluster_of = {m: c["id"] for c in result["clusters"] for m in c["members"]}
    groups = exact_groups(Document(i, d["text"]) for i, d in docs.items())
    truth = [(a, b) for g in groups for a, b in combinations(g, 2)]
    found = sum(1 for a, b in truth if a in cluster_of and cluster_of.get(a) == cluster_of.get(b))
    print(
        f"exact-duplicate groups (>= 20 words): {len(groups):,} groups, {len(truth):,} pairs, "
        f"recall {found / max(len(truth), 1):.4f}"
    )
    empty = [m for m in cluster_of if not docs[m]["text"].strip()]
    print(f"empty articles in clusters: {len(empty)}")

    cross = [
        p for p in pairs if docs[p["a"]]["source"] != docs[p["b"]]["source"] and p["jaccard"] < 1.0
    ]
    print(f"cross-outlet non-identical pairs: {len(cross):,}")
    for p in random.Random(args.seed).sample(cross, min(args.show, len(cross))):
        print("\n" + "=" * 100)
        print(
            f"{p['a']} ({docs[p['a']]['source']}) ~ {p['b']} ({docs[p['b']]['source']}): "
            f"jaccard {p['jaccard']}, containment a in b {p['a_in_b']}, b in a {p['b_in_a']}, "
            f"estimate {p['estimate']}"
        )
        for side in (p["a"], p["b"]):
            d = docs[side]
            print(f"--- {side} [{len(d['text'])} chars] {d['title']}")
            print(d["text"][:400].replace("\n", " / "))


if __name__ == "__main__":
    main()
