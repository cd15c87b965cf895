"""Plain twins of the fast stages: the same signature, computed document by
document with the plain per-text functions, for tests/test_reference.py to
hold every fast path equal to (on hypothesis's text and on real news).

| fast (batched, numpy) | plain twin |
| --- | --- |
| ``features.featurize_batch`` | ``reference.featurize_batch``, built on: |
| ``text.tokenize_batch`` | ``text.tokenize`` |
| ``text.normalize_token`` (fast path) | ``text.normalize_token_full`` |
| ``segment.paragraphs_batch`` | ``segment.paragraphs`` |
| ``repetition.repetition_batch`` | ``repetition.repetition_stats`` |
| ``minhash.segment_sets`` | ``minhash.shingle_sets`` |
| ``MinHasher.signatures_flat`` | ``MinHasher.signatures`` |
| ``kernels.follow``, ``trim``, ``chain`` (numba) | ``reference.follow``, ``trim``, ``chain`` |

Where upstream code exists, the tests call it instead of a twin:
datasketch's ``MinHash`` (tests/test_minhash.py) and datatrove's Gopher
repetition functions (tests/test_repetition.py). Candidate generation (LSH
buckets, containment sketches, passage candidates) is held equal to brute
force in tests/test_lsh_verify.py and tests/test_passages.py.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dedup.config import Config
from dedup.features import PREVIEW, BatchFeatures, fingerprint, paragraph_keys
from dedup.lsh import band_keys, lsh_params
from dedup.minhash import MinHasher, shingle_sets, window_hashes
from dedup.models import Document
from dedup.repetition import repetition_stats, stat_names
from dedup.segment import paragraphs
from dedup.text import tokenize


def featurize_batch(docs: list[Document], cfg: Config) -> BatchFeatures:
    """features.featurize_batch, document by document with the plain per-text
    functions."""
    k = cfg.shingle_size
    hasher = MinHasher(cfg.num_perm, cfg.seed)
    n = len(docs)
    stats = np.zeros((n, len(stat_names())))
    rows: dict[str, list[np.ndarray]] = defaultdict(list)
    para_sets: list[np.ndarray] = []
    doc_sets: list[np.ndarray] = []
    words: list[np.ndarray] = []
    previews: list[bytes] = []
    for i, doc in enumerate(docs):
        tokens = tokenize(doc.text)
        paras = paragraphs(doc.text, tokens)
        found = repetition_stats(doc.text, tokens)
        stats[i] = [found[name] for name in stat_names()]
        rows["chars"].append(np.array([len(doc.text)]))
        rows["tokens"].append(np.array([len(tokens)]))
        rows["paragraphs"].append(np.array([len(paras)]))
        rows["fingerprints"].append(np.array([fingerprint(doc.text)], np.uint64))
        rows["para_starts"].append(paras.starts)
        rows["para_ends"].append(paras.ends)
        rows["para_ntok"].append(paras.tok_hi - paras.tok_lo)
        one_key = [
            paragraph_keys(tokens.hashes[a:b], np.array([0]), np.array([b - a]))[0]
            for a, b in zip(paras.tok_lo.tolist(), paras.tok_hi.tolist(), strict=True)
        ]
        rows["para_keys"].append(np.array(one_key, dtype=np.uint64))
        para_sets.extend(shingle_sets(tokens.hashes, paras.tok_lo, paras.tok_hi, k))
        previews.extend(
            doc.text[s : min(e, s + PREVIEW)].encode("utf-8", "surrogatepass")
            for s, e in zip(paras.starts.tolist(), paras.ends.tolist(), strict=True)
        )
        doc_sets.append(np.unique(window_hashes(tokens.hashes, min(k, len(tokens)))))
        rows["token_hashes"].append(tokens.hashes)
        rows["token_spans"].append(np.stack((tokens.starts, tokens.ends), axis=1))
        words.append(np.unique(tokens.hashes))
    flat = {name: np.concatenate(parts) for name, parts in rows.items()}
    long = [s for s, t in zip(para_sets, flat["para_ntok"].tolist(), strict=True) if t >= k]
    doc_sigs = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    live = [i for i, s in enumerate(doc_sets) if len(s)]
    doc_sigs[live] = hasher.signatures([doc_sets[i] for i in live])

    def lengths(arrays: list[np.ndarray] | list[bytes]) -> np.ndarray:
        return np.array([len(a) for a in arrays], dtype=np.int64)

    return BatchFeatures(
        repetition=stats,
        doc_sigs=doc_sigs,
        doc_bands=band_keys(doc_sigs, *lsh_params(cfg.document_threshold, cfg.num_perm)),
        doc_sets=np.concatenate(doc_sets),
        doc_set_lengths=lengths(doc_sets),
        para_sets=np.concatenate(para_sets) if para_sets else np.empty(0, np.uint64),
        para_set_lengths=lengths(para_sets),
        para_bands=band_keys(
            hasher.signatures(long), *lsh_params(cfg.paragraph_threshold, cfg.num_perm)
        ),
        previews=np.frombuffer(b"".join(previews), np.uint8),
        preview_lengths=lengths(previews),
        doc_words=np.concatenate(words),
        doc_word_counts=lengths(words),
        **flat,
    )


def follow(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    qa: int,
    qb: int,
    bridge: int,
    anchor: int,
    stop: np.ndarray,
) -> tuple[int, int]:
    """Where a copy that runs up to ``qa`` in a and ``qb`` in b (exclusive)
    ends: word for word, then across a difference of at most ``bridge``
    tokens on each side, as long as ``anchor`` tokens in a row (not all
    function words) match after it."""
    stop_words = set(stop.tolist())
    while True:
        qa, qb = _equal_run(ids_a, ids_b, qa, qb)
        ahead_a = ids_a[qa : qa + bridge + anchor].tolist()
        ahead_b = ids_b[qb : qb + bridge + anchor].tolist()
        starts: dict[tuple[int, ...], int] = {}
        for i in range(len(ahead_a) - anchor + 1):
            starts.setdefault(tuple(ahead_a[i : i + anchor]), i)
        best: tuple[int, int, int] | None = None
        for j in range(len(ahead_b) - anchor + 1):
            gram = tuple(ahead_b[j : j + anchor])
            i = starts.get(gram, -1)
            if i >= 0 and not stop_words.issuperset(gram) and (best is None or max(i, j) < best[0]):
                best = (max(i, j), i, j)
        if best is None:
            return qa, qb
        qa, qb = qa + best[1], qb + best[2]


def _equal_run(ids_a: np.ndarray, ids_b: np.ndarray, qa: int, qb: int) -> tuple[int, int]:
    """Past the tokens equal in a row from ``qa`` and ``qb``: compared a chunk
    at a time, doubling (a run is a few tokens, or a whole passage)."""
    step = 16
    while (n := min(step, len(ids_a) - qa, len(ids_b) - qb)) > 0:
        differ = np.flatnonzero(ids_a[qa : qa + n] != ids_b[qb : qb + n])
        if len(differ):
            return qa + int(differ[0]), qb + int(differ[0])
        qa, qb, step = qa + n, qb + n, 2 * step
    return qa, qb


def trim(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    a_lo: int,
    a_hi: int,
    b_lo: int,
    b_hi: int,
    window: int,
    dense: int,
    stop: np.ndarray,
) -> tuple[int, int, int, int]:
    """The passage without the unrelated text at its ends: a seed word that
    the two documents share by chance a sentence after the copy ends
    ("جماعي") chains the text between into the passage."""
    words = set(stop.tolist())
    b_lo, b_hi = _dense(ids_b, b_lo, b_hi, set(ids_a[a_lo:a_hi].tolist()), words, window, dense)
    a_lo, a_hi = _dense(ids_a, a_lo, a_hi, set(ids_b[b_lo:b_hi].tolist()), words, window, dense)
    return a_lo, a_hi, b_lo, b_hi


def _dense(
    ids: np.ndarray, lo: int, hi: int, other: set[int], stop: set[int], window: int, dense: int
) -> tuple[int, int]:
    """``[lo, hi)`` shrunk to its first and last content words found in
    ``other`` with dense such words in their window of window tokens."""
    words = ids[lo:hi].tolist()
    start = _first_dense(words, other, stop, window, dense)
    if start is None:
        return lo, lo
    end = _first_dense(words[::-1], other, stop, window, dense)
    assert end is not None  # the same window, read from its other end
    return lo + start, hi - end


def _first_dense(
    words: list[int], other: set[int], stop: set[int], window: int, dense: int
) -> int | None:
    """The first content word in ``other`` with dense such words in the
    window tokens from it: found a word at a time, so a passage that is
    dense from its first word costs a window's look, not its length."""
    found: list[bool] = []
    for i in range(len(words)):
        while len(found) < min(len(words), i + window):
            w = words[len(found)]
            found.append(w in other and w not in stop)
        if found[i] and sum(found[i : i + window]) >= dense:
            return i
    return None


