"""Per-document features: everything the pipeline needs from a text, computed
from that text alone (so any worker can compute it; see engines/).

A batch's features come back as a few flat numpy arrays (variable-length
items concatenated, with their lengths), not one object per document: cheap
to send between processes and to append to the scan's stores.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.lsh import lsh_params
from dedup.minhash import POSITION, MinHasher
from dedup.repetition import stat_names
from dedup.text import space_tables, tokenize_batch
from dedup.verify import groups

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
    para_bits: np.ndarray  # uint64 (paragraphs of >= k tokens, kernels.BIT_WORDS): set bit maps
    previews: np.ndarray  # uint8: UTF-8 of each paragraph's first PREVIEW characters
    preview_lengths: np.ndarray
    # For passages and template frames: one row a token, documents one after another.
    token_hashes: np.ndarray  # uint64 normalized token hashes
    token_spans: np.ndarray  # int32 (tokens, 2) char spans
    doc_words: np.ndarray  # uint64: each document's distinct token hashes, concatenated
    doc_word_counts: np.ndarray
    # Stretches repeating an earlier stretch of their own document (kernels.repeats):
    # rows doc (in the batch), a_lo, a_hi, b_lo, b_hi (tokens), and their similarities.
    # Only the scan reads them: a persistent index does not keep them.
    repeats: np.ndarray = field(default_factory=lambda: np.empty((0, 5), np.int64))
    repeat_similarity: np.ndarray = field(default_factory=lambda: np.empty(0))


def fingerprint(text: str) -> int:
    """64 bits of BLAKE2b of the text's UTF-8 (lone surrogates as they are): a
    report remembers each text by it, so an edited corpus is caught."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def keeps_tokens(cfg: Config) -> bool:
    """Whether a scan keeps every token (hash and span): template frames
    (paragraphs) and passages read them."""
    return cfg.finds("paragraphs") or cfg.finds("passages")


def prepare(cfg: Config) -> None:
    """Ready what featurize_batch uses: the character lookup tables (0.3 s)
    and its kernels, loaded from numba's cache (0.6 s). Worker processes
    forked afterwards have them ready too."""
    featurize_batch(["prepare"], cfg)


def featurize_batch(texts: list[str], cfg: Config) -> BatchFeatures:
    """Features of a batch of documents, computed for the whole batch at once
    by the compiled kernels (tests/test_reference.py holds them equal to a
    document-by-document computation with the plain functions). What no
    level of ``cfg.levels`` needs is left empty (and the repetition
    statistics 0).

    Paragraph band keys are computed for every paragraph of at least ``k``
    tokens, here in the worker, although only the first of each exact group
    is used: the group is only known once all earlier documents are in.
    """
    n, k = len(texts), cfg.shingle_size
    batch = tokenize_batch(texts)
    hashes, doc_tokens = batch.hashes, batch.doc_tokens
    space, breaks = space_tables()
    starts, ends, tok_lo, tok_hi = kernels.paragraphs(batch.codes, batch.starts, space, breaks)
    hasher = MinHasher(cfg.num_perm, cfg.seed)
    windows = kernels.windows(hashes, k, POSITION)
    empty = np.empty(0, np.uint64)
    para_sets, para_set_lengths = empty, np.zeros(len(tok_lo), np.int64)
    long_sigs = np.empty((0, cfg.num_perm), np.uint32)
    para_bits = np.empty((0, kernels.BIT_WORDS), np.uint64)
    previews, preview_lengths = np.empty(0, np.uint8), np.zeros(len(tok_lo), np.int64)
    para_keys = np.zeros(len(tok_lo), np.uint64)
    if cfg.finds("paragraphs"):
        para_keys = kernels.paragraph_keys(hashes, tok_lo, tok_hi)
        # (each sorted copy a temporary: a one-line document's is its size)
        long = tok_hi - tok_lo >= k
        para_sets, para_set_lengths, long_sigs = kernels.paragraph_sets(
            hashes, kernels.sort_runs(windows, tok_lo[long], tok_hi[long] - k + 1),
            tok_lo, tok_hi, k, POSITION, hasher.a, hasher.b,
        )  # fmt: skip
        previews, preview_lengths = _previews(batch.codes, starts, ends)
        para_bits = kernels.set_bits(para_sets, para_set_lengths, kernels.BIT_WORDS)[long]
    doc_sets, doc_set_lengths = empty, np.zeros(n, np.int64)
    sigs = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    repeats, repeat_similarity = np.empty((0, 5), np.int64), np.empty(0)
    if cfg.finds("documents") or cfg.finds("passages"):
        long = np.diff(doc_tokens) >= k
        ordered = kernels.sort_runs(windows, doc_tokens[:-1][long], doc_tokens[1:][long] - k + 1)
        if cfg.finds("documents"):
            doc_sets, doc_set_lengths, sigs = kernels.document_sets(
                hashes, windows, ordered, doc_tokens, tok_lo, tok_hi, long_sigs, k, POSITION,
                hasher.a, hasher.b,
            )  # fmt: skip
        if cfg.finds("passages"):
            repeats, repeat_similarity = _repeats(
                windows, ordered, doc_tokens, tok_lo, tok_hi, para_keys, cfg
            )
        del ordered  # (a one-line document's is its size)
    del windows  # read no more (a one-line document's: 8 bytes a token, before the repetition's)
    doc_words, doc_word_counts = empty, np.zeros(n, np.int64)
    if cfg.finds("passages"):
        doc_words, doc_word_counts = kernels.distinct(
            kernels.sort_runs(hashes, doc_tokens[:-1], doc_tokens[1:]), doc_tokens
        )
    repetition = np.zeros((n, len(stat_names())))
    if cfg.finds("repetition"):
        repetition = kernels.repetition(
            batch.codes, batch.doc_starts, batch.starts, batch.ends, batch.surface,
            doc_tokens, space, POSITION,
        )  # fmt: skip
    tok_doc = np.repeat(np.arange(n), np.diff(doc_tokens))
    spans = np.empty((0, 2), np.int32)
    if keeps_tokens(cfg):  # offsets in the document, written as int32 at once
        spans = np.empty((len(hashes), 2), np.int32)
        first = batch.doc_starts[tok_doc]
        np.subtract(batch.starts, first, out=spans[:, 0], casting="unsafe")
        np.subtract(batch.ends, first, out=spans[:, 1], casting="unsafe")
    para_doc = tok_doc[tok_lo]
    offsets = batch.doc_starts[para_doc]
    return BatchFeatures(
        chars=np.diff(batch.doc_starts) - 1,
        tokens=np.diff(doc_tokens),
        paragraphs=np.bincount(para_doc, minlength=n),
        fingerprints=np.fromiter(map(fingerprint, texts), np.uint64, n),
        repetition=repetition,
        doc_sigs=sigs,
        doc_bands=kernels.band_keys(sigs, *lsh_params(cfg.document_threshold, cfg.num_perm)),
        doc_sets=doc_sets,
        doc_set_lengths=doc_set_lengths,
        para_starts=starts - offsets,
        para_ends=ends - offsets,
        para_ntok=tok_hi - tok_lo,
        para_keys=para_keys,
        para_sets=para_sets,
        para_set_lengths=para_set_lengths,
        para_bands=kernels.band_keys(long_sigs, *lsh_params(cfg.paragraph_threshold, cfg.num_perm)),
        para_bits=para_bits,
        previews=previews,
        preview_lengths=preview_lengths,
        token_hashes=hashes if keeps_tokens(cfg) else empty,
        token_spans=spans,
        doc_words=doc_words,
        doc_word_counts=doc_word_counts,
        repeats=repeats,
        repeat_similarity=repeat_similarity,
    )


