"""Per-document features: everything the pipeline needs from a text, computed
from that text alone (so any worker can compute it; see engines.py).

A batch's features come back as a few flat numpy arrays (variable-length
items concatenated, with their lengths), not one object per document: cheap
to send between processes and to append to the scan's stores.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from dedup.config import Config
from dedup.lsh import band_keys, lsh_params
from dedup.minhash import MinHasher, shingle_sets, window_hashes
from dedup.models import Document
from dedup.repetition import repetition_stats, stat_names
from dedup.segment import paragraphs
from dedup.text import tokenize

# Characters of a paragraph kept for the report's boilerplate preview.
PREVIEW = 120


@dataclass(frozen=True, slots=True)
class BatchFeatures:
    # One row a document.
    chars: np.ndarray  # int64
    tokens: np.ndarray  # int64, token count
    paragraphs: np.ndarray  # int64, paragraph count
    repetition: np.ndarray  # float64 (docs, len(stat_names()))
    doc_sigs: np.ndarray  # uint32 (docs, num_perm): MinHash of the document set (all max if empty)
    doc_bands: np.ndarray  # uint64 (docs, bands): LSH band keys at the document threshold
    doc_sets: np.ndarray  # uint64, every document's shingle set, concatenated
    doc_set_lengths: np.ndarray  # int64 (docs,)
    # One row a paragraph, in text order, documents one after another.
    para_starts: np.ndarray  # int64 char offsets, half-open
    para_ends: np.ndarray
    para_ntok: np.ndarray
    para_keys: np.ndarray  # uint64 exact key: hash of the normalized token sequence
    para_sets: np.ndarray  # uint64 shingle sets, concatenated
    para_set_lengths: np.ndarray
    para_bands: np.ndarray  # uint64 (paragraphs of >= k tokens, bands), at the paragraph threshold
    previews: np.ndarray  # uint8: UTF-8 of each paragraph's first PREVIEW characters
    preview_lengths: np.ndarray
    # For passages (none kept otherwise): one row a token, documents one after another.
    token_hashes: np.ndarray  # uint64 normalized token hashes
    token_spans: np.ndarray  # int32 (tokens, 2) char spans
    kept_tokens: np.ndarray  # int64 (docs,): tokens kept per document (all, or 0)
    doc_words: np.ndarray  # uint64: each document's distinct token hashes, concatenated
    doc_word_counts: np.ndarray


def _lengths(arrays: list[np.ndarray] | list[bytes]) -> np.ndarray:
    return np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)


def featurize_batch(docs: list[Document], cfg: Config) -> BatchFeatures:
    """Features of a batch of documents; signatures are computed batchwise.

    Paragraph band keys are computed for every paragraph of at least ``k``
    tokens, here in the worker, although only the first of each exact group
    is used: the group is only known once all earlier documents are in.
    """
    k = cfg.shingle_size
    hasher = MinHasher(cfg.num_perm, cfg.seed)
    n = len(docs)
    chars, ntoks, npars = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    repetition = np.zeros((n, len(stat_names())), np.float64)
    doc_sets: list[np.ndarray] = []
    para_sets: list[np.ndarray] = []
    previews: list[bytes] = []
    starts, ends, ntok, keys = [], [], [], []
    hashes, spans, words = [], [], []
    extras: list[np.ndarray] = []  # document shingles not inside one paragraph
    for i, doc in enumerate(docs):
        tokens = tokenize(doc.text)
        paras = paragraphs(doc.text, tokens)
        chars[i], ntoks[i], npars[i] = len(doc.text), len(tokens), len(paras)
        stats = repetition_stats(doc.text, tokens)
        repetition[i] = [stats[name] for name in stat_names()]
        lo, hi = paras.tok_lo.tolist(), paras.tok_hi.tolist()
        keys.append(
            np.fromiter(
                (
                    int.from_bytes(
                        hashlib.blake2b(tokens.hashes[a:b].tobytes(), digest_size=8).digest(),
                        "little",
                    )
                    for a, b in zip(lo, hi, strict=True)
                ),
                dtype=np.uint64,
                count=len(lo),
            )
        )
        starts.append(paras.starts)
        ends.append(paras.ends)
        ntok.append(paras.tok_hi - paras.tok_lo)
        para_sets.extend(shingle_sets(tokens.hashes, paras.tok_lo, paras.tok_hi, k))
        previews.extend(
            doc.text[s : min(e, s + PREVIEW)].encode()
            for s, e in zip(paras.starts.tolist(), paras.ends.tolist(), strict=True)
        )
        # Document shingles run across line breaks: a hard-wrapped copy of an
        # article has other lines but the same word sequence.
        windows = window_hashes(tokens.hashes, min(k, len(tokens)))
        doc_sets.append(np.unique(windows))
        if len(tokens) >= k:
            start = np.arange(len(windows))
            p = np.searchsorted(paras.tok_lo, start, side="right") - 1
            inside = (start >= paras.tok_lo[p]) & (start + k <= paras.tok_hi[p])
            extras.append(np.unique(windows[~inside]))
        else:
            extras.append(doc_sets[-1])
        kept = tokens.hashes if cfg.passages else tokens.hashes[:0]
        hashes.append(kept)
        bounds = (tokens.starts[: len(kept)], tokens.ends[: len(kept)])
        spans.append(np.stack(bounds, axis=1).astype(np.int32))
        words.append(np.unique(kept))

    para_ntok = _concat(ntok, np.int64)
    is_long = para_ntok >= k
    long_sets = [s for s, long in zip(para_sets, is_long.tolist(), strict=True) if long]
    long_sigs = hasher.signatures(long_sets)
    bands, rows = lsh_params(cfg.paragraph_threshold, cfg.num_perm)
    para_bands = band_keys(long_sigs, bands, rows)
    # A document's shingle set is the union of its long paragraphs' sets and
    # the shingles across their borders: the MinHash of a union is the
    # elementwise minimum, so only the border shingles need hashing again.
    sigs = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    long_doc = np.repeat(np.arange(n), npars)[is_long]
    if len(long_doc):
        owners, first = np.unique(long_doc, return_index=True)
        sigs[owners] = np.minimum.reduceat(long_sigs, first, axis=0)
    with_extra = [i for i, e in enumerate(extras) if len(e)]
    if with_extra:
        extra_sigs = hasher.signatures([extras[i] for i in with_extra])
        sigs[with_extra] = np.minimum(sigs[with_extra], extra_sigs)
    return BatchFeatures(
        chars=chars,
        tokens=ntoks,
        paragraphs=npars,
        repetition=repetition,
        doc_sigs=sigs,
        doc_bands=band_keys(sigs, *lsh_params(cfg.document_threshold, cfg.num_perm)),
        doc_sets=_concat(doc_sets, np.uint64),
        doc_set_lengths=_lengths(doc_sets),
        para_starts=_concat(starts, np.int64),
        para_ends=_concat(ends, np.int64),
        para_ntok=para_ntok,
        para_keys=_concat(keys, np.uint64),
        para_sets=_concat(para_sets, np.uint64),
        para_set_lengths=_lengths(para_sets),
        para_bands=para_bands,
        previews=np.frombuffer(b"".join(previews), np.uint8),
        preview_lengths=_lengths(previews),
        token_hashes=_concat(hashes, np.uint64),
        token_spans=np.concatenate(spans) if spans else np.empty((0, 2), np.int32),
        kept_tokens=_lengths(hashes),
        doc_words=_concat(words, np.uint64),
        doc_word_counts=_lengths(words),
    )