def chain(
    b_positions: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    a_positions: np.ndarray,
    gap: int,
) -> np.ndarray:
    """kernels.chain, seed by seed with Python lists (see there)."""
    chains: list[list[int]] = []  # a_lo, a_hi, b_lo, b_hi, seeds, first_a, first_b, last_a, last_b
    open_chains: list[int] = []
    done: list[int] = []
    occurrences_of = a_positions.tolist()
    for pb, start, end in zip(b_positions.tolist(), starts.tolist(), ends.tolist(), strict=True):
        occurrences = occurrences_of[start:end]
        still_open: list[int] = []
        for c in open_chains:
            (still_open if pb - chains[c][3] <= gap else done).append(c)
        open_chains = still_open
        best: tuple[int, int, int] | None = None
        for c in open_chains:
            for pa in occurrences:
                distance = max(chains[c][0] - pa, pa - chains[c][1], 0)
                if distance <= gap and (best is None or distance < best[0]):
                    best = (distance, c, pa)
        if best is None:
            pa = occurrences[0]
            chains.append([pa, pa, pb, pb, 1, pa, pb, pa, pb])
            open_chains.append(len(chains) - 1)
            continue
        _, c, pa = best
        row = chains[c]
        row[0], row[1], row[3] = min(row[0], pa), max(row[1], pa), pb
        row[4] += 1
        row[7], row[8] = pa, pb
    return np.array([chains[c] for c in done + open_chains], np.int64).reshape(-1, 9)
