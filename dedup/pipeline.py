"""The stage order, top to bottom: the only module that knows it.

    read -> tokenize+normalize -> paragraphs -> shingles -> MinHash
         -> paragraph groups (exact) + LSH candidates -> verify -> spans
         -> passages inside paragraphs (rare-word seeds) -> spans
         -> document LSH + shared paragraphs -> verify -> clusters

Documents stream through ``_featurize`` once; afterwards only numbers are
kept (shingle sets, signatures, token hashes and offsets), never the text.
Those numbers still grow with the corpus: bounding them is the next step
(spilling to disk, see the README).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations

import numpy as np

from dedup.align import Copy, merge_blocks
from dedup.cluster import UnionFind
from dedup.config import Config
from dedup.engines import parallel
from dedup.features import featurize_batch
from dedup.lsh import band_keys, candidate_pairs, lsh_params
from dedup.minhash import estimate
from dedup.models import (
    Boilerplate,
    Cluster,
    DocPair,
    DocStats,
    Document,
    Ref,
    ScanResult,
    Span,
    SpanKind,
)
from dedup.passages import find_passages
from dedup.verify import jaccard, jaccard_containment

# Documents MinHashed per numpy batch.
_BATCH_DOCS = 1_000
_PREVIEW = 120


@dataclass
class _Corpus:
    """What pass 1 keeps: one entry per document / paragraph / exact group."""

    doc_ids: list[str] = field(default_factory=list)
    doc_stats: list[DocStats] = field(default_factory=list)
    doc_first_para: list[int] = field(default_factory=lambda: [0])  # prefix offsets
    doc_sets: list[np.ndarray] = field(default_factory=list)
    doc_sigs: list[np.ndarray] = field(default_factory=list)  # one row a document
    para_doc: list[int] = field(default_factory=list)
    para_start: list[int] = field(default_factory=list)
    para_end: list[int] = field(default_factory=list)
    para_ntok: list[int] = field(default_factory=list)
    para_group: list[int] = field(default_factory=list)
    para_sets: list[np.ndarray] = field(default_factory=list)
    group_first: list[int] = field(default_factory=list)
    group_ids: dict[bytes, int] = field(default_factory=dict)
    group_preview: dict[int, str] = field(default_factory=dict)
    # Paragraphs that stand for their exact group in LSH (first of the group,
    # at least k tokens), and their band keys in batches.
    lsh_paras: list[int] = field(default_factory=list)
    lsh_keys: list[np.ndarray] = field(default_factory=list)
    # Per document, for passages: normalized token hashes and token char spans.
    doc_tokens: list[np.ndarray] = field(default_factory=list)
    doc_token_spans: list[np.ndarray] = field(default_factory=list)  # int32 (n, 2)

    def doc_paras(self, d: int) -> range:
        return range(self.doc_first_para[d], self.doc_first_para[d + 1])

    def ref(self, first: int, last: int) -> Ref:
        return Ref(self.doc_ids[self.para_doc[first]], self.para_start[first], self.para_end[last])

    def union_set(self, first: int, last: int) -> np.ndarray:
        return np.unique(np.concatenate(self.para_sets[first : last + 1]))


def scan(
    documents: Iterable[Document],
    config: Config | None = None,
    progress: Callable[[Document], None] | None = None,
    workers: int = 1,
) -> ScanResult:
    """Find every repeat in ``documents`` (consumed once, in order).

    ``workers`` > 1 computes per-document features in that many processes;
    the result is the same.
    """
    cfg = config or Config()
    corpus = _featurize(documents, cfg, progress, workers)
    edges = _paragraph_edges(corpus, cfg)
    spans, boilerplate, shared = _paragraph_spans(corpus, edges, cfg)
    if cfg.passages:
        spans = _add_passages(corpus, spans, cfg)
    clusters = _document_clusters(corpus, shared, cfg)
    return ScanResult(cfg.describe(), corpus.doc_stats, spans, clusters, boilerplate)


def _batches(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for doc in documents:
        batch.append(doc)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _featurize(
    documents: Iterable[Document],
    cfg: Config,
    progress: Callable[[Document], None] | None,
    workers: int,
) -> _Corpus:
    """Per-document features (on ``workers`` processes), gathered in input order."""
    c = _Corpus()
    bands, rows = lsh_params(cfg.paragraph_threshold, cfg.num_perm)
    k = cfg.shingle_size
    features = partial(
        featurize_batch,
        k=k,
        num_perm=cfg.num_perm,
        seed=cfg.seed,
        bands=bands,
        rows=rows,
        keep_tokens=cfg.passages,
    )
    for docs, batch in parallel(features, _batches(documents, _BATCH_DOCS), workers):
        new_groups: list[np.ndarray] = []  # band keys of this batch's new lsh_paras
        for doc, f in zip(docs, batch, strict=True):
            d = len(c.doc_ids)
            for i, key in enumerate(f.para_keys):
                p = len(c.para_doc)
                start, end, ntok = int(f.para_starts[i]), int(f.para_ends[i]), int(f.para_ntok[i])
                g = c.group_ids.setdefault(key, len(c.group_first))
                if g == len(c.group_first):
                    c.group_first.append(p)
                    if ntok >= k:  # shorter paragraphs have one shingle: exact groups cover them
                        c.lsh_paras.append(p)
                        new_groups.append(f.para_bands[i])
                elif g not in c.group_preview:  # seen twice: worth a preview in the report
                    c.group_preview[g] = doc.text[start : min(end, start + _PREVIEW)]
                c.para_doc.append(d)
                c.para_start.append(start)
                c.para_end.append(end)
                c.para_ntok.append(ntok)
                c.para_group.append(g)
            c.para_sets.extend(f.para_sets)
            c.doc_sets.append(f.doc_set)
            c.doc_sigs.append(f.doc_sig)
            c.doc_first_para.append(len(c.para_doc))
            c.doc_ids.append(doc.id)
            c.doc_stats.append(f.stats)
            if f.token_hashes is not None and f.token_spans is not None:
                c.doc_tokens.append(f.token_hashes)
                c.doc_token_spans.append(f.token_spans)
            if progress is not None:
                progress(doc)
        if new_groups:
            c.lsh_keys.append(np.stack(new_groups))
    return c


def _paragraph_edges(c: _Corpus, cfg: Config) -> dict[int, list[int]]:
    """Exact groups -> the other groups they are verified near-duplicates of."""
    adjacency: dict[int, list[int]] = {}
    if not c.lsh_keys:
        return adjacency
    paras = np.array(c.lsh_paras)
    for i, j in candidate_pairs(np.concatenate(c.lsh_keys)).tolist():
        a, b = int(paras[i]), int(paras[j])
        if jaccard(c.para_sets[a], c.para_sets[b]) >= cfg.paragraph_threshold:
            ga, gb = c.para_group[a], c.para_group[b]
            adjacency.setdefault(ga, []).append(gb)
            adjacency.setdefault(gb, []).append(ga)
    return adjacency


def _paragraph_spans(
    c: _Corpus, adjacency: dict[int, list[int]], cfg: Config
) -> tuple[list[Span], list[Boilerplate], list[list[int]]]:
    """Spans, boilerplate, and the documents sharing each non-boilerplate paragraph."""
    uf = UnionFind(len(c.group_first))
    for g, others in adjacency.items():
        for h in others:
            uf.union(g, h)
    comp = [uf.find(g) for g in c.para_group]
    comp_docs: dict[int, list[int]] = {}
    for comp_id, d in sorted(set(zip(comp, c.para_doc, strict=True))):
        comp_docs.setdefault(comp_id, []).append(d)
    boiler = {x for x, docs in comp_docs.items() if len(docs) >= cfg.boilerplate_min_docs}

    spans: list[Span] = []
    for d in range(len(c.doc_ids)):
        seen: dict[int, int] = {}  # group -> its first paragraph in this document
        copies: list[Copy] = []
        for p in c.doc_paras(d):
            g = c.para_group[p]
            near = adjacency.get(g, [])
            kind: SpanKind = "within"
            orig = seen.get(g)
            if orig is None:
                orig = min((seen[h] for h in near if h in seen), default=None)
            if orig is None:
                kind = "boilerplate" if comp[p] in boiler else "across"
                first = c.group_first[g]
                orig = first if first < p else None
                if orig is None:
                    orig = min(
                        (c.group_first[h] for h in near if c.group_first[h] < p), default=None
                    )
            seen.setdefault(g, p)
            if orig is not None:
                copies.append(Copy(p, orig, kind, c.para_ntok[p] >= cfg.min_paragraph_tokens))
        for b in merge_blocks(copies, c.para_doc.__getitem__, cfg.max_gap):
            sim = jaccard(c.union_set(b.first, b.last), c.union_set(b.orig_first, b.orig_last))
            copy = c.ref(b.first, b.last)
            spans.append(
                Span(
                    copy.doc,
                    copy.start,
                    copy.end,
                    b.kind,
                    round(sim, 4),
                    c.ref(b.orig_first, b.orig_last),
                )
            )

    occurrences = Counter(comp)
    boilerplate = [
        Boilerplate(
            c.ref(c.group_first[x], c.group_first[x]),
            len(comp_docs[x]),
            occurrences[x],
            c.group_preview.get(x, ""),
        )
        for x in sorted(boiler)
    ]
    shared = [docs for x, docs in comp_docs.items() if len(docs) > 1 and x not in boiler]
    return spans, boilerplate, shared


def _add_passages(c: _Corpus, spans: list[Span], cfg: Config) -> list[Span]:
    """Paragraph spans plus the passages they do not already cover, in document order.

    A passage at least half covered by spans of its document whose originals
    are as early as its own is redundant: a paragraph span already says it,
    or an earlier document was already named as its original (the earliest
    original wins). A paragraph span naming a later document does not hide
    the passage: both are true, and the passage names the first copy.
    """
    found = find_passages(
        c.doc_tokens,
        gap=cfg.passage_gap,
        min_seeds=cfg.passage_min_seeds,
        max_df=cfg.passage_max_df,
        threshold=cfg.passage_threshold,
        min_tokens=cfg.passage_min_tokens,
    )
    index = {doc_id: d for d, doc_id in enumerate(c.doc_ids)}
    by_doc: dict[int, list[tuple[int, Span]]] = {}  # doc -> (original's doc, span)
    for s in spans:
        by_doc.setdefault(index[s.doc], []).append((index[s.duplicate_of.doc], s))
    for p in sorted(found, key=lambda p: (p.b, p.a, p.b_lo)):
        tb, ta = c.doc_token_spans[p.b], c.doc_token_spans[p.a]
        start, end = int(tb[p.b_lo, 0]), int(tb[p.b_hi - 1, 1])
        kept = by_doc.setdefault(p.b, [])
        covered = sum(max(0, min(end, s.end) - max(start, s.start)) for a, s in kept if a <= p.a)
        if 2 * covered >= end - start:
            continue
        orig = Ref(c.doc_ids[p.a], int(ta[p.a_lo, 0]), int(ta[p.a_hi - 1, 1]))
        span = Span(c.doc_ids[p.b], start, end, "across", p.similarity, orig, "passage")
        kept.append((p.a, span))
    return [s for d in sorted(by_doc) for _, s in sorted(by_doc[d], key=lambda x: x[1].start)]


def _document_clusters(c: _Corpus, shared: list[list[int]], cfg: Config) -> list[Cluster]:
    sigs = np.stack(c.doc_sigs) if c.doc_sigs else np.empty((0, cfg.num_perm), np.uint32)
    live = np.array([d for d, s in enumerate(c.doc_sets) if len(s)], dtype=np.int64)
    candidates: set[tuple[int, int]] = set()
    if len(live) > 1:
        bands, rows = lsh_params(cfg.document_threshold, cfg.num_perm)
        for i, j in candidate_pairs(band_keys(sigs[live], bands, rows)).tolist():
            candidates.add((int(live[i]), int(live[j])))
    for docs in shared:  # documents sharing a paragraph: catches containment LSH misses
        candidates.update(combinations(docs, 2))

    uf = UnionFind(len(c.doc_ids))
    verified: list[tuple[int, int, DocPair]] = []
    for a, b in sorted(candidates):
        sa, sb = c.doc_sets[a], c.doc_sets[b]
        jac, cont = jaccard_containment(sa, sb)
        if jac >= cfg.document_threshold or (
            cont >= cfg.containment_threshold
            and min(len(sa), len(sb)) >= cfg.min_containment_shingles
        ):
            uf.union(a, b)
            pair = DocPair(
                c.doc_ids[a],
                c.doc_ids[b],
                round(jac, 4),
                round(cont, 4),
                round(estimate(sigs[a], sigs[b]), 4),
            )
            verified.append((a, b, pair))

    groups = uf.groups()
    pairs_of: dict[int, list[DocPair]] = {root: [] for root in groups}
    for a, _, pair in verified:
        pairs_of[uf.find(a)].append(pair)
    clusters = []
    for n, (root, members) in enumerate(sorted(groups.items())):
        if cfg.representative == "longest":
            rep = max(members, key=lambda d: (c.doc_stats[d].chars, -d))
        else:
            rep = members[0]
        clusters.append(Cluster(n, [c.doc_ids[d] for d in members], c.doc_ids[rep], pairs_of[root]))
    return clusters
