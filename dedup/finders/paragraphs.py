"""Paragraph level: exact groups and LSH-verified near-duplicates of paragraphs,
merged into blocks (kernels.copy_blocks) and reported as spans: ``within`` (repeated
inside the document), ``formula`` (a repeat a reader keeps), ``across``
(copied from an earlier document), ``boilerplate`` (in many documents, or a
template)."""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.engines import Engine, run
from dedup.finders import (
    Gathered,
    Stored,
    band_parts,
    bucketed,
    encode,
    key_part,
    map_arrays,
    save_arrays,
    shared_values,
    started,
    verify,
)
from dedup.index import Index, Outside, held, here
from dedup.lsh import MAX_BUCKET, band_pairs, decode, group_pairs
from dedup.minhash import POSITION, ranges
from dedup.models import Boilerplate, Span, SpanKind
from dedup.verify import Members, distinct, groups, runs, unique


@dataclass(slots=True)
class Block:
    """Paragraphs ``first..last`` copying ``orig_first..orig_last`` (inclusive,
    global paragraph numbers): consecutive copies merged (kernels.copy_blocks)."""

    kind: SpanKind
    first: int
    last: int
    orig_first: int
    orig_last: int
    long: bool  # it holds a paragraph of at least min_paragraph_tokens tokens


def paragraph_edges(c: Index, cfg: Config, engine: Engine) -> dict[int, list[int]]:
    """Exact groups -> the other groups they are verified near-duplicates of:
    by LSH on shingles, and short ones copied with an edit (``edited_pairs``).

    Only each group's first paragraph takes part in LSH, and only if it has
    at least k tokens: shorter paragraphs have one shingle, so exact groups
    already cover them. Each band is bucketed by tasks of its own, a part
    of its keys each (sent the part's keys where the workers do not see the
    index's folder, and the pairs that may reach are kept here, when the
    paragraphs are many); else here, a band after another.
    """
    adjacency: dict[int, list[int]] = {}
    paras = lsh_paragraphs(c)
    if len(paras) < 2:
        return adjacency
    # Where the workers bucket and verify, this process finds the edited
    # copies meanwhile (1M documents: 8 s they waited for after), unless
    # the workers have a copy of its folder: they read the tokens then.
    editing: Callable[[], np.ndarray] = partial(edited_pairs, c, cfg)
    if engine.opens and not engine.shares_disk:  # the tasks read the tokens where they are
        editing = partial(edited_pairs, c, cfg, engine)  # after the verification's tasks
    elif not engine.local:
        editing = started(editing)
    rows = (np.cumsum(c.para_ntok >= c.k) - 1)[paras]  # their rows in para_bands and para_bits
    stored = Stored(c.path, cfg, "para_sets")
    bands: Iterable[np.ndarray]
    parts = band_parts(len(paras))  # of each band, a task's
    if engine.opens and not engine.local:  # the tasks read them where they run
        np.save(c.path / "lsh.npy", np.stack((paras, rows)))
        engine.publish(c.path, [c.path / "lsh.npy"])
        task = partial(_band_candidates, stored, str(c.path / "lsh.npy"), parts)
        bands = run(engine, task, itertools.product(range(c.para_bands.bands), range(parts)))
    else:
        bits = np.stack([c.para_bits.column(w, rows) for w in range(c.para_bits.bands)], 1)
        lsh = _Lsh(paras, rows, bits, c.para_sets.sizes(paras))
        if engine.local or len(paras) < _SENT_BANDS:  # a band when verify asks for it
            task = partial(_band_candidates, stored, lsh, 1)
            bands = map(task, ((band, 0) for band in range(c.para_bands.bands)))
        else:  # a task buckets a part of a band's keys, sent to it; the bit maps stay here
            places: deque[np.ndarray | None] = deque()  # where each part's keys are in the band

            def keys() -> Iterator[np.ndarray]:
                for band in range(c.para_bands.bands):
                    column = c.para_bands.column(band, rows)
                    for part in range(parts):
                        places.append(None if parts == 1 else key_part(column, part, parts))
                        yield column if places[-1] is None else column[places[-1]]

            bands = [
                _reachable(lsh, _placed(pairs, places.popleft()), cfg)
                for _, pairs in engine.map(band_pairs, keys())
            ]
    near = partial(_near_paragraphs, cfg)
    verified = verify(bands, near, engine, stored)
    for ga, gb in c.para_group[np.concatenate((decode(verified), editing()))].tolist():
        adjacency.setdefault(ga, []).append(gb)
        adjacency.setdefault(gb, []).append(ga)
    return adjacency


# Paragraphs in LSH from which workers that do not see the index's folder
# bucket the bands, each sent a band's keys (else this process buckets
# them, a band after another: 15 s of its time at 1M documents, 4.9M
# paragraphs, where 2 workers took as long either way, 1.015; SaudiNewsNet's
# 143,000 took 10% longer by tasks, the keys' trips to the workers).
_SENT_BANDS = 300_000


