"""Per-document features: everything the pipeline needs from a text, computed
from that text alone (so any worker can compute it; see engines/).

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
from dedup.minhash import (
    MinHasher,
    fmix64,
    ranges,
    segment_sets,
    sequence_hashes,
    window_hashes,
)
from dedup.models import Document
from dedup.repetition import repetition_batch
from dedup.segment import paragraphs_batch
from dedup.text import TokenBatch, char_tables, space_tables, tokenize_batch

# Characters of a paragraph kept for the report's boilerplate preview.
PREVIEW = 120


@dataclass(frozen=True, slots=True)
class BatchFeatures:
    # One row a document.
    chars: np.ndarray  # int64
    tokens: np.ndarray  # int64, token count
    paragraphs: np.ndarray  # int64, paragraph count
    fingerprints: np.ndarray  # uint64: fingerprint(text)
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
    # For passages and template frames: one row a token, documents one after another.
    token_hashes: np.ndarray  # uint64 normalized token hashes
    token_spans: np.ndarray  # int32 (tokens, 2) char spans
    doc_words: np.ndarray  # uint64: each document's distinct token hashes, concatenated
    doc_word_counts: np.ndarray


def fingerprint(text: str) -> int:
    """64 bits of BLAKE2b of the text's UTF-8 (lone surrogates as they are): a
    report remembers each text by it, so an edited corpus is caught."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def prepare() -> None:
    """Build the character lookup tables featurize_batch uses (about 0.3 s)."""
    char_tables()
    space_tables()


def featurize_batch(docs: list[Document], cfg: Config) -> BatchFeatures:
    """Features of a batch of documents, computed for the whole batch at once
    (tests/test_features.py checks them against a document-by-document
    computation with the plain functions).

    Paragraph band keys are computed for every paragraph of at least ``k``
    tokens, here in the worker, although only the first of each exact group
    is used: the group is only known once all earlier documents are in.
    """
    k = cfg.shingle_size
    n = len(docs)
    batch = tokenize_batch([d.text for d in docs])
    paras = paragraphs_batch(batch)
    hashes, doc_tokens = batch.hashes, batch.doc_tokens
    ntoks = np.diff(doc_tokens)
    tok_doc = batch.token_docs
    para_doc = tok_doc[paras.tok_lo]
    para_ntok = paras.tok_hi - paras.tok_lo
    windows = window_hashes(hashes, k)  # windows[i]: tokens i .. i+k-1

    # Paragraph sets: the windows inside the paragraph, or one shingle of all
    # its tokens when it is shorter than k.
    long = para_ntok >= k
    inside = ranges(paras.tok_lo[long], paras.tok_hi[long] - k + 1)
    values = np.concatenate(
        (windows[inside], sequence_hashes(hashes, paras.tok_lo[~long], paras.tok_hi[~long]))
    )
    owners = np.concatenate(
        (np.repeat(np.flatnonzero(long), para_ntok[long] - k + 1), np.flatnonzero(~long))
    )
    para_sets, para_set_lengths = segment_sets(values, owners, len(para_ntok))

    # Document sets: all windows of the document, across line breaks (a
    # hard-wrapped copy of an article has other lines but the same word
    # sequence), or one shingle of all its tokens.
    short = (ntoks > 0) & (ntoks < k)
    full = ranges(doc_tokens[:-1][ntoks >= k], doc_tokens[1:][ntoks >= k] - k + 1)
    whole = sequence_hashes(hashes, doc_tokens[:-1][short], doc_tokens[1:][short])
    values = np.concatenate((windows[full], whole))
    owners = np.concatenate((tok_doc[full], np.flatnonzero(short)))
    doc_sets, doc_set_lengths = segment_sets(values, owners, n)
    # The windows that are in no paragraph's set: those across its borders.
    para = np.searchsorted(paras.tok_lo, full, side="right") - 1
    across = full + k > paras.tok_hi[para]
    extras, extra_lengths = segment_sets(
        np.concatenate((windows[full[across]], whole)),
        np.concatenate((tok_doc[full[across]], np.flatnonzero(short))),
        n,
    )

    hasher = MinHasher(cfg.num_perm, cfg.seed)
    bounds = np.concatenate(([0], np.cumsum(para_set_lengths)))
    long_sets = para_sets[ranges(bounds[:-1][long], bounds[1:][long])]
    long_sigs = hasher.signatures_flat(long_sets, para_set_lengths[long])
    para_bands = band_keys(long_sigs, *lsh_params(cfg.paragraph_threshold, cfg.num_perm))
    # A document's shingle set is the union of its long paragraphs' sets and
    # the shingles across their borders: the MinHash of a union is the
    # elementwise minimum, so only the border shingles need hashing again.
    sigs = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    long_doc = para_doc[long]
    if len(long_doc):
        owners, first = np.unique(long_doc, return_index=True)
        sigs[owners] = np.minimum.reduceat(long_sigs, first, axis=0)
    with_extra = np.flatnonzero(extra_lengths)
    if len(with_extra):
        extra_sigs = hasher.signatures_flat(extras, extra_lengths[with_extra])
        sigs[with_extra] = np.minimum(sigs[with_extra], extra_sigs)

    spans = np.stack((batch.starts, batch.ends), axis=1) - batch.doc_starts[tok_doc, None]
    doc_words, doc_word_counts = segment_sets(hashes, tok_doc, n)
    previews, preview_lengths = _previews(batch, paras.starts, paras.ends)
    offsets = batch.doc_starts[para_doc]
    return BatchFeatures(
        chars=np.diff(batch.doc_starts) - 1,
        tokens=ntoks,
        paragraphs=np.bincount(para_doc, minlength=n),
        fingerprints=np.fromiter((fingerprint(d.text) for d in docs), np.uint64, n),
        repetition=repetition_batch(batch),
        doc_sigs=sigs,
        doc_bands=band_keys(sigs, *lsh_params(cfg.document_threshold, cfg.num_perm)),
        doc_sets=doc_sets,
        doc_set_lengths=doc_set_lengths,
        para_starts=paras.starts - offsets,
        para_ends=paras.ends - offsets,
        para_ntok=para_ntok,
        para_keys=paragraph_keys(hashes, paras.tok_lo, paras.tok_hi),
        para_sets=para_sets,
        para_set_lengths=para_set_lengths,
        para_bands=para_bands,
        previews=previews,
        preview_lengths=preview_lengths,
        token_hashes=hashes,
        token_spans=spans.astype(np.int32),
        doc_words=doc_words,
        doc_word_counts=doc_word_counts,
    )


def paragraph_keys(hashes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """An exact key of each token sequence hashes[lo:hi] (non-empty): a sum of
    tokens mixed with their position, mixed with the length."""
    at = ranges(lo, hi)
    position = (at - np.repeat(lo, hi - lo)).astype(np.uint64)
    terms = fmix64(hashes[at] ^ fmix64(position + np.uint64(1)))
    sums = np.add.reduceat(terms, np.cumsum(hi - lo) - (hi - lo)) if len(lo) else terms
    return fmix64(sums + (hi - lo).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))


def _previews(
    batch: TokenBatch, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 of each paragraph's first PREVIEW characters, concatenated, and their lengths."""
    ends = np.minimum(ends, starts + PREVIEW)
    codes = batch.codes[ranges(starts, ends)]
    text = codes.tobytes().decode("utf-32-le", "surrogatepass")
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), np.uint8)
    size = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
    cum = np.concatenate(([0], np.cumsum(size)))
    offsets = np.cumsum(ends - starts) - (ends - starts)
    return data, cum[offsets + (ends - starts)] - cum[offsets]
