"""Per-document repetition statistics: the Gopher set (Rae et al. 2021, table A1).

The definitions follow datatrove's ``GopherRepetitionFilter`` so numbers are
comparable: paragraphs split on two or more newlines of the stripped text,
lines on runs of newlines, n-grams are words joined by one space, and every
fraction is over ``len(text)``. Words are this library's tokens (``\\w+``),
where datatrove uses a language-specific word tokenizer that also yields
punctuation.
"""

from __future__ import annotations

import re
from collections import Counter

_PARAGRAPH = re.compile(r"\n{2,}")
_LINE = re.compile(r"\n+")

TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated items, their characters), counting every copy after the first."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def _ngrams(words: list[str], n: int) -> list[str]:
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _top_ngram_chars(words: list[str], n: int) -> int:
    grams = _ngrams(words, n)
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def _duplicate_ngram_chars(words: list[str], n: int) -> int:
    """Characters in repeated n-grams; a repeat skips ahead n words so that
    overlapping repeats are not counted twice."""
    seen: set[str] = set()
    chars = i = 0
    while i < len(words) - n + 1:
        gram = " ".join(words[i : i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def repetition_stats(text: str, words: list[str]) -> dict[str, float]:
    """Fractions in [0, 1] (all 0.0 for an empty text)."""
    size = len(text)
    if not size:
        return {k: 0.0 for k in stat_names()}
    paragraphs = _PARAGRAPH.split(text.strip())
    lines = _LINE.split(text)
    dup_para, dup_para_chars = _duplicates(paragraphs)
    dup_line, dup_line_chars = _duplicates(lines)
    stats = {
        "dup_para_frac": dup_para / len(paragraphs),
        "dup_para_char_frac": dup_para_chars / size,
        "dup_line_frac": dup_line / len(lines),
        "dup_line_char_frac": dup_line_chars / size,
    }
    for n in TOP_NGRAMS:
        stats[f"top_{n}_gram_char_frac"] = _top_ngram_chars(words, n) / size
    for n in DUP_NGRAMS:
        stats[f"dup_{n}_gram_char_frac"] = _duplicate_ngram_chars(words, n) / size
    return stats


def stat_names() -> list[str]:
    return [
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        *(f"top_{n}_gram_char_frac" for n in TOP_NGRAMS),
        *(f"dup_{n}_gram_char_frac" for n in DUP_NGRAMS),
    ]