def lsh_paragraphs(c: Index) -> np.ndarray:
    """The paragraphs that take part in LSH, ascending (so pairs keep their
    order): each exact group's first, if it has at least k tokens."""
    paras: np.ndarray = c.group_first[np.flatnonzero(c.para_ntok[c.group_first] >= c.k)]
    return paras


class _Lsh(NamedTuple):
    """The paragraphs in LSH, their rows in ``para_bands``, and their bit
    maps and set sizes (``kernels.may_reach``), read once for every band."""

    paras: np.ndarray
    rows: np.ndarray
    bits: np.ndarray
    sizes: np.ndarray


def _band_candidates(
    stored: Stored, lsh: _Lsh | str, parts: int, item: tuple[int, int]
) -> np.ndarray:
    """The candidate pairs (encoded) of part ``item = (band, part)`` of a
    band (the keys ``key_part`` gives it): its buckets' pairs of paragraphs,
    less those that cannot reach the threshold. Most fall far short (a
    bucket shared by chance): the bit maps of the paired paragraphs tell so
    without their shingle sets (kernels.may_reach: exact, a pair it drops
    cannot pass). ``lsh``: what every band reads (``parts`` 1), or the file
    of the paragraphs and rows, in a task: it reads the bit maps and sizes
    of the paragraphs its part pairs only (a task's memory stays a part's)."""
    c = held(stored.folder, stored.cfg, complete=True)
    band, part = item
    if isinstance(lsh, _Lsh):
        return _reachable(lsh, band_pairs(c.para_bands.column(band, lsh.rows)), stored.cfg)
    paras, rows = np.load(here(lsh), mmap_mode="r")
    pairs = bucketed(c.para_bands, band, rows, part, parts)
    items, _, slots = groups(pairs.reshape(-1))  # the paragraphs paired here, and their pairs
    bits = np.stack([c.para_bits.take(w, rows[items]) for w in range(c.para_bits.bands)], 1)
    paired = _Lsh(paras[items], rows[items], bits, c.para_sets.sizes(paras[items]))
    return _reachable(paired, encode(slots.reshape(-1, 2)), stored.cfg)


def _placed(pairs: np.ndarray, places: np.ndarray | None) -> np.ndarray:
    """Pairs (encoded) of a part's keys as pairs of the band's entries:
    ``places`` ascending, so they stay ``i < j`` and sorted."""
    if places is None:
        return pairs
    return encode(places[decode(pairs)])


def _reachable(lsh: _Lsh, pairs: np.ndarray, cfg: Config) -> np.ndarray:
    """Of a band's pairs of ``lsh``'s entries (encoded: ``band_pairs``),
    those that may reach the threshold, as pairs of paragraphs (encoded)."""
    ab = decode(pairs)
    keep = kernels.may_reach(ab, lsh.bits, lsh.sizes, cfg.paragraph_threshold)
    return encode(lsh.paras[ab[keep]])


def _near_paragraphs(cfg: Config, item: tuple[Stored | Gathered, np.ndarray]) -> np.ndarray:
    """The paragraph pairs (encoded) whose shingle sets are near-duplicates."""
    sets, pairs = item
    sizes, shared = shared_values(sets.open(), pairs)
    kept: np.ndarray = pairs[similar(sizes[:, 0], sizes[:, 1], shared, cfg.paragraph_threshold)]
    return kept


def similar(
    sizes: np.ndarray, others: np.ndarray, shared: np.ndarray, threshold: float
) -> np.ndarray:
    """For pairs of shingle sets (their sizes and how many values they
    share), whether their Jaccard similarity reaches ``threshold``."""
    union = sizes + others - shared
    similarity = np.divide(shared, union, out=np.ones(len(shared)), where=union > 0)
    found: np.ndarray = similarity >= threshold
    return found


def short_limit(cfg: Config, paired: bool = False) -> int:
    """The fewest tokens a paragraph needs for one edited word to leave its
    shingle set at ``paragraph_threshold``: 24 at k = 5, 0.6, and 32 for a
    paragraph ``paired`` (written in letter pairs: Chinese, Japanese, Thai),
    where a word of two letters replaced changes three tokens. ``e`` tokens
    replaced in a row cost k + e - 1 of the n - k + 1 shingles and put as
    many new ones in."""
    k, t, e = cfg.shingle_size, cfg.paragraph_threshold, 3 if paired else 1
    return math.ceil((2 * k - 2 + e * (1 + t)) / (1 - t)) if t < 1 else 2**31


def edit_sized(c: Index, paras: np.ndarray, cfg: Config) -> np.ndarray:
    """Which of ``paras`` are short enough to be compared by their edits
    (edited_pairs; not ``min_paragraph_tokens``' short). Letter pairs
    overlap, so a paragraph of them has about a character a token, one of
    words five or more: under two, it is ``paired``."""
    n = c.para_ntok[paras].astype(np.int64)
    paired = c.para_end[paras] - c.para_start[paras] < 2 * n
    limit = np.where(paired, short_limit(cfg, True), short_limit(cfg))
    found: np.ndarray = (n >= 2 * cfg.shingle_size) & (n <= limit)
    return found


