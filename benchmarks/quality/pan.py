"""PAN text-alignment measures (Potthast et al., COLING 2010), macro-averaged.

A case or a detection is a pair of passages: ``this`` in a suspicious
document and ``src`` in a source document. A detection *detects* a case when
both passages overlap the case's (same documents). Then, with characters
counted on both sides:

- recall: mean over cases of the share of the case's characters covered by
  the detections that detect it;
- precision: the same with the roles swapped (mean over detections);
- granularity: mean number of detections per detected case (1 is ideal);
- plagdet = F1 / log2(1 + granularity).
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Annotation(NamedTuple):
    this_ref: str
    this_off: int
    this_len: int
    src_ref: str
    src_off: int
    src_len: int


def overlapping(a: Annotation, b: Annotation) -> bool:
    return (
        a.this_ref == b.this_ref
        and a.src_ref == b.src_ref
        and b.this_off < a.this_off + a.this_len
        and a.this_off < b.this_off + b.this_len
        and b.src_off < a.src_off + a.src_len
        and a.src_off < b.src_off + b.src_len
    )


def _covered(off: int, length: int, others: list[tuple[int, int]]) -> int:
    """Characters of [off, off+length) covered by the union of the others."""
    covered, end = 0, off
    for o_off, o_len in sorted(others):
        lo, hi = max(o_off, end), min(o_off + o_len, off + length)
        if hi > lo:
            covered += hi - lo
            end = hi
    return covered


def case_recall(case: Annotation, detections: list[Annotation]) -> float:
    dets = [d for d in detections if overlapping(case, d)]
    if not dets:
        return 0.0
    this = _covered(case.this_off, case.this_len, [(d.this_off, d.this_len) for d in dets])
    src = _covered(case.src_off, case.src_len, [(d.src_off, d.src_len) for d in dets])
    return (this + src) / (case.this_len + case.src_len)


def macro_recall(cases: list[Annotation], detections: list[Annotation]) -> float:
    if not cases:
        return 1.0 if not detections else 0.0
    return sum(case_recall(c, detections) for c in cases) / len(cases)


def macro_precision(cases: list[Annotation], detections: list[Annotation]) -> float:
    return macro_recall(detections, cases)


def granularity(cases: list[Annotation], detections: list[Annotation]) -> float:
    counts = [sum(overlapping(c, d) for d in detections) for c in cases]
    detected = [n for n in counts if n]
    return sum(detected) / len(detected) if detected else 1.0


def plagdet(recall: float, precision: float, gran: float) -> float:
    if recall <= 0 or precision <= 0:
        return 0.0
    f1 = 2 * recall * precision / (recall + precision)
    return f1 / math.log2(1 + gran)


def score(cases: list[Annotation], detections: list[Annotation]) -> dict[str, float]:
    rec = macro_recall(cases, detections)
    prec = macro_precision(cases, detections)
    gran = granularity(cases, detections)
    return {
        "cases": len(cases),
        "detections": len(detections),
        "precision": prec,
        "recall": rec,
        "granularity": gran,
        "plagdet": plagdet(rec, prec, gran),
    }