def _repeats(
    windows: np.ndarray,
    ordered: np.ndarray,
    doc_tokens: np.ndarray,
    tok_lo: np.ndarray,
    tok_hi: np.ndarray,
    para_keys: np.ndarray,
    cfg: Config,
) -> tuple[np.ndarray, np.ndarray]:
    """kernels.repeats of each document that may hold one (kernels.repeating:
    a few in a hundred), as BatchFeatures holds them; without those the
    paragraphs report whole (where paragraphs are looked for): a copy made of
    paragraphs of ``min_paragraph_tokens`` or more, each found earlier in
    its document, is a paragraph span already (most repeats in a corpus whose
    lines are paragraphs; tests/test_repeats.py holds the report equal)."""
    k, least = cfg.shingle_size, cfg.passage_min_tokens
    rows, similarities = [np.empty((0, 5), np.int64)], [np.empty(0)]
    for d in kernels.repeating(ordered, doc_tokens, k, least).tolist():
        t0, t1 = doc_tokens[d], doc_tokens[d + 1]
        w = windows[t0 : t1 - k + 1]
        found, similarity = kernels.repeats(
            w, np.argsort(w, kind="stable"), k, least, cfg.passage_gap, cfg.paragraph_threshold
        )
        if cfg.finds("paragraphs") and len(found):
            p0, p1 = np.searchsorted(tok_lo, [t0, t1])  # the document's paragraphs
            _, first, inverse = groups(para_keys[p0:p1])
            again = (first[inverse] < np.arange(p1 - p0)) & (
                tok_hi[p0:p1] - tok_lo[p0:p1] >= cfg.min_paragraph_tokens
            )
            said = np.zeros(t1 - t0, bool)  # its tokens in such paragraphs
            for lo, hi in zip(tok_lo[p0:p1][again] - t0, tok_hi[p0:p1][again] - t0, strict=True):
                said[lo:hi] = True
            before = np.concatenate(([0], np.cumsum(said)))
            new = before[found[:, 3]] - before[found[:, 2]] < found[:, 3] - found[:, 2]
            found, similarity = found[new], similarity[new]
        rows.append(np.column_stack((np.full(len(found), d), found)))
        similarities.append(similarity)
    return np.concatenate(rows), np.concatenate(similarities)


def _previews(
    codes: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 of each paragraph's first PREVIEW characters, concatenated, and their lengths."""
    return kernels.utf8(codes, starts, np.minimum(ends, starts + PREVIEW))