def edited_pairs(
    c: Index, cfg: Config, engine: Engine | None = None, block: int = 10_000
) -> np.ndarray:
    """Pairs ``(p, q)`` of paragraphs, each the first of its exact group,
    that are copies with a word or two edited: short paragraphs (2k tokens
    to ``short_limit``, those LSH on shingles misses) whose token edit
    similarity, 1 - edits / tokens of the longer, reaches ``edit_threshold``.

    Candidates by pigeonhole: a paragraph's disjoint k-grams (tokens 0 to
    k - 1, k to 2k - 1, ...) outnumber the edits its copy may have, so the
    copy holds one of them unchanged. Each is looked up among every k-gram
    of the others; a k-gram in more than ``MAX_BUCKET`` paragraphs (a
    formula's) pairs the first of them with the rest only. Tokens are read
    ``block`` documents at a time, three times (the disjoint k-grams, then
    every k-gram, then the candidates' tokens): never all at once. By
    ``engine``'s tasks where they open the index (else here)."""
    paras = c.group_first[edit_sized(c, c.group_first, cfg)]
    if len(paras) < 2:
        return np.empty((0, 2), np.int64)
    index: Index | str = c
    where = Engine()
    if engine is not None and engine.opens and not engine.local:
        index, where = str(c.path), engine
    owner = c.para_doc[paras]  # ascending: a block's paragraphs are a run of them
    parts = np.split(paras, np.searchsorted(owner, unique(owner)[block::block]))
    looked = unique(np.concatenate(run(where, partial(_disjoint_grams, index, cfg), parts)))
    found: Members | str = Members(looked)
    if where is engine:
        found = str(c.path / "edit_grams.npy")
        np.save(found, looked)
        where.publish(c.path, [Path(found)])
    # (k-gram, paragraph): every k-gram of a paragraph that is one's disjoint one
    holders = run(where, partial(_gram_holders, index, cfg, found), parts)
    both = unique(np.concatenate(holders))  # by k-gram, then paragraph; each once
    candidates = decode(unique(group_pairs(both & 0xFFFFFFFF, both >> 32, MAX_BUCKET)))
    # Lengths further apart than the edits allowed cannot pass: left out
    # before their tokens are read (most candidates, where paragraphs share
    # a template's k-grams).
    n = c.para_ntok[candidates].astype(np.int64)
    near = np.abs(n[:, 0] - n[:, 1]) <= most_edits(n.max(axis=1), cfg)
    pairs: np.ndarray = candidates[near]
    if not len(pairs):
        return pairs
    # A task's pairs read their paragraphs' tokens once; here, all at once.
    size = _EDIT_PAIRS if where is engine else len(pairs)
    task = partial(_within_edits, index, cfg, block)
    chunks = (pairs[i : i + size] for i in range(0, len(pairs), size))
    return np.concatenate(run(where, task, chunks))


# Candidate pairs of edited paragraphs a task compares (edited_pairs).
_EDIT_PAIRS = 200_000


def _tables(index: Index | str, cfg: Config) -> Index:
    """``index``, or, in a task, the one in its folder with the paragraph
    tables mapped (Index.paragraph_tables)."""
    return index if isinstance(index, Index) else held(Path(index), cfg, True).paragraph_tables()


def _disjoint_grams(index: Index | str, cfg: Config, paras: np.ndarray) -> np.ndarray:
    """The k-grams at 0, k, 2k, ... of the paragraphs ``paras`` (sorted, of
    one block of documents), distinct; ``index``: or its folder, in a task."""
    c = _tables(index, cfg)
    k = cfg.shingle_size
    chunks = [grams[at % k == 0] for _, grams, at in _grams(c, paras, k, len(paras))]
    return unique(np.concatenate(chunks))


def _gram_holders(
    index: Index | str, cfg: Config, looked: Members | str, paras: np.ndarray
) -> np.ndarray:
    """Every k-gram of the paragraphs ``paras`` found in ``looked`` (or where
    it is saved, in a task), as ``k-gram << 32 | paragraph``."""
    c = _tables(index, cfg)
    members = looked if isinstance(looked, Members) else Members(np.load(here(looked), "r"))
    pairs = [np.empty(0, np.int64)]
    for take, grams, _ in _grams(c, paras, cfg.shingle_size, len(paras)):
        found = members.find(grams)
        pairs.append(found[found >= 0].astype(np.int64) << 32 | take[found >= 0])
    return np.concatenate(pairs)


def _within_edits(index: Index | str, cfg: Config, block: int, pairs: np.ndarray) -> np.ndarray:
    """Those of ``pairs`` whose edit similarity reaches ``edit_threshold``:
    their tokens read (``block`` documents' at a time), then the edit
    distance of each, up to what it may be."""
    c = _tables(index, cfg)
    need = unique(pairs.reshape(-1))
    values = np.concatenate([t for t, _ in _paragraph_tokens(c, need, block)])
    offsets = np.concatenate(([0], np.cumsum(c.para_ntok[need].astype(np.int64))))
    slots = np.searchsorted(need, pairs)
    most = most_edits(c.para_ntok[pairs].astype(np.int64).max(axis=1), cfg)
    edits = kernels.edit_distances(values, offsets, slots[:, 0], slots[:, 1], most)
    kept: np.ndarray = pairs[edits <= most]
    return kept


