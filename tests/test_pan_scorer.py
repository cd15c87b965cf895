"""The PAN scorer of benchmarks/quality on hand-made cases."""

from __future__ import annotations

import math

import pytest

from benchmarks.quality.pan import (
    Annotation,
    case_recall,
    granularity,
    macro_precision,
    macro_recall,
    plagdet,
    score,
)

CASE = Annotation("s", 0, 100, "r", 0, 100)
OTHER = Annotation("s2", 0, 100, "r2", 0, 100)


def test_perfect_detection() -> None:
    assert score([CASE], [CASE]) == pytest.approx(
        {"cases": 1, "detections": 1, "precision": 1, "recall": 1, "granularity": 1, "plagdet": 1}
    )


def test_half_detection() -> None:
    half = Annotation("s", 0, 50, "r", 0, 50)
    assert case_recall(CASE, [half]) == 0.5
    assert macro_precision([CASE], [half]) == 1.0
    assert plagdet(0.5, 1.0, 1.0) == pytest.approx(2 / 3)


def test_detection_twice_too_long_on_one_side() -> None:
    long = Annotation("s", 0, 200, "r", 0, 100)
    assert case_recall(CASE, [long]) == 1.0
    assert macro_precision([CASE], [long]) == pytest.approx(200 / 300)


def test_split_detection_counts_granularity() -> None:
    parts = [Annotation("s", 0, 50, "r", 0, 50), Annotation("s", 50, 50, "r", 50, 50)]
    assert case_recall(CASE, parts) == 1.0
    assert granularity([CASE], parts) == 2.0
    result = score([CASE], parts)
    assert result["plagdet"] == pytest.approx(1 / math.log2(3))


def test_wrong_source_or_no_overlap_detects_nothing() -> None:
    wrong_source = Annotation("s", 0, 100, "elsewhere", 0, 100)
    other_place = Annotation("s", 100, 100, "r", 100, 100)
    assert case_recall(CASE, [wrong_source, other_place]) == 0.0
    assert macro_precision([CASE], [wrong_source]) == 0.0
    assert macro_recall([CASE, OTHER], [CASE]) == 0.5
    assert granularity([CASE], [wrong_source]) == 1.0


def test_overlapping_detections_count_characters_once() -> None:
    a = Annotation("s2", 50, 100, "r2", 50, 100)
    b = Annotation("s2", 25, 75, "r2", 25, 75)
    assert case_recall(OTHER, [a, b]) == 0.75
    assert macro_precision([OTHER], [a, b]) == pytest.approx((0.5 + 1.0) / 2)


def test_empty_sides() -> None:
    assert macro_recall([], []) == 1.0
    assert macro_recall([CASE], []) == 0.0
    assert plagdet(0.0, 1.0, 1.0) == 0.0
