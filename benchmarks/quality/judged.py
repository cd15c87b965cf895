"""A judged sample of SaudiNewsNet findings: precision and extent read, not guessed.

    python -m benchmarks.quality.judged sample REPORT   # draw the sample (done once)
    python -m benchmarks.quality.judged sample REPORT --since OLD   # what a change added
    python -m benchmarks.quality.judged show [N..] [--changed]     # print items for reading
    python -m benchmarks.quality.judged score [REPORT]  # score a report (default: scan now)

``judged/sample.jsonl`` holds 115 findings drawn at random (seed 14) from a
default scan of all of SaudiNewsNet before the changes of issue 14 (35
within, 25 across, 30 passages, 10 boilerplate, 15 cluster members), and
``judged/changed.jsonl`` 45 findings that those changes added (formulas,
new and extended passages, templates), drawn the same way: ids and offsets
only, never the corpus's text (its licence keeps it out of the project).
``judged/labels.jsonl`` holds what a reader of Arabic said of each, written
before the change for the first sample:

- ``copy``: the span is text reused from its original (a scraping repeat,
  republished wire copy, a copied paragraph or passage);
- ``partial``: part of it is; ``template``: widget text, bylines, sign-offs,
  contact footers, datelines; ``formula``: a phrase the genre repeats on
  purpose (a cable's formula for a second sender, a refrain, a list item
  under two headings); ``not``: no copying;
- ``extent``: for ``copy`` and ``partial``, the whole reused stretch of the
  copy's document around the span, ``[start, end)`` (a word alignment with
  ``difflib`` proposes it, across differing words and short insertions; the
  reader corrects it).

``score`` counts, for each kind of finding a report still makes over a
labelled span, how many of those are right (copy or partial for copies,
template for boilerplate, formula for formulas), with Wilson 95% intervals,
and the share of labelled reused characters that the report's removable
findings cover. Boilerplate and formula findings are not removed by
``clean``, so they are right when the label says template or formula.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import regex

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet

HERE = Path(__file__).with_name("judged")
SAMPLE, CHANGES, LABELS = (HERE / f"{x}.jsonl" for x in ("sample", "changed", "labels"))
DRAW = {"within": 35, "across": 25, "passage": 30, "boilerplate": 10, "document": 15}
CHANGED = {"within": 5, "formula": 10, "passage": 20, "boilerplate": 15}
LABEL_NAMES = ("copy", "partial", "template", "formula", "not")
RIGHT = {  # a finding of this kind is right when the label is one of these
    "within": {"copy", "partial"},
    "across": {"copy", "partial"},
    "passage": {"copy", "partial"},
    "document": {"copy", "partial"},
    "boilerplate": {"template", "formula"},
    "formula": {"formula", "template"},
}
REMOVED = {"within", "across", "passage"}  # what clean takes out of a document
SAME = {"within": "formula"}  # a repeat inside the document, told apart


def _kind(span: dict[str, Any]) -> str:
    if span["kind"] == "across" and span.get("match") == "passage":
        return "passage"
    return str(span["kind"])


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every finding of a report as a sample item: spans, and each cluster
    member with its kept document (the whole documents as spans)."""
    chars = {d["id"]: d["chars"] for d in report["documents"]}
    items = []
    for s in report["spans"]:
        o = s["duplicate_of"]
        orig = [o["doc"], o["start"], o["end"]]
        items.append(_item(_kind(s), s["doc"], s["start"], s["end"], orig, s["similarity"]))
    for c in report["clusters"]:
        keep = c["representative"]
        for m in c["members"]:
            if m != keep:
                items.append(_item("document", m, 0, chars[m], [keep, 0, chars[keep]], None))
    return items


def _item(
    kind: str, doc: str, start: int, end: int, orig: list[Any], similarity: float | None
) -> dict[str, Any]:
    key = f"{kind}:{doc}:{start}:{end}"
    return {"kind": kind, "doc": doc, "start": start, "end": end, "orig": orig,
            "similarity": similarity, "key": key}  # fmt: skip


