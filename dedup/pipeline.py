"""The stage order, top to bottom: the only module that knows it.

    read -> tokenize+normalize -> paragraphs -> shingles -> MinHash
         -> paragraph groups (exact) + LSH candidates -> verify -> spans
         -> passages inside paragraphs (rare-word seeds) -> spans
         -> document LSH + shared paragraphs -> verify -> clusters

Documents stream through ``_featurize`` once; afterwards only numbers are
kept, never the text: a few per document and paragraph in memory, the bulky
ones (shingle sets, signatures, band keys, tokens) spilled to disk
(``store.py``) and read back when a candidate needs them: the corpus's
``Index`` (index.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import partial
from itertools import chain, combinations
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.align import Block, Copy, merge_blocks
from dedup.cluster import Coverage, clusters
from dedup.config import Config
from dedup.engines import Engine, make_engine, run
from dedup.features import BatchFeatures, prepare
from dedup.index import Index, Written, held, tokens_of
from dedup.lsh import band_pairs, decode, sketch_pairs
from dedup.minhash import estimate, ranges
from dedup.models import (
    Boilerplate,
    Cluster,
    DocPair,
    DocTable,
    Document,
    Ref,
    ScanResult,
    Span,
    SpanKind,
)
from dedup.outputs import spill_folder
from dedup.passages import Passage, find_passages
from dedup.repetition import stat_names
from dedup.verify import Members, jaccard, overlap

# Share of a document's smallest hashes another must hold for the pair to be
# a containment candidate (``_sketch_pairs``).
_SKETCH_SHARE = 0.5

# Documents per batch (one task for a worker, one numpy MinHash call).
_BATCH_DOCS = 1_000


def scan(
    documents: Iterable[Document],
    config: Config | None = None,
    progress: Callable[[Document], None] | None = None,
    workers: int = 1,
    tmp_dir: str | Path | None = None,
    stage: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> ScanResult:
    """Find every repeat in ``documents`` (consumed once, in order).

    ``workers`` > 1 spreads the work over a pool of that many processes, or
    ``engine`` runs it (engines/); the result is the same. Intermediate data
    is spilled to a temporary folder ``dedup-*`` in ``tmp_dir`` (default: the
    system's), removed at the end, or by the next scan if this one is
    killed. ``progress`` is called with each document read, ``stage`` with
    the name of each later stage.
    """
    cfg = config or Config()
    say = stage or (lambda name: None)
    with spill_folder(tmp_dir) as folder, engine or make_engine(workers) as run:
        corpus = Index(folder, cfg)
        try:
            _featurize(corpus, documents, progress, run)
            say("paragraph groups and LSH")
            if run.local:
                corpus.finish()
            else:  # the tasks open it where they run
                corpus.seal()
            edges = _paragraph_edges(corpus, cfg, run)
            say("paragraph spans")
            spans, boilerplate, shared = _paragraph_spans(corpus, edges, cfg)
            spans = _templates(corpus, spans, cfg)
            if cfg.passages:
                say("passages")
                spans = _add_passages(corpus, spans, cfg, run)
            say("document clusters")
            found, related = _document_clusters(corpus, shared, cfg, run)
        finally:
            corpus.close()
    counts = np.stack((corpus.doc_chars, corpus.doc_ntok, corpus.doc_paras), axis=1)
    stats = DocTable(corpus.doc_ids, counts, corpus.repetition, stat_names(), corpus.fingerprints)
    return ScanResult(cfg.describe(), stats, spans, found, boilerplate, related)


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
    c: Index,
    documents: Iterable[Document],
    progress: Callable[[Document], None] | None,
    engine: Engine,
) -> None:
    """Per-document features (by ``engine``'s tasks), gathered in input order."""
    prepare()  # the lookup tables, built once (a worker builds its own)
    task = partial(_featurize_task, c.path, c.cfg)
    for docs, (features, written) in engine.map(task, _batches(documents, _BATCH_DOCS)):
        c.append([doc.id for doc in docs], features, written)
        if progress is not None:
            for doc in docs:
                progress(doc)


def _featurize_task(
    folder: Path, cfg: Config, docs: list[Document]
) -> tuple[BatchFeatures, Written]:
    """A batch's features, spilled to the files of whichever process runs it."""
    return held(folder, cfg).featurize(docs)


def _encode(pairs: np.ndarray) -> np.ndarray:
    """Pairs ``(a, b)`` as ``a << 32 | b`` (the inverse of lsh.decode)."""
    encoded: np.ndarray = pairs[:, 0] << 32 | pairs[:, 1]
    return encoded


def _chunks(pairs: np.ndarray, size: int = 20_000) -> Iterator[np.ndarray]:
    for i in range(0, len(pairs), size):
        yield pairs[i : i + size]


def _verify(
    candidates: Iterable[np.ndarray],
    check: Callable[[np.ndarray], np.ndarray],
    engine: Engine,
    window: int = 1 << 22,
) -> np.ndarray:
    """The candidate pairs (encoded ``a << 32 | b``) that pass ``check``, distinct
    and sorted. Candidates come a band at a time; bands are gathered until
    they hold ``window`` pairs, so that a pair found in several of them is
    checked once, and what a window holds is checked by the engine's tasks. All
    bands' pairs together can be hundreds of millions, a window is a few
    million; a pair verified in an earlier window is not checked again."""
    verified = np.empty(0, np.int64)
    for pairs in _windows(candidates, window):
        pairs = pairs[~np.isin(pairs, verified)]
        kept = run(engine, check, _chunks(pairs))
        verified = np.union1d(verified, np.concatenate(kept)) if kept else verified
    return verified


def _windows(batches: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """The batches' values gathered until they number ``size``, distinct and sorted."""
    pending: list[np.ndarray] = []
    for batch in batches:
        pending.append(batch)
        if sum(map(len, pending)) >= size:
            yield np.unique(np.concatenate(pending))
            pending = []
    if pending:
        yield np.unique(np.concatenate(pending))


def _paragraph_edges(c: Index, cfg: Config, engine: Engine) -> dict[int, list[int]]:
    """Exact groups -> the other groups they are verified near-duplicates of.

    Only each group's first paragraph takes part in LSH, and only if it has
    at least k tokens: shorter paragraphs have one shingle, so exact groups
    already cover them.
    """
    adjacency: dict[int, list[int]] = {}
    is_long = c.para_ntok >= c.k
    lsh_groups = np.flatnonzero(is_long[c.group_first])
    if len(lsh_groups) < 2:
        return adjacency
    paras = c.group_first[lsh_groups]  # ascending: pairs keep their order
    rows = (np.cumsum(is_long) - 1)[paras]  # their rows in para_bands
    bands = (
        _encode(paras[decode(band_pairs(c.para_bands.column(b, rows)))])
        for b in range(c.para_bands.bands)
    )
    near = partial(_near_paragraphs, c.path, cfg)
    for ga, gb in c.para_group[decode(_verify(bands, near, engine))].tolist():
        adjacency.setdefault(ga, []).append(gb)
        adjacency.setdefault(gb, []).append(ga)
    return adjacency


def _near_paragraphs(folder: Path, cfg: Config, pairs: np.ndarray) -> np.ndarray:
    """The paragraph pairs (encoded) whose shingle sets are near-duplicates."""
    sets = held(folder, cfg, complete=True).para_sets
    sims = [jaccard(sets[a], sets[b]) for a, b in decode(pairs).tolist()]
    kept: np.ndarray = pairs[np.array(sims) >= cfg.paragraph_threshold]
    return kept


def _components(n: int, adjacency: dict[int, list[int]]) -> np.ndarray:
    """Each node's component, named by its smallest node."""
    a = np.fromiter((g for g, others in adjacency.items() for _ in others), np.int64)
    b = np.fromiter((h for others in adjacency.values() for h in others), np.int64)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    root = np.full(labels.max() + 1 if n else 0, n, np.int64)
    np.minimum.at(root, labels, np.arange(n))
    named: np.ndarray = root[labels]
    return named


def _paragraph_spans(
    c: Index, adjacency: dict[int, list[int]], cfg: Config
) -> tuple[list[Span], list[Boilerplate], np.ndarray]:
    """Spans, boilerplate, and the document pairs sharing a non-boilerplate paragraph."""
    comp = _components(len(c.group_first), adjacency)[c.para_group]  # per paragraph
    comp_doc = np.unique(comp << 32 | c.para_doc)  # each (component, document) once
    comps, docs_per_comp = np.unique(comp_doc >> 32, return_counts=True)
    boiler = comps[docs_per_comp >= cfg.boilerplate_min_docs]
    comp_docs = np.zeros(len(c.group_first), np.int64)  # documents holding each component
    comp_docs[comps] = docs_per_comp
    is_boiler = np.zeros(len(c.group_first), bool)
    is_boiler[boiler] = True

    # A paragraph copies something only if its group occurred earlier or has
    # near-duplicates: only documents holding such a paragraph need a look.
    has_near = np.zeros(len(c.group_first), bool)
    has_near[list(adjacency)] = True
    maybe = (c.group_first[c.para_group] < np.arange(len(c.para_group))) | has_near[c.para_group]
    spans: list[Span] = []
    short = c.para_ntok < cfg.min_paragraph_tokens  # may sit, uncopied, inside an original
    for d in np.unique(c.para_doc[maybe]).tolist():
        seen: dict[int, int] = {}  # group -> its first paragraph in this document
        copies: list[Copy] = []
        lo, hi = int(c.doc_first_para[d]), int(c.doc_first_para[d + 1])
        for p, g in enumerate(c.para_group[lo:hi].tolist(), start=lo):
            near = adjacency.get(g, [])
            kind: SpanKind = "within"
            orig = seen.get(g)
            if orig is None:
                orig = min((seen[h] for h in near if h in seen), default=None)
            if orig is None:
                kind = "boilerplate" if is_boiler[comp[p]] else "across"
                first = int(c.group_first[g])
                orig = first if first < p else None
                if orig is None:
                    orig = min((f for h in near if (f := int(c.group_first[h])) < p), default=None)
            seen.setdefault(g, p)
            if orig is not None:
                copies.append(Copy(p, orig, kind, c.para_ntok[p] >= cfg.min_paragraph_tokens))
        for b, sim in _blocks(c, copies, cfg, short):
            copy = c.ref(b.first, b.last)
            formula = b.kind == "within" and _is_formula(c, b, comp_docs[comp], cfg)
            spans.append(
                Span(
                    copy.doc,
                    copy.start,
                    copy.end,
                    "formula" if formula else b.kind,
                    round(sim, 4),
                    c.ref(b.orig_first, b.orig_last),
                )
            )

    occurrences = np.bincount(comp, minlength=len(c.group_first))
    documents = dict(zip(comps.tolist(), docs_per_comp.tolist(), strict=True))
    boilerplate = []
    for x in boiler.tolist():
        first = int(c.group_first[x])
        preview = c.previews[first].tobytes().decode("utf-8", "surrogatepass")
        boilerplate.append(
            Boilerplate(c.ref(first, first), documents[x], int(occurrences[x]), preview)
        )
    # Documents sharing a paragraph (not boilerplate): every pair of them.
    shared = comp_doc[~is_boiler[comp_doc >> 32]]
    comp_of, doc_of = shared >> 32, shared & 0xFFFFFFFF
    cut = np.flatnonzero(np.diff(comp_of)) + 1
    pairs = [
        (a, b)
        for docs in np.split(doc_of, cut)
        if len(docs) > 1
        for a, b in combinations(docs.tolist(), 2)
    ]
    return spans, boilerplate, np.array(pairs, np.int64).reshape(-1, 2)


def _is_formula(c: Index, b: Block, docs: np.ndarray, cfg: Config) -> bool:
    """Whether a block repeated inside its document is one a reader keeps
    (``docs``: how many documents hold each paragraph's text; see
    ``Config.formula_min_docs``)."""
    if b.first == b.orig_last + 1:  # doubled in place: a scraping repeat
        return False
    common = bool((docs[b.first : b.last + 1] >= cfg.formula_min_docs).all())
    return common or int(c.para_ntok[b.first : b.last + 1].sum()) < cfg.formula_max_tokens


def _templates(c: Index, spans: list[Span], cfg: Config, block: int = 10_000) -> list[Span]:
    """Paragraph copies across documents made of template text, as boilerplate.

    A photo gallery's "Next Previous" and a photographer's byline, a
    columnist's contact line with the columnist's own code, a dateline with
    the day's date: each recurs in fewer documents than a boilerplate
    paragraph because its slot differs, but its frame recurs in many. A
    paragraph's frame is its longest prefix and its longest suffix that
    begin or end paragraphs in many more documents than it is in (see
    ``frame``); a copy with fewer than ``min_paragraph_tokens`` tokens
    outside its paragraphs' frames is template text, not copying. Affixes
    are counted over the corpus only for the copies' own, a block of
    documents at a time.
    """
    asked = {i: s for i, s in enumerate(spans) if s.kind == "across" and s.match == "paragraph"}
    if not asked:
        return spans
    index = {doc_id: d for d, doc_id in enumerate(c.doc_ids)}
    paras: dict[int, np.ndarray] = {}  # span -> its paragraphs
    for i, s in asked.items():
        d = index[s.doc]
        lo, hi = int(c.doc_first_para[d]), int(c.doc_first_para[d + 1])
        inside = (c.para_start[lo:hi] >= s.start) & (c.para_end[lo:hi] <= s.end)
        paras[i] = lo + np.flatnonzero(inside)
    mine = np.unique(np.concatenate(list(paras.values())))
    row = {p: r for r, p in enumerate(mine.tolist())}
    # Their affixes, then how many documents hold each: two passes over the tokens.
    pre = np.zeros((len(mine), _FRAME), np.uint64)
    suf = np.zeros_like(pre)
    for take, tables in _affix_blocks(c, block, mine):
        pre[np.searchsorted(mine, take)], suf[np.searchsorted(mine, take)] = tables
    valid = np.arange(_FRAME) < c.para_ntok[mine, None]
    wanted = np.unique(np.concatenate((pre[valid], suf[valid])))
    is_wanted, df = Members(wanted), np.zeros(len(wanted), np.int64)
    for take, tables in _affix_blocks(c, block):
        ok = np.arange(_FRAME) < c.para_ntok[take, None]
        owner = np.broadcast_to(c.para_doc[take, None], ok.shape)[ok]
        for table in tables:
            h = table[ok]
            keep = is_wanted(h)
            held = np.unique(owner[keep] * len(wanted) + np.searchsorted(wanted, h[keep]))
            df += np.bincount(held % len(wanted), minlength=len(df))  # a document once

    # A paragraph's frame: its affixes found in at least boilerplate_min_docs
    # documents and in twice as many as the paragraph itself (its longest
    # prefix), else a list item of a republished statement ("7 - جندي متدرب
    # ...") would be its own frame. An affix of a frequent affix is as
    # frequent, so the frame is a count.
    pre_df = np.where(valid, df[np.searchsorted(wanted, pre)], -1)
    suf_df = np.where(valid, df[np.searchsorted(wanted, suf)], -1)
    own = pre_df[np.arange(len(mine)), valid.sum(axis=1) - 1]
    least = np.maximum(cfg.boilerplate_min_docs, 2 * own)[:, None]
    frame = (pre_df >= least).sum(axis=1) + (suf_df >= least).sum(axis=1)
    content = np.maximum(0, c.para_ntok[mine] - frame)
    out = list(spans)
    for i, ps in paras.items():
        if int(content[[row[p] for p in ps.tolist()]].sum()) < cfg.min_paragraph_tokens:
            out[i] = replace(spans[i], kind="boilerplate")
    return out


# A paragraph's prefixes and suffixes of up to _FRAME tokens, hashed (a
# polynomial hash, seeded apart for the two ends).
_FRAME = 16
_PREFIX, _SUFFIX, _MIX = (
    np.uint64(0x243F6A8885A308D3),
    np.uint64(0x13198A2E03707344),
    np.uint64(0x100000001B3),
)


def _affix_blocks(
    c: Index, block: int, only: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]]:
    """``(paragraphs, (prefix hashes, suffix hashes))``, the paragraphs of
    ``block`` documents at a time (those in ``only``, if given):
    ``(paragraphs, _FRAME)`` tables, entry ``j`` the hash of the first or
    last ``j + 1`` tokens (0 past the paragraph's length)."""
    n = len(c.doc_ids)
    doc_tok_first = np.concatenate(([0], np.cumsum(c.doc_ntok)))
    para_tok_first = np.cumsum(c.para_ntok) - c.para_ntok
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        p_lo, p_hi = int(c.doc_first_para[lo]), int(c.doc_first_para[hi])
        take = np.arange(p_lo, p_hi)
        if only is not None:
            take = take[np.isin(take, only)]
            if not len(take):
                continue
        tokens = c.tokens.range(lo, hi)
        first = para_tok_first[take] - doc_tok_first[lo]
        count = c.para_ntok[take]
        tables = (
            np.zeros((len(take), _FRAME), np.uint64),
            np.zeros((len(take), _FRAME), np.uint64),
        )
        h = [np.full(len(take), _PREFIX), np.full(len(take), _SUFFIX)]
        for j in range(_FRAME):
            live = np.flatnonzero(count > j)
            if not len(live):
                break
            ends = (first[live] + j, first[live] + count[live] - 1 - j)
            with np.errstate(over="ignore"):
                for table, hashes, at in zip(tables, h, ends, strict=True):
                    hashes[live] = hashes[live] * _MIX + tokens[at]
                    table[live, j] = hashes[live]
        yield take, tables


def _blocks(
    c: Index, copies: list[Copy], cfg: Config, short: np.ndarray
) -> Iterator[tuple[Block, float]]:
    """A document's copies merged into blocks, with their similarity. The
    original side of a block may skip ``max_gap`` paragraphs the copy leaves
    out; where that drags the similarity below the threshold (a long
    paragraph skipped), the block is split there instead: its original would
    claim text never copied."""
    doc_of = lambda p: int(c.para_doc[p])  # noqa: E731

    def similarity(b: Block) -> float:
        return jaccard(c.union_set(b.first, b.last), c.union_set(b.orig_first, b.orig_last))

    for b in merge_blocks(copies, doc_of, cfg.max_gap):
        sim = similarity(b)
        if sim < cfg.paragraph_threshold and b.orig_last - b.orig_first > b.last - b.first:
            inside = [x for x in copies if b.first <= x.para <= b.last]
            for part in merge_blocks(inside, doc_of, cfg.max_gap, lambda p: bool(short[p])):
                yield part, similarity(part)
        else:
            yield b, sim


def _add_passages(c: Index, spans: list[Span], cfg: Config, engine: Engine) -> list[Span]:
    """Paragraph spans plus the passages they do not already cover, in document order.

    A passage is redundant when fewer than ``passage_min_tokens`` of its
    tokens lie outside the spans of its document whose originals are as
    early as its own (a paragraph span already says it, or an earlier
    document was already named as its original: the earliest original
    wins), or when half of it is in a passage of the same original already.
    A paragraph span naming a later document does not hide the passage: both
    are true, and the passage names the first copy. So a paragraph span and
    the lightly edited paragraph next to it, which only the passage holds,
    are both reported.
    """
    found = find_passages(
        partial(tokens_of, c.path, cfg),
        c.doc_words,
        c.path,
        engine,
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
    template: dict[int, list[Span]] = {}
    for s in spans:
        if s.kind == "boilerplate":
            template.setdefault(index[s.doc], []).append(s)
    ordered = sorted(found, key=lambda p: (p.b, p.a, p.b_lo))
    for p in map(partial(_without_template, c, template, cfg), ordered):
        if p is None:
            continue
        tb, ta = c.token_spans[p.b], c.token_spans[p.a]
        start, end = int(tb[p.b_lo, 0]), int(tb[p.b_hi - 1, 1])
        kept = by_doc.setdefault(p.b, [])
        starts = tb[p.b_lo : p.b_hi, 0]
        said = np.zeros(len(starts), bool)  # tokens an earlier original already accounts for
        again = np.zeros(len(starts), bool)  # tokens a passage of the same original holds
        for a, s in kept:
            inside = (starts >= s.start) & (starts < s.end)
            if a <= p.a:
                said |= inside
            if a == p.a and s.match == "passage":
                again |= inside
        if len(starts) - said.sum() < cfg.passage_min_tokens or 2 * again.sum() >= len(starts):
            continue
        orig = Ref(c.doc_ids[p.a], int(ta[p.a_lo, 0]), int(ta[p.a_hi - 1, 1]))
        span = Span(c.doc_ids[p.b], start, end, "across", p.similarity, orig, "passage")
        kept.append((p.a, span))
    return [s for d in sorted(by_doc) for _, s in sorted(by_doc[d], key=lambda x: x[1].start)]


def _without_template(
    c: Index, template: dict[int, list[Span]], cfg: Config, p: Passage
) -> Passage | None:
    """The passage without the boilerplate at its ends, and its similarity
    without the boilerplate inside it: a passage that matches only a
    columnist's sign-off and contact lines is no copy."""
    if p.a not in template and p.b not in template:
        return p
    sides = []
    for d, lo, hi in ((p.a, p.a_lo, p.a_hi), (p.b, p.b_lo, p.b_hi)):
        starts = c.token_spans[d][lo:hi, 0]
        plain = np.ones(len(starts), bool)
        for s in template.get(d, []):
            plain &= (starts < s.start) | (starts >= s.end)
        kept = np.flatnonzero(plain)
        if len(kept) < cfg.passage_min_tokens:
            return None
        sides.append((lo + kept[0], lo + kept[-1] + 1, c.tokens[d][lo:hi][plain]))
    (a_lo, a_hi, words_a), (b_lo, b_hi, words_b) = sides
    similarity = jaccard(np.unique(words_a), np.unique(words_b))
    if similarity < cfg.passage_threshold:
        return None
    return Passage(p.a, int(a_lo), int(a_hi), p.b, int(b_lo), int(b_hi), round(similarity, 4))


def _document_clusters(
    c: Index, shared: np.ndarray, cfg: Config, engine: Engine
) -> tuple[list[Cluster], list[DocPair]]:
    """Clusters around kept documents (cluster.py), and the other verified pairs.

    Candidates: LSH at the Jaccard threshold, documents sharing a paragraph
    (``shared``), and documents holding half of another's smallest shingle
    hashes (``_sketch_pairs``): the last two catch contained documents that
    LSH misses. Every candidate is verified on the exact shingle sets.
    """
    rule = Coverage(cfg.document_threshold, cfg.containment_threshold, cfg.min_containment_shingles)

    def counts(a: int, b: int) -> tuple[int, int, int]:
        sa, sb = c.doc_sets[a], c.doc_sets[b]
        return len(sa), len(sb), overlap(sa, sb)

    live = np.flatnonzero(c.doc_sets.lengths())  # empty documents match nothing

    bands = range(c.doc_bands.bands if len(live) > 1 else 0)
    candidates = chain(
        [_encode(shared), _sketch_pairs(c, cfg)],  # document numbers already
        (_encode(live[decode(band_pairs(c.doc_bands.column(b, live)))]) for b in bands),
    )
    verified = []
    near = partial(_near_documents, c.path, cfg)
    for a, b in decode(_verify(candidates, near, engine)).tolist():
        est = estimate(c.doc_sigs[a][0], c.doc_sigs[b][0])
        verified.append(DocPair(c.doc_ids[a], c.doc_ids[b], *counts(a, b), round(est, 4)))
    docs = {d for p in verified for d in (p.a, p.b)}
    position = {d: i for i, d in enumerate(c.doc_ids) if d in docs}
    chars = {d: int(c.doc_chars[i]) for d, i in position.items()}
    return clusters(verified, position, chars, rule, cfg.representative)


def _near_documents(folder: Path, cfg: Config, pairs: np.ndarray) -> np.ndarray:
    """The document pairs (encoded) one of which covers the other (cluster.py)."""
    sets = held(folder, cfg, complete=True).doc_sets
    rule = Coverage(cfg.document_threshold, cfg.containment_threshold, cfg.min_containment_shingles)
    keep, last, sa = [], -1, np.empty(0, np.uint64)
    for a, b in decode(pairs).tolist():
        if a != last:  # pairs come sorted: read each first document once
            last, sa = a, sets[a]
        sb = sets[b]
        both = overlap(sa, sb)
        keep.append(rule.covered(len(sa), len(sb), both) or rule.covered(len(sb), len(sa), both))
    kept: np.ndarray = pairs[np.array(keep, bool)]
    return kept


def _sketch_pairs(c: Index, cfg: Config, block: int = 10_000) -> np.ndarray:
    """Documents (encoded pairs) one of which holds at least half of the
    other's ``containment_sketch`` smallest shingle hashes.

    If ``x`` is contained in ``y`` at 0.8, each of x's smallest hashes is in y
    with a chance of about 0.8, so that y holding fewer than half of 16 is rare
    (binomially 7e-4); a document sharing only a paragraph or two of x holds
    far fewer. Three passes over the shingle sets, ``block`` documents at a
    time: the smallest hashes of every document, how many documents hold
    each, and which of the rarer ones each document holds.
    """
    m = cfg.containment_sketch
    bottoms = []
    for _, values, lengths in _set_blocks(c, block):
        starts = np.cumsum(lengths) - lengths  # each set is sorted: its smallest come first
        bottoms.append(values[ranges(starts, starts + np.minimum(lengths, m))])
    sketch = np.unique(np.concatenate(bottoms)) if bottoms else np.empty(0, np.uint64)
    if not len(sketch):
        return np.empty(0, np.int64)
    # Hashes held by more than containment_max_df documents count for nothing:
    # counted first, so that the holdings kept stay few (at most that many each).
    in_sketch, df = Members(sketch), np.zeros(len(sketch), np.int64)
    for _, values, _ in _set_blocks(c, block):
        df += np.bincount(np.searchsorted(sketch, values[in_sketch(values)]), minlength=len(df))
    in_rare = Members(sketch[df <= cfg.containment_max_df])
    keys, owners, own = [], [], []
    for lo, values, lengths in _set_blocks(c, block):
        held = in_rare(values)
        rank = np.arange(len(values)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keys.append(values[held])
        owners.append(np.repeat(np.arange(lo, lo + len(lengths)), lengths)[held])
        own.append(rank[held] < m)
    return sketch_pairs(
        np.concatenate(keys),
        np.concatenate(owners),
        np.concatenate(own),
        cfg.containment_max_df,
        _SKETCH_SHARE,
    )


def _set_blocks(c: Index, block: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(first document, their shingle sets concatenated, their lengths)``, a block at a time."""
    n = len(c.doc_ids)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        yield lo, c.doc_sets.range(lo, hi), c.doc_sets.lengths(lo, hi)
