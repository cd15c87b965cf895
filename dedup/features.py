"""Per-document features: everything the pipeline needs from a text, computed
from that text alone (so any worker can compute it; see engines.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dedup.lsh import band_keys
from dedup.minhash import MinHasher, shingle_sets, window_hashes
from dedup.models import DocStats, Document
from dedup.repetition import repetition_stats
from dedup.segment import Paragraphs, paragraphs
from dedup.text import Tokens, tokenize


@dataclass(frozen=True, slots=True)
class DocFeatures:
    stats: DocStats
    para_starts: np.ndarray  # char offsets of each paragraph, half-open
    para_ends: np.ndarray
    para_ntok: np.ndarray
    para_keys: list[bytes]  # exact key: hash of the paragraph's normalized tokens
    para_sets: list[np.ndarray]  # word k-gram shingle sets
    doc_set: np.ndarray  # shingles across line breaks
    doc_sig: np.ndarray  # MinHash of doc_set (all max values when empty)
    para_bands: np.ndarray  # uint64 (paragraphs, bands): LSH band keys; rows of short ones unused
    token_hashes: np.ndarray | None  # for passages
    token_spans: np.ndarray | None  # int32 (n, 2)


def featurize_batch(
    docs: list[Document],
    k: int,
    num_perm: int,
    seed: int,
    bands: int,
    rows: int,
    keep_tokens: bool,
) -> list[DocFeatures]:
    """Features of a batch of documents; signatures are computed batchwise.

    Paragraph band keys are computed for every paragraph of at least ``k``
    tokens, here in the worker, although only the first of each exact group
    is used: the group is only known once all earlier documents are in.
    """
    hasher = MinHasher(num_perm, seed)
    parts = []
    for doc in docs:
        tokens = tokenize(doc.text)
        paras = paragraphs(doc.text, tokens)
        keys = [
            hashlib.blake2b(tokens.hashes[lo:hi].tobytes(), digest_size=16).digest()
            for lo, hi in zip(paras.tok_lo.tolist(), paras.tok_hi.tolist(), strict=True)
        ]
        stats = DocStats(
            doc.id, len(doc.text), len(tokens), len(paras), repetition_stats(doc.text, tokens)
        )
        sets = shingle_sets(tokens.hashes, paras.tok_lo, paras.tok_hi, k)
        # Document shingles run across line breaks: a hard-wrapped copy of an
        # article has other lines but the same word sequence.
        doc_set = np.unique(window_hashes(tokens.hashes, min(k, len(tokens))))
        parts.append(_Part(stats, paras, keys, sets, doc_set, tokens))
    sigs = np.full((len(docs), num_perm), np.iinfo(np.uint32).max, np.uint32)
    with_text = [i for i, p in enumerate(parts) if len(p.doc_set)]
    if with_text:
        sigs[with_text] = hasher.signatures([parts[i].doc_set for i in with_text])
    is_long = [(p.paras.tok_hi - p.paras.tok_lo) >= k for p in parts]
    long_sets = [
        s
        for p, long in zip(parts, is_long, strict=True)
        for s, keep in zip(p.sets, long.tolist(), strict=True)
        if keep
    ]
    long_keys = band_keys(hasher.signatures(long_sets), bands, rows) if long_sets else None
    out, used = [], 0
    for i, (p, long) in enumerate(zip(parts, is_long, strict=True)):
        para_bands = np.zeros((len(long), bands), np.uint64)
        if long_keys is not None:
            para_bands[long] = long_keys[used : used + int(long.sum())]
        used += int(long.sum())
        tokens = p.tokens
        spans = (
            np.stack((tokens.starts, tokens.ends), axis=1).astype(np.int32) if keep_tokens else None
        )
        out.append(
            DocFeatures(
                p.stats,
                p.paras.starts,
                p.paras.ends,
                p.paras.tok_hi - p.paras.tok_lo,
                p.keys,
                p.sets,
                p.doc_set,
                sigs[i],
                para_bands,
                tokens.hashes if keep_tokens else None,
                spans,
            )
        )
    return out


class _Part(NamedTuple):
    stats: DocStats
    paras: Paragraphs
    keys: list[bytes]
    sets: list[np.ndarray]
    doc_set: np.ndarray
    tokens: Tokens