def draw(
    report: dict[str, Any], seed: int = 14, since: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Findings of each kind at random; with ``since``, only those that
    report did not make (what a change added), as many as ``CHANGED`` says."""
    rng = random.Random(seed)
    items = findings(report)
    if since is not None:
        before = {x["key"] for x in findings(since)}
        items = [x for x in items if x["key"] not in before]
    sample = []
    for kind, n in (DRAW if since is None else CHANGED).items():
        pool = [x for x in items if x["kind"] == kind]
        sample.extend(rng.sample(pool, min(n, len(pool))))
    return sample


def texts() -> dict[str, str]:
    return {d.id: d.text for d in saudinewsnet()}


_WORD = regex.compile(r"\w+")
_MARKS = regex.compile(r"[\p{Mn}\u0640]")
_FOLD = str.maketrans("أإآٱىةؤئ", "اااايهوي")


def _words(text: str, lo: int, hi: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Words of ``text[lo:hi]``, folded for matching, with their offsets in ``text``."""
    found = list(_WORD.finditer(text, lo, hi))
    fold = [
        _MARKS.sub("", unicodedata.normalize("NFKC", m[0])).lower().translate(_FOLD) for m in found
    ]
    return fold, [m.span() for m in found]


def windows(
    item: dict[str, Any], text: str, orig_text: str
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where the copy and its original may extend: whole documents, but a
    repeat inside one document and its original meet halfway between them."""
    if item["doc"] != item["orig"][0]:
        return (0, len(text)), (0, len(orig_text))
    middle = (item["orig"][2] + item["start"]) // 2
    return (middle, len(text)), (0, middle)


def proposed_extent(
    item: dict[str, Any], text: str, orig_text: str, max_gap: int = 15
) -> list[int] | None:
    """The reused stretch around the finding: word blocks (3 words or more)
    that the copy shares in order with its original, chained from those
    inside the span outwards across gaps of at most ``max_gap`` words on
    either side (a differing word, a short insertion)."""
    (c_lo, c_hi), (o_lo, o_hi) = windows(item, text, orig_text)
    a, a_spans = _words(text, c_lo, c_hi)
    b, _ = _words(orig_text, o_lo, o_hi)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    blocks = [m for m in matcher.get_matching_blocks() if m.size >= 3]
    inside = [
        i for i, m in enumerate(blocks)
        if a_spans[m.a][0] < item["end"] and a_spans[m.a + m.size - 1][1] > item["start"]
    ]  # fmt: skip
    if not inside:
        return None
    lo, hi = inside[0], inside[-1]

    def close(x: Any, y: Any) -> bool:  # block y follows block x across a small gap
        return y.a - (x.a + x.size) <= max_gap and 0 <= y.b - (x.b + x.size) <= max_gap

    while lo > 0 and close(blocks[lo - 1], blocks[lo]):
        lo -= 1
    while hi + 1 < len(blocks) and close(blocks[hi], blocks[hi + 1]):
        hi += 1
    return [a_spans[blocks[lo].a][0], a_spans[blocks[hi].a + blocks[hi].size - 1][1]]


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def show(numbers: list[int], path: Path = SAMPLE, width: int = 700) -> None:
    """Print sample items for a reader: the span, its original, and the
    proposed extent's text beyond the span."""
    sample, corpus = _load(path), texts()
    for n in numbers or range(len(sample)):
        item = sample[n]
        text, (o_doc, o_start, o_end) = corpus[item["doc"]], item["orig"]
        orig = corpus[o_doc]
        print(f"=== {n} {item['key']} sim={item['similarity']} orig={item['orig']}")
        if item["kind"] == "document":
            print(f"  copy ({len(text)}): {text[:width]!r}\n  kept ({len(orig)}): {orig[:width]!r}")
            continue
        print(f"  SPAN: {text[item['start'] : item['end']][:width]!r}")
        print(f"  ORIG: {orig[o_start:o_end][:width]!r}")
        if item["kind"] == "within":  # is it said twice, or of two things?
            print(f"  BEFORE SPAN: {text[max(0, item['start'] - 250) : item['start']]!r}")
            print(f"  BEFORE ORIG: {orig[max(0, o_start - 250) : o_start]!r}")
        extent = proposed_extent(item, text, orig)
        if extent is not None and extent != [item["start"], item["end"]]:
            before, after = text[extent[0] : item["start"]], text[item["end"] : extent[1]]
            print(f"  EXTENT {extent}: +{len(before)} before {before[-width:]!r}")
            print(f"     +{len(after)} after {after[:width]!r}")


def wilson(right: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = right / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def _overlap(lo: int, hi: int, spans: list[tuple[int, int]]) -> int:
    """Characters of ``[lo, hi)`` inside the union of ``spans``."""
    covered, pos = 0, lo
    for s, e in sorted(spans):
        s, e = max(s, pos), min(e, hi)
        if e > s:
            covered, pos = covered + e - s, e
    return covered


def _shared(f: dict[str, Any], start: int, end: int) -> int:
    """Characters of finding ``f`` inside ``[start, end)``."""
    return max(0, min(f["end"], end) - max(f["start"], start))


def _now(item: dict[str, Any], here: list[dict[str, Any]]) -> str:
    """What the report says now of a labelled finding, from its findings in
    the same document: the same kind if it still says that (or formula, for
    a repeat inside the document), else the kind that overlaps it most."""
    if item["kind"] == "document":
        return "document" if any(f["kind"] == "document" for f in here) else "dropped"
    over = [f for f in here if f["kind"] != "document" and _shared(f, item["start"], item["end"])]
    same = [f for f in over if f["kind"] in (item["kind"], SAME.get(item["kind"]))]
    best = max(same or over, key=lambda f: _shared(f, item["start"], item["end"]), default=None)
    return "dropped" if best is None else str(best["kind"])


def score(report: dict[str, Any], path: Path = SAMPLE) -> dict[str, Any]:
    """Precision of what the report still finds over each labelled span, and
    the share of labelled reused characters its removable findings cover."""
    labels = {x["key"]: x for x in _load(LABELS)}
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for f in findings(report):
        by_doc.setdefault(f["doc"], []).append(f)
    tally: dict[str, Counter[str]] = {}
    reused = covered = flagged = flagged_in = 0
    for item in _load(path):
        label = labels.get(item["key"])
        if label is None:
            continue
        here = by_doc.get(item["doc"], [])
        tally.setdefault(_now(item, here), Counter())[label["label"]] += 1
        if label.get("extent") and item["kind"] != "document":
            lo, hi = label["extent"]
            spans = [(f["start"], f["end"]) for f in here if f["kind"] in REMOVED]
            whole = [(f["start"], f["end"]) for f in here if f["kind"] == "document"]
            reused += hi - lo
            covered += _overlap(lo, hi, spans + whole)
            # Spans naming the same original, near the reuse: how much of them lies inside it.
            near = [
                (f["start"], f["end"])
                for f in here
                if f["kind"] in REMOVED
                and f["orig"][0] == item["orig"][0]
                and _shared(f, lo - 200, hi + 200)
            ]
            flagged += _overlap(0, 1 << 62, near)
            flagged_in += _overlap(lo, hi, near)
    out: dict[str, Any] = {"kinds": {}}
    for kind, counts in sorted(tally.items()):
        n = sum(counts.values())
        right = sum(v for k, v in counts.items() if k in RIGHT.get(kind, set()))
        interval = wilson(right, n) if kind in RIGHT else None
        out["kinds"][kind] = {"n": n, "right": right, "labels": dict(counts), "interval": interval}
    out["extent"] = {
        "reused_chars": reused,
        "covered": covered,
        "flagged_chars": flagged,
        "flagged_inside": flagged_in,
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sampler = sub.add_parser("sample")
    sampler.add_argument("report", type=Path)
    sampler.add_argument("--since", type=Path, help="draw only what this earlier report lacks")
    shower = sub.add_parser("show")
    shower.add_argument("numbers", type=int, nargs="*")
    shower.add_argument("--changed", action="store_true", help="items of changed.jsonl")
    sub.add_parser("score").add_argument("report", type=Path, nargs="?")
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    if args.command == "sample":
        HERE.mkdir(exist_ok=True)
        since = json.loads(args.since.read_text(encoding="utf-8")) if args.since else None
        with (SAMPLE if since is None else CHANGES).open("x", encoding="utf-8") as fh:
            for item in draw(json.loads(args.report.read_text(encoding="utf-8")), since=since):
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    elif args.command == "show":
        show(args.numbers, CHANGES if args.changed else SAMPLE)
    else:
        if args.report is None:
            from dedup import scan
            from dedup.reports.json import to_dict

            report = to_dict(scan(saudinewsnet(), workers=2))
        else:
            report = json.loads(args.report.read_text(encoding="utf-8"))
        for path in (SAMPLE, CHANGES):
            if path.exists():
                print_score(score(report, path), path)


def print_score(result: dict[str, Any], path: Path) -> None:
    print(f"{path.name}:\n{'finding now':<12} {'n':>4} {'right':>6}  95% interval  labels")
    for kind, k in result["kinds"].items():
        iv = "" if k["interval"] is None else f"{k['interval'][0]:.2f}-{k['interval'][1]:.2f}"
        print(f"{kind:<12} {k['n']:>4} {k['right']:>6}  {iv:<12}  {k['labels']}")
    e = result["extent"]
    if e["reused_chars"]:
        print(
            f"reused characters covered: {e['covered']:,} of {e['reused_chars']:,} "
            f"({e['covered'] / max(1, e['reused_chars']):.1%}); removable characters near them "
            f"inside the reuse: {e['flagged_inside']:,} of {e['flagged_chars']:,} "
            f"({e['flagged_inside'] / max(1, e['flagged_chars']):.1%})"
        )


if __name__ == "__main__":
    main()