def most_edits(longer: np.ndarray, cfg: Config) -> np.ndarray:
    """The edits two runs of tokens may differ by, ``longer`` the length of
    the longer (1e-9: 1 - 0.9 is a hair under 0.1 in floating point)."""
    most: np.ndarray = np.floor(longer * (1 - cfg.edit_threshold) + 1e-9).astype(np.int64)
    return most


def _grams(
    c: Index, paras: np.ndarray, k: int, block: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(paragraph, k-gram, position)`` rows of every k-gram of the
    paragraphs ``paras`` (sorted), ``block`` documents' at a time."""
    for tokens, take in _paragraph_tokens(c, paras, block):
        n = c.para_ntok[take].astype(np.int64)
        starts = np.concatenate(([0], np.cumsum(n)))[:-1]
        grams = kernels.windows(tokens, k, POSITION)  # across paragraphs too: those inside kept
        count = np.maximum(n - k + 1, 0)
        at = ranges(np.zeros(len(n), np.int64), count)  # each k-gram's position in its paragraph
        owner = np.repeat(np.arange(len(n)), count)
        yield take[owner], grams[starts[owner] + at], at


def _paragraph_tokens(
    c: Index, paras: np.ndarray, block: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The tokens of the paragraphs ``paras`` (sorted) concatenated, and those
    paragraphs, ``block`` documents' at a time."""
    for take, tokens, first in _token_blocks(c, block, paras):
        yield tokens[ranges(first, first + c.para_ntok[take])], take


def _components(n: int, adjacency: dict[int, list[int]]) -> np.ndarray:
    """Each node's component, named by its smallest node."""
    a = np.fromiter((g for g, others in adjacency.items() for _ in others), np.int64)
    b = np.fromiter((h for others in adjacency.values() for h in others), np.int64)
    return kernels.components(n, a, b)


def paragraph_spans(
    c: Index, adjacency: dict[int, list[int]], cfg: Config, engine: Engine | None = None
) -> tuple[list[Span], list[Boilerplate], np.ndarray]:
    """Spans, boilerplate, and the document pairs sharing a non-boilerplate
    paragraph. The spans are found ``_DOCS`` documents at a time, by
    ``engine``'s tasks where its workers see the index's folder (else here)."""
    group_comp = _components(len(c.group_first), adjacency)
    comp = group_comp[c.para_group]  # per paragraph
    comp_doc = unique(comp << 32 | c.para_doc)  # each (component, document) once
    comps, docs_per_comp = runs(comp_doc >> 32)  # sorted
    comp_docs = np.zeros(len(c.group_first), np.int64)  # documents holding each component
    comp_docs[comps] = docs_per_comp
    occurrences = np.bincount(comp, minlength=len(c.group_first))
    if c.outside is not None:  # and indexed documents this scan did not read
        keys = c.para_key[c.group_first]
        unread = Outside.count(keys, c.outside.keys, c.outside.key_docs)
        np.add.at(comp_docs, group_comp, unread)
        np.add.at(occurrences, group_comp, unread)  # at least once in each
    boiler = np.flatnonzero(comp_docs >= cfg.boilerplate_min_docs)
    listed = boiler  # the boilerplate the result lists: with an index, the batch's
    if c.outside is not None:
        mine = unique(comp_doc[(comp_doc & 0xFFFFFFFF) >= c.outside.first] >> 32)
        listed = boiler[np.isin(boiler, mine)]
    is_boiler = np.zeros(len(c.group_first), bool)
    is_boiler[boiler] = True

    # A paragraph copies something only if its group occurred earlier or has
    # near-duplicates: only documents holding such a paragraph need a look.
    has_near = np.zeros(len(c.group_first), bool)
    has_near[list(adjacency)] = True
    maybe = (c.group_first[c.para_group] < np.arange(len(c.para_group))) | has_near[c.para_group]
    docs = unique(c.para_doc[maybe])
    holders = comp_docs.astype(np.int32)[comp]  # (at a million documents 22 MB, not 44)
    looks = _Looks(is_boiler[comp], holders, *_near_lists(adjacency, len(c.group_first)))
    del comp, maybe, has_near  # (not held while the tasks run)
    if engine is not None and engine.opens and not engine.local:  # tasks open the index
        engine.publish(c.path, save_arrays(looks, str(c.path / "looks")))
        task = partial(_block_spans, str(c.path), cfg, str(c.path / "looks"))
    else:  # here
        engine, task = Engine(), partial(_block_spans, c, cfg, looks)
    spans = []
    for found in run(engine, task, (docs[lo : lo + _DOCS] for lo in range(0, len(docs), _DOCS))):
        for kind, first, last, orig_first, orig_last, similarity in found:
            copy, origin = c.ref(first, last), c.ref(orig_first, orig_last)
            spans.append(Span(copy.doc, copy.start, copy.end, kind, similarity, origin))

    boilerplate = []
    firsts = np.sort(c.group_first[listed])  # distinct
    previews = dict(zip(firsts.tolist(), c.previews.each(firsts), strict=True))
    for x in listed.tolist():
        first = int(c.group_first[x])
        preview = previews[first].tobytes().decode("utf-8", "surrogatepass")
        boilerplate.append(
            Boilerplate(c.ref(first, first), int(comp_docs[x]), int(occurrences[x]), preview)
        )
    # Documents sharing a paragraph (not boilerplate): every pair of them.
    shared = comp_doc[~is_boiler[comp_doc >> 32]]
    pairs = group_pairs(shared & 0xFFFFFFFF, shared >> 32, len(shared))
    return spans, boilerplate, decode(pairs)


class _Looks(NamedTuple):
    """What finding a block's spans reads besides the index, a row a
    paragraph: boilerplate or not, how many documents hold its text; and
    each group's near groups (``_near_lists``)."""

    boiler: np.ndarray
    docs: np.ndarray
    near_starts: np.ndarray
    near: np.ndarray


# A block's spans: (kind, first, last, original's first, original's last,
# similarity) of each, paragraph numbers (Index.ref makes them places).
_Found = tuple[SpanKind, int, int, int, int, float]


def _block_spans(
    index: Index | str, cfg: Config, where: _Looks | str, docs: np.ndarray
) -> list[_Found]:
    """The spans of the documents ``docs`` (each holds a paragraph that may
    copy: ``paragraph_spans``), in order. ``index`` and ``where``: the index
    and the looks, or, in a task, the index's folder and where the looks
    are saved."""
    c = _tables(index, cfg)
    looks = map_arrays(_Looks, where) if isinstance(where, str) else where
    short = c.para_ntok < cfg.min_paragraph_tokens  # may sit, uncopied, inside an original
    found: list[_Found] = []
    pending: list[tuple[Block, np.ndarray]] = []  # blocks and their copies' rows

    def flush() -> None:
        """Spans of the pending blocks, their sets read together."""
        sims = _similarities(c, [b for b, _ in pending], cfg)
        for (block, copies), sim in zip(pending, sims, strict=True):
            for b, similarity in _split(c, copies, block, sim, cfg, short):
                formula = b.kind == "within" and _is_formula(c, b, copies, looks.docs, cfg)
                kind: SpanKind = "formula" if formula else b.kind
                found.append(
                    (kind, b.first, b.last, b.orig_first, b.orig_last, round(similarity, 4))
                )
        pending.clear()

    # (a copy's row for every copying paragraph)
    rows = kernels.paragraph_copies(
        docs, c.doc_first_para, c.para_group, c.group_first,
        looks.boiler, ~short, looks.near_starts, looks.near,
    )  # fmt: skip
    blocks = kernels.copy_blocks(rows, c.para_doc, cfg.max_gap, np.empty(0, bool))
    at = np.searchsorted(rows[:, 0], blocks[:, 1])
    to = np.searchsorted(rows[:, 0], blocks[:, 2], "right")
    for row, i, j in zip(blocks.tolist(), at.tolist(), to.tolist(), strict=True):
        pending.append((_block(row), rows[i:j]))
        if len(pending) >= _PENDING:
            flush()
    flush()
    return found


def _is_formula(c: Index, b: Block, copies: np.ndarray, docs: np.ndarray, cfg: Config) -> bool:
    """Whether a block repeated inside its document is one a reader keeps
    (``copies``: kernels.paragraph_copies' rows, its own among them;
    ``docs``: how many documents hold each paragraph's text; see
    ``Config.formula_min_docs``). A short paragraph repeated away from its
    original with a word or two changed counts as common: a formula with
    its slot filled anew (a condolence cable's for a second sender)."""
    if b.first == b.orig_last + 1:  # doubled in place: a scraping repeat
        return False
    rare = docs[b.first : b.last + 1] < cfg.formula_min_docs
    origs = {p: orig for p, orig in copies[:, :2].tolist() if b.first <= p <= b.last}
    common = all(
        _edited(c, p, origs.get(p), cfg) for p in (b.first + np.flatnonzero(rare)).tolist()
    )
    return common or int(c.para_ntok[b.first : b.last + 1].sum()) < cfg.formula_max_tokens


def _edited(c: Index, p: int, orig: int | None, cfg: Config) -> bool:
    """Whether paragraph ``p`` is a short one that copies ``orig`` with a
    word or two edited: their shingle sets alone would not say so."""
    if (
        orig is None
        or c.para_group[p] == c.para_group[orig]
        or not edit_sized(c, np.array([p]), cfg)[0]
    ):
        return False
    a, b = c.para_sets[p], c.para_sets[orig]
    sizes = np.array([len(a)]), np.array([len(b)])
    return not similar(*sizes, np.array([kernels.overlap(a, b)]), cfg.paragraph_threshold)[0]


def templates(
    c: Index, spans: list[Span], cfg: Config, engine: Engine | None = None, block: int = 10_000
) -> list[Span]:
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
    documents at a time; the copies' affixes are found, and counted, here,
    or by ``engine``'s tasks (where the workers have a copy of the scan's
    folder: read here, the tokens would cross the network).
    """
    asked = [i for i, s in enumerate(spans) if s.kind == "across" and s.match == "paragraph"]
    if not asked:
        return spans
    # A span's paragraphs (those wholly inside it) are a run of its
    # document's, which are in text order: every span's run at once, by
    # binary searches in the paragraphs of the documents concerned
    # (``near``), keyed by document and offset.
    doc = np.array([c.doc_number[spans[i].doc] for i in asked], np.int64)
    start, end = np.array([(spans[i].start, spans[i].end) for i in asked], np.int64).T
    concerned = unique(doc)
    first, after = c.doc_first_para[concerned], c.doc_first_para[concerned + 1]
    near = ranges(first, after)
    base = int(c.para_end[near].max(initial=0)) + 1  # a document's key: its rank * base
    key = np.repeat(np.arange(len(concerned)) * base, after - first)
    doc_key = np.searchsorted(concerned, doc) * base
    lo = np.searchsorted(key + c.para_start[near], doc_key + start)
    hi = np.maximum(lo, np.searchsorted(key + c.para_end[near], doc_key + end, side="right"))
    mine = unique(near[ranges(lo, hi)])  # sorted: a row by searchsorted
    # Their affixes, then how many documents hold each: two passes over the
    # tokens, by the engine's tasks where they open the index.
    tasks = engine if engine is not None and engine.opens and not engine.local else None
    pre = np.zeros((len(mine), _FRAME), np.uint64)
    suf = np.zeros_like(pre)
    found: Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]]
    if tasks is not None:
        owner = c.para_doc[mine]  # ascending: a block's paragraphs are a run of them
        parts = np.split(mine, np.searchsorted(owner, unique(owner)[block::block]))
        task = partial(_copy_affixes, str(c.path), cfg, block)
        found = (affixes for _, affixes in tasks.map(task, parts))
    else:
        found = _affix_blocks(c, block, mine)
    for take, (prefixes, suffixes) in found:  # each put in place as it comes
        rows = np.searchsorted(mine, take)
        pre[rows], suf[rows] = prefixes, suffixes
    valid = np.arange(_FRAME) < c.para_ntok[mine, None]
    each = int(valid.sum())
    ordered = np.empty(2 * each, np.uint64)  # one array, not 4 of a concatenation and a sort's
    ordered[:each], ordered[each:] = pre[valid], suf[valid]
    ordered = distinct(ordered)
    # The copies' affixes, in a table that counts their holders as the
    # corpus's documents are read (48 bytes an affix).
    if tasks is not None:
        # Each task counts a block's, reading the table; blocks hold other
        # documents, so their counts add up, by the affixes' ranks. The
        # tasks build the table from the affixes (_ranked_table): this
        # process holds and sends only them (at 1M documents 63 MB, the
        # table 380 MB), and the counts.
        saved, n = c.path / "affixes.npy", len(c.doc_ids)
        np.save(saved, ordered)
        tasks.publish(c.path, [saved])
        counting = partial(_affix_holders, str(c.path), cfg, str(saved))
        blocks = (range(lo, min(n, lo + block)) for lo in range(0, n, block))
        df = np.zeros(len(ordered), np.int64)
        for _, (ranks, counts) in tasks.map(counting, blocks):  # each added as it comes
            df[ranks] += counts
        # (About an affix a bucket: 4 bytes one, not the default's 16.)
        find = Members(ordered, len(ordered).bit_length()).find

        def holders(values: np.ndarray) -> np.ndarray:
            found: np.ndarray = df[find(values)]
            return found
    else:
        table = kernels.affix_table(ordered)
        for take, tokens, first in _token_blocks(c, block):
            _count_affixes(c, take, tokens, first, table)

        def holders(values: np.ndarray) -> np.ndarray:
            return kernels.affix_counts(table, values)

    # A paragraph's frame: its affixes found in at least boilerplate_min_docs
    # documents and in twice as many as the paragraph itself (its longest
    # prefix), else a list item of a republished statement ("7 - جندي متدرب
    # ...") would be its own frame. An affix of a frequent affix is as
    # frequent, so the frame is a count.
    pre_df, suf_df = np.full(pre.shape, -1, np.int32), np.full(suf.shape, -1, np.int32)
    pre_df[valid] = holders(pre[valid])
    suf_df[valid] = holders(suf[valid])
    own = pre_df[np.arange(len(mine)), valid.sum(axis=1) - 1]
    least = np.maximum(cfg.boilerplate_min_docs, 2 * own)[:, None]
    frame = (pre_df >= least).sum(axis=1) + (suf_df >= least).sum(axis=1)
    content = np.zeros(len(near) + 1, np.int64)  # by ``near``, summed: a run's by two reads
    content[1 + np.searchsorted(near, mine)] = np.maximum(0, c.para_ntok[mine] - frame)
    content = np.cumsum(content)
    out = list(spans)
    for i in np.array(asked)[content[hi] - content[lo] < cfg.min_paragraph_tokens].tolist():
        out[i] = replace(spans[i], kind="boilerplate")
    return out


# A paragraph's prefixes and suffixes of up to _FRAME tokens, hashed (a
# polynomial hash, seeded apart for the two ends: kernels.affixes).
_FRAME = 16
_PREFIX, _SUFFIX, _MIX = (
    np.uint64(0x243F6A8885A308D3),
    np.uint64(0x13198A2E03707344),
    np.uint64(0x100000001B3),
)


def _affix_blocks(
    c: Index, block: int, only: np.ndarray
) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]]:
    """``(paragraphs, (prefix hashes, suffix hashes))`` of the paragraphs
    ``only`` (sorted), ``block`` documents' at a time (only their tokens
    are read): ``(paragraphs, _FRAME)`` tables, entry ``j`` the hash of
    the first or last ``j + 1`` tokens (0 past the paragraph's length)."""
    for take, tokens, first in _token_blocks(c, block, only):
        yield (
            take,
            kernels.affixes(tokens, first, c.para_ntok[take], _FRAME, _PREFIX, _SUFFIX, _MIX),
        )


def _copy_affixes(
    folder: str, cfg: Config, block: int, paras: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A task: ``_affix_blocks`` of the paragraphs ``paras`` (sorted, of
    ``block`` documents at most), their tokens read where it runs."""
    ((take, affixes),) = _affix_blocks(_tables(folder, cfg), block, paras)
    return take, affixes


def _count_affixes(
    c: Index, take: np.ndarray, tokens: np.ndarray, first: np.ndarray, table: np.ndarray
) -> None:
    """The holders of the table's affixes counted in it, among the documents
    of the paragraphs ``take`` (a ``_token_blocks`` block)."""
    kernels.affix_holders(
        tokens, first, c.para_ntok[take], c.para_doc[take], _FRAME, (_PREFIX, _SUFFIX, _MIX), table
    )


def _affix_holders(
    folder: str, cfg: Config, saved: str, docs: range
) -> tuple[np.ndarray, np.ndarray]:
    """A task: how many of the documents ``docs`` hold each of the affixes
    ``saved`` (sorted), as the ranks of those found and their counts, by
    their table (``_ranked_table``; a task writes none of it:
    kernels.affix_hits)."""
    c = _tables(folder, cfg)
    table = _ranked_table(here(saved))
    ((take, tokens, first),) = _token_blocks(c, len(docs), within=docs)
    seeds = (_PREFIX, _SUFFIX, _MIX)
    owners = c.para_doc[take].astype(np.int64)
    hits = kernels.affix_hits(tokens, first, c.para_ntok[take], owners, _FRAME, seeds, table)
    rows, counts = runs(unique(hits) >> 32)
    return (table[rows, 1] - 1).astype(np.int64), counts


def _ranked_table(saved: Path) -> np.ndarray:
    """The table of the affixes ``saved`` (kernels.affix_table, built into
    a file: its rows hold their ranks), mapped: the first task on a
    machine (or on a worker's copy of the scan's folder) to want it builds
    it beside them, and the others map it; its tasks share one copy in
    the page cache. Two built at once are the same."""
    table = saved.with_suffix(".table.npy")
    if not table.exists():
        ordered = np.load(saved)
        part = saved.with_suffix(f".{os.getpid()}.{threading.get_ident()}.npy")
        into = np.lib.format.open_memmap(part, "w+", np.uint64, kernels.affix_shape(len(ordered)))
        kernels.affix_table(ordered, into)
        into.flush()
        del into
        try:
            os.replace(part, table)
        except OSError:  # another's in place, mapped (Windows replaces no mapped file)
            part.unlink()
    mapped: np.ndarray = np.load(table, mmap_mode="r")
    return mapped


def _token_blocks(
    c: Index, block: int, only: np.ndarray | None = None, within: range | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(paragraphs, tokens, first)``: the paragraphs of ``block`` documents
    at a time (those in ``only``, if given, sorted: then only their
    documents' tokens are read; else those of the documents ``within``, or
    of all), those documents' tokens, and where each paragraph's first
    token is in them."""
    if only is not None:
        docs = unique(c.para_doc[only])
    else:  # a task's index has no ids
        docs = np.arange(len(c.doc_ids)) if within is None else np.arange(within.start, within.stop)
    for lo in range(0, len(docs), block):
        some = docs[lo : lo + block]
        p_lo, p_hi = int(c.doc_first_para[some[0]]), int(c.doc_first_para[some[-1] + 1])
        take = np.arange(p_lo, p_hi)
        if only is not None:
            take = only[np.searchsorted(only, p_lo) : np.searchsorted(only, p_hi)]
        tokens = c.tokens.gather(some)  # a read a run of consecutive documents
        read_first = np.cumsum(c.doc_ntok[some]) - c.doc_ntok[some]  # each one's, in tokens
        owner = c.para_doc[take]
        # Where each paragraph starts in its document, in tokens: counted from
        # p_lo, over this block's stretch only (over the corpus at every call,
        # 4 s of a million documents' scan).
        ntok = c.para_ntok[p_lo:p_hi].astype(np.int64)
        at = np.cumsum(ntok) - ntok
        inside = at[take - p_lo] - at[c.doc_first_para[owner] - p_lo]
        yield take, tokens, read_first[np.searchsorted(some, owner)] + inside


def _similarities(c: Index, blocks: list[Block], cfg: Config) -> list[float]:
    """Each block's similarity: the Jaccard similarity of its paragraphs'
    shingles and its original's, their sets read together (a read each cost
    more than the comparison); under ``paragraph_threshold`` (short
    paragraphs copied with an edit), their token edit similarity if that
    reaches ``edit_threshold``."""
    r = np.array([(b.first, b.last, b.orig_first, b.orig_last) for b in blocks], np.int64)
    r = r.reshape(-1, 4)
    sims = np.ones(len(r))
    # One paragraph copying one of its own group: the same normalized
    # tokens, so the same shingle set.
    same = (r[:, 0] == r[:, 1]) & (r[:, 2] == r[:, 3])
    read = ~(same & (c.para_group[r[:, 0]] == c.para_group[r[:, 2]]))
    lo, hi = r[read][:, [0, 2]].ravel(), r[read][:, [1, 3]].ravel() + 1  # copy, original, ...
    paras = unique(ranges(lo, hi))  # every paragraph in them
    offsets = np.concatenate(([0], np.cumsum(c.para_sets.sizes(paras))))
    first, end = np.searchsorted(paras, lo), np.searchsorted(paras, hi - 1) + 1
    sims[read] = kernels.range_jaccards(
        c.para_sets.gather(paras), offsets, first[0::2], end[0::2], first[1::2], end[1::2]
    )
    low = np.flatnonzero(sims < cfg.paragraph_threshold)
    if len(low):
        sims[low] = np.maximum(sims[low], _edit_similarities(c, r[low], cfg))
    out: list[float] = sims.tolist()
    return out


def _edit_similarities(c: Index, r: np.ndarray, cfg: Config) -> np.ndarray:
    """For blocks ``r`` (rows: first, last, original's first and last
    paragraph), 1 - edits / tokens of the longer side where that reaches
    ``edit_threshold``, else 0."""
    lo, hi = r[:, [0, 2]].ravel(), r[:, [1, 3]].ravel() + 1  # copy, original, copy, ...
    paras = unique(ranges(lo, hi))
    values = np.concatenate([t for t, _ in _paragraph_tokens(c, paras, 10_000)])
    at = np.concatenate(([0], np.cumsum(c.para_ntok[paras].astype(np.int64))))
    start, end = at[np.searchsorted(paras, lo)], at[np.searchsorted(paras, hi - 1) + 1]
    offsets = np.concatenate(([0], np.cumsum(end - start)))
    longer = (end - start).reshape(-1, 2).max(axis=1)
    most = most_edits(longer, cfg)
    slot = np.arange(0, 2 * len(r), 2)
    edits = kernels.edit_distances(values[ranges(start, end)], offsets, slot, slot + 1, most)
    return np.where(edits <= most, 1 - edits / np.maximum(longer, 1), 0.0)


# Blocks whose similarity is read at once (paragraph_spans).
_PENDING = 4096


def _split(
    c: Index, copies: np.ndarray, b: Block, similarity: float, cfg: Config, short: np.ndarray
) -> list[tuple[Block, float]]:
    """The block ``b`` (``copies``: its rows of kernels.paragraph_copies),
    with its ``similarity``. Its original side may skip ``max_gap``
    paragraphs the copy leaves out; where that drags the similarity below
    the threshold (a long paragraph skipped), the block is split there
    instead: its original would claim text never copied."""
    if similarity >= cfg.paragraph_threshold or b.orig_last - b.orig_first <= b.last - b.first:
        return [(b, similarity)]
    found = kernels.copy_blocks(copies, c.para_doc, cfg.max_gap, short)
    parts = [_block(row) for row in found.tolist()]
    return list(zip(parts, _similarities(c, parts, cfg), strict=True))


# kernels.paragraph_copies' kinds, by number (kernels.WITHIN, ACROSS, BOILERPLATE).
_KINDS: list[SpanKind] = ["within", "across", "boilerplate"]


def _block(row: list[int]) -> Block:
    """A row of kernels.copy_blocks."""
    kind, first, last, orig_first, orig_last, long = row
    return Block(_KINDS[kind], first, last, orig_first, orig_last, bool(long))


# Documents whose copies are found at once (paragraph_spans).
_DOCS = 10_000


def _near_lists(adjacency: dict[int, list[int]], groups: int) -> tuple[np.ndarray, np.ndarray]:
    """``adjacency`` as arrays: group ``g``'s near groups are
    ``near[starts[g]:starts[g + 1]]``."""
    keys = sorted(adjacency)
    counts = np.zeros(groups, np.int64)
    counts[keys] = [len(adjacency[g]) for g in keys]
    near = np.array([h for g in keys for h in adjacency[g]], np.int64)
    return np.concatenate(([0], np.cumsum(counts))), near
