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

from dedup.minhash import all_window_hashes, fmix64, hashes_at
from dedup.text import TokenBatch, Tokens

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


# --- The same statistics for a whole batch at once: the fast path -----------
#
# Lines, paragraphs and n-grams of every document of a TokenBatch are hashed
# together and counted with one sort each, a document's hash mixed into every
# key so that counts stay per document. An n-gram can repeat only where the
# (n-1)-grams at its position and the next both repeat, so each longer n only
# sorts those positions: few, in most text.


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group of each key, size of each group, first position of each group),
    groups numbered in key order."""
    order = np.argsort(keys)
    ordered = keys[order]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    heads = np.flatnonzero(new)
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    sizes = np.diff(np.append(heads, len(keys)))
    first = np.minimum.reduceat(order, heads) if len(keys) else heads
    return inverse, sizes, first


def _per_document(hashes: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Keys equal exactly when both the hash and the document are."""
    out: np.ndarray = hashes + fmix64(docs.astype(np.uint64) + np.uint64(1))
    return out


def _duplicate_pieces(
    batch: TokenBatch, lo: np.ndarray, hi: np.ndarray, cut_lo: np.ndarray, cut_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each document's span [lo, hi) at the cuts (sorted, each inside its
    document's span) as re.split does; (pieces, repeated pieces, their
    characters) per document, a copy counted after its first."""
    starts = np.sort(np.concatenate((lo, cut_hi)))
    ends = np.sort(np.concatenate((cut_lo, hi)))
    cuts = np.bincount(np.searchsorted(lo, cut_lo, side="right") - 1, minlength=len(lo))
    docs = np.repeat(np.arange(len(lo)), cuts + 1)
    keys = _per_document(batch.span_hashes(starts, ends), docs)
    _, _, first = _groups(keys)
    copy = np.ones(len(keys), dtype=bool)
    copy[first] = False
    count = np.bincount(docs[copy], minlength=len(lo))
    chars = np.bincount(docs[copy], weights=(ends - starts)[copy], minlength=len(lo))
    return cuts + 1, count, chars


def repetition_batch(batch: TokenBatch) -> np.ndarray:
    """repetition_stats() of every document of the batch: (docs, len(stat_names()))."""
    names = stat_names()
    n_docs = len(batch.doc_starts) - 1
    out = np.zeros((n_docs, len(names)))
    lo, hi = batch.doc_starts[:-1], batch.doc_starts[1:] - 1
    size = (hi - lo).astype(np.float64)
    size[size == 0] = np.inf  # an empty text has every statistic 0
    newline = batch.codes == ord("\n")
    newline[hi] = False  # the "\n" that joins documents
    edges = np.diff(newline.view(np.int8), prepend=np.int8(0))
    run_lo, run_hi = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    pieces, count, chars = _duplicate_pieces(batch, lo, hi, run_lo, run_hi)
    out[:, names.index("dup_line_frac")] = count / pieces
    out[:, names.index("dup_line_char_frac")] = chars / size
    # Paragraphs split the stripped text at two or more newlines.
    solid = np.append(batch.solid, len(batch.codes))
    s_lo = solid[np.searchsorted(solid, lo)]
    s_hi = solid[np.maximum(np.searchsorted(solid, hi) - 1, 0)] + 1
    blank = s_lo >= hi  # nothing but white space
    s_lo, s_hi = np.where(blank, lo, s_lo), np.where(blank, lo, s_hi)
    run_doc = np.searchsorted(lo, run_lo, side="right") - 1
    inside = (run_hi - run_lo >= 2) & (run_lo >= s_lo[run_doc]) & (run_hi <= s_hi[run_doc])
    pieces, count, chars = _duplicate_pieces(batch, s_lo, s_hi, run_lo[inside], run_hi[inside])
    out[:, names.index("dup_para_frac")] = count / pieces
    out[:, names.index("dup_para_char_frac")] = chars / size
    _ngram_stats(batch, out, size)
    return out


def _ngram_stats(batch: TokenBatch, out: np.ndarray, size: np.ndarray) -> None:
    names = stat_names()
    counts_per_doc = np.diff(batch.doc_tokens)
    doc = batch.token_docs
    end = batch.doc_tokens[1:][doc]  # each token's document's end
    cum = np.concatenate(([0], np.cumsum(batch.ends - batch.starts)))
    for n in TOP_NGRAMS:  # Without repeats the first n-gram wins (count 1).
        has = counts_per_doc >= n
        firsts = batch.doc_tokens[:-1][has]
        out[has, names.index(f"top_{n}_gram_char_frac")] = (
            cum[firsts + n] - cum[firsts] + (n - 1)
        ) / size[has]
    at = np.arange(len(doc))  # where an (n-1)-gram may repeat: every 1-gram
    repeats = np.ones(len(doc), dtype=bool)
    for n in range(2, DUP_NGRAMS[-1] + 1):
        at = at[(at + n <= end[at]) & repeats[at] & repeats[np.minimum(at + 1, len(doc) - 1)]]
        inverse, sizes, _ = _groups(_per_document(hashes_at(batch.surface, at, n), doc[at]))
        counts = sizes[inverse]
        repeated = counts > 1
        repeats = np.zeros(len(doc), dtype=bool)
        repeats[at] = repeated
        rep, rep_counts = at[repeated], counts[repeated]
        lengths = cum[rep + n] - cum[rep]  # characters of each repeated n-gram's words
        if n in TOP_NGRAMS:
            lengths = lengths + (n - 1)  # and the spaces between them
            column = out[:, names.index(f"top_{n}_gram_char_frac")]
            # The most frequent, ties to the first seen (see above for the rest).
            order = np.lexsort((rep, -rep_counts, doc[rep]))
            docs, best = np.unique(doc[rep][order], return_index=True)
            best = order[best]
            column[docs] = lengths[best] * rep_counts[best] / size[docs]
        else:
            column = out[:, names.index(f"dup_{n}_gram_char_frac")]
            _duplicate_chars(rep, inverse[repeated], doc[rep], lengths, n, column, size)
        at = rep
        if not len(at):
            break


def _duplicate_chars(
    at: np.ndarray,
    grams: np.ndarray,
    docs: np.ndarray,
    lengths: np.ndarray,
    n: int,
    column: np.ndarray,
    size: np.ndarray,
) -> None:
    """_duplicate_ngram_chars over the positions of the repeated n-grams of all
    documents (in order), with their n-gram ids, documents and lengths."""
    seen: set[int] = set()
    chars = floor = 0
    current = -1
    for i, gram, d, length in zip(
        at.tolist(), grams.tolist(), docs.tolist(), lengths.tolist(), strict=True
    ):
        if d != current:
            if current >= 0:
                column[current] = chars / size[current]
            seen, chars, floor, current = set(), 0, 0, d
        if i < floor:
            continue
        if gram in seen:
            chars += length
            floor = i + n
        else:
            seen.add(gram)
    if current >= 0:
        column[current] = chars / size[current]
