"""Per-document repetition statistics: the Gopher set (Rae et al. 2021, table A1).

The definitions are datatrove's ``GopherRepetitionFilter``'s, and
tests/test_repetition.py calls datatrove's own functions on the same words:
paragraphs split on two or more newlines of the stripped text, lines on runs
of newlines, every fraction is over ``len(text)``; a top 2/3/4-gram's
characters count the spaces between its words, a duplicate 5..10-gram's do
not (datatrove joins those words with ""). Where this differs on purpose:

- words are this library's tokens (``\\w+``, as written, not normalized),
  where datatrove uses a language-specific word tokenizer that also yields
  punctuation;
- two n-grams are the same when their words are; datatrove compares the
  joined strings, so for it "ab"+"c" repeats "a"+"bc".

The n-gram statistics work on integer hashes of the words instead of joined
strings (datatrove's way costs a string join per word per n): two n-grams are
equal when their word sequences are, so hashing them changes nothing but the
speed (``tests/test_repetition.py`` checks this against the string version).
"""

from __future__ import annotations

import re

import numpy as np

from dedup.minhash import all_window_hashes
from dedup.text import Tokens

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


def _repeats(grams: np.ndarray) -> bool:
    """Whether some n-gram occurs twice: one plain sort, where most documents
    stop (their n-grams are all distinct)."""
    ordered = np.sort(grams)
    return bool((ordered[1:] == ordered[:-1]).any())


def _top_ngram_chars(grams: np.ndarray, lengths: np.ndarray) -> int:
    """Characters covered by the most frequent n-gram (its length x its count);
    ties go to the n-gram seen first, as with ``Counter.most_common``."""
    if not len(grams):
        return 0
    if not _repeats(grams):
        return int(lengths[0])  # every count is 1: the first n-gram wins
    _, first, counts = np.unique(grams, return_index=True, return_counts=True)
    top = counts.max()
    winner = first[counts == top].min()
    return int(lengths[winner]) * int(top)


def _duplicate_ngram_chars(grams: np.ndarray, lengths: np.ndarray, n: int) -> int:
    """Characters in repeated n-grams, scanning left to right: an n-gram seen
    before counts and jumps n words ahead (so overlapping repeats count once);
    any other is remembered.

    Only n-grams that occur at least twice can ever count or be looked up
    again, so the scan visits just those positions; the rest only advance.
    """
    if not len(grams) or not _repeats(grams):
        return 0
    _, inverse, counts = np.unique(grams, return_inverse=True, return_counts=True)
    recurring = np.flatnonzero(counts[inverse] > 1)
    seen: set[int] = set()
    chars = floor = 0
    for i, gram in zip(recurring.tolist(), inverse[recurring].tolist(), strict=True):
        if i < floor:
            continue  # jumped over by an earlier repeat
        if gram in seen:
            chars += int(lengths[i])
            floor = i + n
        else:
            seen.add(gram)
    return chars


def repetition_stats(text: str, tokens: Tokens) -> dict[str, float]:
    """Fractions in [0, 1] (all 0.0 for an empty text)."""
    size = len(text)
    if not size:
        return dict.fromkeys(stat_names(), 0.0)
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
    stats.update(dict.fromkeys(stat_names()[4:], 0.0))  # n-grams a short text lacks
    # Surface words, hashed; Python's str hash is cached on the string objects.
    words = np.fromiter(map(hash, tokens.words), dtype=np.int64, count=len(tokens))
    words = words.view(np.uint64)
    # Characters of each word and (by cumulative sum) of each n-gram.
    cum = np.concatenate(([0], np.cumsum(tokens.ends - tokens.starts)))
    for n, grams in all_window_hashes(words, DUP_NGRAMS[-1]):
        if n not in TOP_NGRAMS and n not in DUP_NGRAMS:
            continue
        if n > DUP_NGRAMS[0] and not stats[f"dup_{DUP_NGRAMS[0]}_gram_char_frac"]:
            break  # no 5-gram repeats, so no longer n-gram can (they stay 0): most documents
        lengths = cum[n : n + len(grams)] - cum[: len(grams)]
        if n in TOP_NGRAMS:  # with the spaces between the words
            stats[f"top_{n}_gram_char_frac"] = _top_ngram_chars(grams, lengths + n - 1) / size
        else:
            stats[f"dup_{n}_gram_char_frac"] = _duplicate_ngram_chars(grams, lengths, n) / size
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
