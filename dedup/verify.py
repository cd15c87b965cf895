"""Exact similarity of two shingle sets (sorted, duplicate-free uint64 arrays)."""

from __future__ import annotations

import numpy as np


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.intersect1d(a, b, assume_unique=True).size)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return jaccard_containment(a, b)[0]


def jaccard_containment(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger)."""
    inter = overlap(a, b)
    union = len(a) + len(b) - inter
    smaller = min(len(a), len(b))
    return (inter / union if union else 1.0), (inter / smaller if smaller else 1.0)
