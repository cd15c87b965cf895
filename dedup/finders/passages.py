"""Passage level: passages copied from one document into another, inside paragraphs.

Short reused passages inside long documents leave whole-document and
whole-paragraph similarity low, and shuffled passages keep their words but
lose their n-grams. So, as PAN text-alignment systems do, seed and extend,
with words rather than n-grams as seeds:

1. Rare words (in at least 2 and at most ``max_df`` documents, in no more
   than a tenth of the corpus, and not in the stop list) are the evidence:
   two articles on the same event share names and topic words everywhere,
   which only document frequency can tell from copied text. Two documents
   sharing at least ``min_seeds`` distinct rare words are a candidate pair
   (one sparse matrix product, no all-pairs loop).
2. In a candidate pair (``a`` earlier, ``b`` later), every occurrence in
   ``b`` of a rare word of ``a`` is a seed ``(pos_a, pos_b)``. Seeds are read
   in ``b``'s order and chained: a seed joins a chain when it lies within
   ``gap`` tokens of the chain in ``b`` and within ``gap`` tokens of its range
   in ``a``. Order inside the range does not matter, so shuffled words and
   phrases still chain. Chains close in both documents are merged.
3. A chain grows to the passage boundaries: word for word from its end seeds
   (verbatim text, across a changed word or a short insertion), then over
   words found in the other side's passage
   (shuffled text), always ending on a content word. Passages that touch in
   ``b`` are joined, and each is verified: the Jaccard similarity of the two
   sides' word sets must reach ``threshold``, and of their words counted
   with repeats too; a side that says the other's words over and over is
   first cut to where it stops copying them once (kernels.once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.engines import Engine, run
from dedup.finders import save_arrays
from dedup.index import Index, Outside, held, here, tokens_of, words_of
from dedup.lsh import decode
from dedup.models import Ref, Span, SpanKind
from dedup.store import Spill
from dedup.text import hash_key, normalize_token
from dedup.verify import Members, unique

# Function words of Arabic and English (normalized when loaded): frequent in
# every text, so they are no evidence of copying even in a small corpus where
# document frequency cannot tell.
_STOP_WORDS = """
في من على إلى الى عن مع أن ان إن أو او ثم حتى لا لم لن ما هل قد كان كانت يكون تكون هذا
هذه ذلك تلك هؤلاء الذي التي الذين اللذين اللتين اللاتي هو هي هم هن أنا نحن أنت كل بعض
غير بين عند عندما منذ خلال بعد قبل حيث كما لكن بل إذا اذا لو كي لقد وقد فقد و ف ب ل ك
وفي ومن وعلى وإلى والى وعن وأن وان وكان وهو وهي وهذا وهذه وذلك ولا ولم وما أي اي أيضا
ايضا فيه فيها منه منها عليه عليها إليه اليه له لها لهم به بها بهم عنه عنها
the of and to in a is that for it as was with be by on not he this are or his from at
which but have an they you were her she there been their has had will would can its
""".split()  # noqa: SIM905 (a word list reads best as text)
STOP_WORDS = frozenset(hash_key(normalize_token(w)) for w in _STOP_WORDS)
STOP_SORTED = np.array(sorted(STOP_WORDS), np.uint64)


class Arrays(Protocol):
    """Arrays by document index: a list, or a store spilled to disk."""

    def __len__(self) -> int: ...

    def __getitem__(self, d: int) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Passage:
    """Tokens ``[b_lo, b_hi)`` of document ``b`` copy tokens ``[a_lo, a_hi)`` of ``a``."""

    a: int
    a_lo: int
    a_hi: int
    b: int
    b_lo: int
    b_hi: int
    similarity: float  # Jaccard similarity of the two sides' word sets


def find_passages(
    tokens: Callable[[], Arrays],
    doc_words: Callable[[], Arrays],
    folder: Path,
    engine: Engine,
    *,
    gap: int,
    min_seeds: int,
    max_df: int,
    threshold: float,
    min_tokens: int,
    outside: Outside | None = None,
    beside: bool = False,
) -> list[Passage]:
    """Copied passages between documents (``a < b`` in input order), aligned
    by ``engine``'s tasks, a block of later documents at a time.

    ``tokens()[d]``: document ``d``'s normalized token hashes; ``doc_words()[d]``:
    the same, sorted and distinct (picklable callables: a task opens them
    where it runs). Both are read a document at a time (they may be
    spilled to disk), so memory grows with the rare words, not the text.
    What the tasks share (the rare words, the document x rare-word matrix:
    ``_state``) is put together here from what the engine's tasks count,
    and kept here for the local engine's tasks; saved in ``folder`` for
    others (and sent to workers with a copy of it: ``Engine.publish``), or,
    where they cannot read the words, counted here and sent to each worker
    (``Engine.share``). ``outside``: counts of documents a persistent index
    holds beyond these (rarity is over every document). ``beside``: this
    process finds other stages meanwhile, and the engine's workers see its
    folder: one task makes the state (its counts put together there), and
    this process's interpreter stays the other stages' (SaudiNewsNet, two
    local workers, ``benchmarks.turns``: 2.99 s a scan so, 3.12 s made here).
    """
    n = len(doc_words())
    if n < 2:
        return []
    job = _Job(str(folder / "passages"), tokens, gap, min_seeds, threshold, min_tokens)
    blocks = range(0, n, _BLOCK)
    if not engine.opens:  # the tasks cannot read the words: all here
        state = _state(Engine(), doc_words, max_df, outside, (folder, job.key))
        found = _shipped(engine, engine.share(state), job, blocks)
    elif beside and engine.shares_disk and not engine.local:
        run(engine, partial(_made, doc_words, max_df, outside, str(folder)), [job.key])
        found = run(engine, partial(_align_block, job), blocks)
    else:
        state = _state(engine, doc_words, max_df, outside, (folder, job.key))
        if engine.local:
            _STATES[job.key] = state
            try:
                found = run(engine, partial(_align_block, job), blocks)
            finally:
                _STATES.pop(job.key, None)
        else:  # the tasks load it where they run (_state saved it)
            found = run(engine, partial(_align_block, job), blocks)
    return [
        Passage(a, a_lo, a_hi, b, b_lo, b_hi, round(similarity, 4))
        for rows, similarities in found
        for (a, a_lo, a_hi, b, b_lo, b_hi), similarity in zip(
            rows.tolist(), similarities.tolist(), strict=True
        )
    ]


def _state(
    engine: Engine,
    doc_words: Callable[[], Arrays],
    max_df: int,
    outside: Outside | None,
    at: tuple[Path, str],
    saved: bool = False,
) -> _State:
    """The rare words (seeds) and the documents holding each. The engine's
    tasks count the words of ``_STATE_BLOCK`` documents each (added up
    here), then find the rare ones in them, where they read the words. For
    tasks in other processes (the engine's, or the alignment's: ``saved``),
    the state is saved at ``at`` (the scan's folder, the state's key;
    _State.load) and published: the rare words first, which the second
    tasks read, then the matrices."""
    words = doc_words()
    blocks = range(0, len(words), _STATE_BLOCK)
    counted = engine.map(partial(_frequencies, doc_words, _STATE_BLOCK), blocks)
    vocab, df = tallied(counts for _, counts in counted)
    everyone = len(words)
    if outside is not None:  # documents of a persistent index this scan did not read
        df = df + Outside.count(vocab, outside.words, outside.word_docs)
        everyone += outside.docs
    rare = rare_words(vocab, df, everyone, max_df)
    given: Path | Members = Members(rare, rare=True)
    saved = saved or not engine.local
    folder, key = at
    if saved:
        np.save(f"{key}.rare.npy", rare)
        engine.publish(folder, [Path(f"{key}.rare.npy")])
    if not engine.local:
        given = Path(f"{key}.rare.npy")
    lengths, cols = [np.zeros(1, np.int64)], [np.empty(0, np.int32)]
    for _, (some, their) in engine.map(partial(_rare_in, doc_words, given, _STATE_BLOCK), blocks):
        lengths.append(some)
        cols.append(their)
    incidence = _Rows(np.cumsum(np.concatenate(lengths)), np.concatenate(cols))
    transposed = _transposed(incidence, len(rare))
    if saved:
        matrices = [
            *save_arrays(incidence, f"{key}.incidence"),
            *save_arrays(transposed, f"{key}.transposed"),
        ]
        engine.publish(folder, matrices)
    return _State(rare, incidence, transposed)


def _made(
    doc_words: Callable[[], Arrays], max_df: int, outside: Outside | None, folder: str, key: str
) -> None:
    """A task: the ``_state`` made where it runs, by tasks of its own, saved at ``key``."""
    _state(Engine(), doc_words, max_df, outside, (Path(folder), key), saved=True)


def _frequencies(
    doc_words: Callable[[], Arrays], size: int, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """A task: document_frequencies of documents ``lo`` .. ``lo + size - 1``."""
    return document_frequencies(doc_words(), lo=lo, hi=lo + size)


def _rare_in(
    doc_words: Callable[[], Arrays], rare: Path | Members, size: int, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """A task: the incidence matrix's rows of documents ``lo`` .. ``lo +
    size - 1`` (_incidence), as their lengths and columns."""
    if isinstance(rare, Path):
        rare = Members(np.load(here(rare)), rare=True)
    rows = _incidence(doc_words(), rare, lo, lo + size)
    return np.diff(rows.indptr), rows.indices


def _shipped(engine: Engine, state: _State, job: _Job, blocks: range) -> list[_Found]:
    """``find_passages`` by workers that do not see this process's files:
    a task finds a block's candidate pairs, then one is given the pairs and
    the tokens of their documents, read here."""
    tokens = job.tokens()
    found = engine.map(_candidates, ((state, lo, job.min_seeds) for lo in blocks))

    def aligning() -> Iterator[_Shipment]:
        for _, pairs in found:
            if len(pairs):
                docs = unique(pairs)
                yield state, job, pairs, docs, _read(tokens, docs)

    return run(engine, _align_shipped, aligning())


@dataclass(frozen=True)
class _Job:
    """What an alignment task is given: small, picklable."""

    key: str  # where the shared state is (see find_passages)
    tokens: Callable[[], Arrays]
    gap: int
    min_seeds: int
    threshold: float
    min_tokens: int


class _Rows(NamedTuple):
    """A 0/1 sparse matrix by rows (CSR without its ones): row ``r`` holds
    columns ``indices[indptr[r]:indptr[r + 1]]``, ascending."""

    indptr: np.ndarray  # int64
    indices: np.ndarray  # int32


class _State:
    """What every alignment task reads: the rare words and who holds them."""

    def __init__(self, rare: np.ndarray, incidence: _Rows, transposed: _Rows) -> None:
        self.rare = rare
        self.is_rare = Members(rare, rare=True)
        self.incidence = incidence
        self.transposed = transposed

    @classmethod
    def load(cls, key: str) -> _State:
        """Memory-mapped: the workers of a machine share one copy in its page cache."""
        key = str(here(key))

        def matrix(name: str) -> _Rows:
            return _Rows(*(np.load(f"{key}.{name}.{p}.npy", mmap_mode="r") for p in _Rows._fields))

        return cls(np.load(f"{key}.rare.npy"), matrix("incidence"), matrix("transposed"))


# Alignment state by key: put here by find_passages, or loaded by a task in
# a process of its own (and kept there for the scan's later blocks).
_STATES: dict[str, _State] = {}


def forget(folder: str) -> None:
    """Let go of the alignment states of this process under ``folder`` (a
    scan's, done): a Dask worker outlives the scans it aligned for, and a
    state maps files the scan removes."""
    for key in [k for k in _STATES if Path(folder) in Path(k).parents]:
        _STATES.pop(key, None)


def _align_block(job: _Job, lo: int) -> _Found:
    """The passages of documents ``lo`` .. ``lo + _BLOCK - 1`` (as ``b``):
    the tokens of the documents paired (about half of a news block's) in a
    read a run of documents, and every pair aligned by one kernel call
    (_align)."""
    state = _STATES.get(job.key)
    if state is None:
        state = _STATES[job.key] = _State.load(job.key)
    tokens = job.tokens()
    pairs = decode(_block_pairs(state.incidence, state.transposed, lo, lo + _BLOCK, job.min_seeds))
    if not len(pairs):
        return _NO_PASSAGES
    docs = unique(pairs)  # sorted: a slot by searchsorted
    return _align(state, job, pairs, docs, _read(tokens, docs))


def _candidates(item: tuple[_State, int, int]) -> np.ndarray:
    """The candidate pairs of a block (``_block_pairs``), as ``(a, b)`` rows."""
    state, lo, min_seeds = item
    return decode(_block_pairs(state.incidence, state.transposed, lo, lo + _BLOCK, min_seeds))


# An alignment task's item on a worker that does not see this process's
# files: the state, the job, the pairs, their documents and their tokens.
_Shipment = tuple["_State", "_Job", np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]


def _align_shipped(item: _Shipment) -> _Found:
    return _align(*item)


def _align(
    state: _State,
    job: _Job,
    pairs: np.ndarray,
    docs: np.ndarray,
    tokens: tuple[np.ndarray, np.ndarray],
) -> _Found:
    """The passages of ``pairs`` ``(a, b)``, aligned by one kernel call
    (kernels.align_pairs), given the tokens of ``docs`` (sorted): their
    values concatenated and their lengths."""
    values, lengths = tokens
    rows, similarities = kernels.align_pairs(
        values, np.concatenate(([0], np.cumsum(lengths))),
        np.searchsorted(docs, pairs[:, 0]), np.searchsorted(docs, pairs[:, 1]),
        state.is_rare.starts, state.is_rare.shift, state.rare, state.is_rare.bitmap,
        (job.gap, job.min_seeds, job.min_tokens, job.threshold,
         _BRIDGE, _ANCHOR, _WINDOW, _DENSE, STOP_SORTED),
    )  # fmt: skip
    of = pairs[rows[:, 0]]
    return np.column_stack((of[:, 0], rows[:, 1:3], of[:, 1], rows[:, 3:])), similarities


# An alignment task's passages (find_passages makes them Passages): rows
# ``a, a_lo, a_hi, b, b_lo, b_hi`` and their similarities. Arrays, not
# objects: Dask sends a list object by object (100,000 synthetic documents:
# 82,000 passages, 4 s of two workers' time and 1 s of the client's).
_Found = tuple[np.ndarray, np.ndarray]
_NO_PASSAGES: _Found = (np.empty((0, 6), np.int64), np.empty(0))


# Documents per block: of the vocabulary count, of candidate pairs.
_BLOCK = 1024
# Documents per task making the alignment's state (_state): the words'
# counts it gives back grow slower than its documents.
_STATE_BLOCK = 16 * _BLOCK


def _blocks(
    arrays: Arrays, size: int = _BLOCK, lo: int = 0, hi: int | None = None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(first, values, lengths)``: ``size`` documents' arrays at a time,
    concatenated (one read when they are spilled), of documents ``lo`` to
    ``hi`` (default: the last)."""
    hi = len(arrays) if hi is None else min(hi, len(arrays))
    for first in range(lo, hi, size):
        yield first, *_read(arrays, np.arange(first, min(hi, first + size)))


def _read(arrays: Arrays, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arrays ``docs`` (sorted, distinct) concatenated, and their lengths:
    spilled, a read a run of consecutive documents."""
    if isinstance(arrays, Spill):
        return arrays.gather(docs), arrays.sizes(docs)
    items = [arrays[d] for d in docs.tolist()]
    lengths = np.array([len(x) for x in items], np.int64)
    return np.concatenate(items) if items else np.empty(0, np.uint64), lengths


def rare_words(vocab: np.ndarray, df: np.ndarray, documents: int, max_df: int) -> np.ndarray:
    """The seeds among ``vocab`` (each held by ``df`` of ``documents``
    documents): in at least 2 and at most ``max_df`` of them, in no more
    than a tenth, and not stop words."""
    seeds = (df >= 2) & (df <= min(max_df, max(2, documents // 10)))
    rare: np.ndarray = vocab[seeds & ~np.isin(vocab, STOP_SORTED)]
    return rare


def document_frequencies(
    doc_words: Arrays, block: int = _BLOCK, lo: int = 0, hi: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every token hash (sorted) of documents ``lo`` to ``hi`` (default: the
    last), and the number of documents it occurs in (a document's words are
    distinct): counted ``block`` documents at a time (``tallied``), so
    memory grows with the vocabulary rather than the corpus. (SaudiNewsNet's
    6M: 0.16 s, reads included; sorted 4M at a time and merged, 0.45 s.)"""
    return tallied((values, _ONE) for _, values, _ in _blocks(doc_words, block, lo, hi))


def tallied(parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``parts`` ``(values, weights)``, sorted, each
    with its weights added up (``_ONE``: 1 each): in a hash table
    (kernels.tally) that doubles as it fills."""
    keys, counts, held = np.zeros(1 << 12, np.uint64), np.zeros(1 << 12, np.int64), 0
    for values, weights in parts:
        while len(values):
            done, new = kernels.tally(keys, counts, values, weights, len(keys) * 7 // 10 - held)
            held, values, weights = held + new, values[done:], weights[done:]
            if len(values):  # 70% full: twice the size
                used = np.flatnonzero(counts)
                old_keys, old_counts = keys[used], counts[used]
                keys, counts = np.zeros(2 * len(keys), np.uint64), np.zeros(2 * len(keys), np.int64)
                kernels.tally(keys, counts, old_keys, old_counts, held)
    used = np.flatnonzero(counts)
    vocab = keys[used]
    order = np.argsort(vocab)
    return vocab[order], counts[used][order]


_ONE = np.empty(0, np.int64)  # kernels.tally's weights: 1 each


def _incidence(doc_words: Arrays, is_rare: Members, lo: int = 0, hi: int | None = None) -> _Rows:
    """The document x rare-word incidence matrix of documents ``lo`` to ``hi``
    (default: the last; a document's words are sorted and distinct, as the
    rare words are: so are its columns)."""
    counts, cols = [np.zeros(1, np.int64)], [np.empty(0, np.int32)]
    for _, words, lengths in _blocks(doc_words, _BLOCK, lo, hi):
        at = is_rare.find(words)  # the column: where the word is in ``rare``
        found = at >= 0
        doc = np.repeat(np.arange(len(lengths)), lengths)
        counts.append(np.bincount(doc[found], minlength=len(lengths)))
        cols.append(at[found].astype(np.int32))
    return _Rows(np.cumsum(np.concatenate(counts)), np.concatenate(cols))


def _block_pairs(
    incidence: _Rows, transposed: _Rows, lo: int, hi: int, min_seeds: int
) -> np.ndarray:
    """Pairs ``a < b`` with ``b`` in ``[lo, hi)`` sharing at least ``min_seeds``
    distinct rare words, encoded ``a << 32 | b`` and sorted (kernels.seed_pairs;
    ``transposed``: ``_transposed``)."""
    return kernels.seed_pairs(
        incidence.indptr, incidence.indices, transposed.indptr, transposed.indices,
        lo, hi, min_seeds,
    )  # fmt: skip


def _transposed(incidence: _Rows, columns: int) -> _Rows:
    """The rare-word x document matrix, each word's documents ascending."""
    return _Rows(*kernels.transpose(incidence.indptr, incidence.indices, columns))


def _candidate_pairs(doc_words: Arrays, rare: np.ndarray, min_seeds: int) -> np.ndarray:
    """Every candidate pair (see ``_block_pairs``), sorted."""
    incidence = _incidence(doc_words, Members(rare, rare=True))
    transposed = _transposed(incidence, len(rare))
    blocks = range(0, len(doc_words), _BLOCK)
    pairs = [_block_pairs(incidence, transposed, lo, lo + _BLOCK, min_seeds) for lo in blocks]
    return np.sort(np.concatenate(pairs))


# How passages grow and end (kernels.align): a copy goes on across a
# difference of at most _BRIDGE tokens on each side (a changed word, a short
# phrase inserted) when _ANCHOR tokens in a row, not all function words, match
# after it; its ends are trimmed to where the other side's words thin out, the
# first and last tokens in a window of _WINDOW tokens holding _DENSE content
# words of the other side (a seed word the two share by chance a sentence
# after the copy, "جماعي", would otherwise chain the text between). Measured
# on benchmarks/quality/judged.
_BRIDGE, _ANCHOR = 15, 3
_WINDOW, _DENSE = 8, 3


def aligned_passages(c: Index, cfg: Config, engine: Engine, beside: bool = False) -> list[Passage]:
    """Every passage copied between two documents of the index (find_passages)."""
    return find_passages(
        partial(tokens_of, c.path, cfg),
        partial(words_of, c.path, cfg),
        c.path,
        engine,
        gap=cfg.passage_gap,
        min_seeds=cfg.passage_min_seeds,
        max_df=cfg.passage_max_df,
        threshold=cfg.passage_threshold,
        min_tokens=cfg.passage_min_tokens,
        outside=c.outside,
        beside=beside,
    )


def add_passages(
    c: Index,
    spans: list[Span],
    cfg: Config,
    found: list[Passage],
    formulas: Callable[[list[Passage]], set[Passage]] | None = None,
    engine: Engine | None = None,
) -> list[Span]:
    """Paragraph spans plus the passages ``found`` (aligned_passages, and
    repeats inside one document: ``a == b``, kind ``within``, or ``formula``
    for those of them ``formulas`` names: finders/repeats.py) they do not
    already cover, in document order.

    A passage is redundant when fewer than ``passage_min_tokens`` of its
    tokens lie outside the spans of its document whose originals are as
    early as its own (a paragraph span already says it, or an earlier
    document was already named as its original: the earliest original
    wins), or when half of it is in a passage of the same original already.
    A paragraph span naming a later document does not hide the passage: both
    are true, and the passage names the first copy. So a paragraph span and
    the lightly edited paragraph next to it, which only the passage holds,
    are both reported.

    The passages are weighed a block of their documents (as ``b``) at a
    time (``_weigh``, which reads their tokens): by ``engine``'s tasks where
    they open the index (where its workers share no disk with this process,
    the tokens are then read where they are kept, not sent here), else here.
    """
    number = c.doc_number
    by_doc: dict[int, list[tuple[int, Span]]] = {}  # doc -> (original's doc, span)
    template: dict[int, list[Span]] = {}  # doc -> its boilerplate spans
    for s in spans:
        by_doc.setdefault(number[s.doc], []).append((number[s.duplicate_of.doc], s))
        if s.kind == "boilerplate":
            template.setdefault(number[s.doc], []).append(s)
    index: Index | str = c
    where = Engine()
    if engine is not None and engine.opens and not engine.local:
        index, where = str(c.path), engine
    weighings = _weighings(sorted(found, key=attrgetter("b", "a", "b_lo")), by_doc, template)
    weighed = run(where, partial(_weigh, index, cfg), weighings)
    kept = [
        Passage(a, a_lo, a_hi, b, b_lo, b_hi, similarity)
        for rows, similarities, _ in weighed
        for (a, a_lo, a_hi, b, b_lo, b_hi), similarity in zip(
            rows.tolist(), similarities.tolist(), strict=True
        )
    ]
    b_chars = [chars for _, _, covered in weighed for chars in covered.tolist()]
    # Their originals' offsets: of each, its first and last token's span
    # only (where workers share no disk, not every original's spans whole).
    a_side = np.array([(p.a, p.a_lo, p.a_hi) for p in kept], np.int64).reshape(-1, 3)
    starts = c.token_spans.take(a_side[:, 0], a_side[:, 1])[:, 0].tolist()
    ends = c.token_spans.take(a_side[:, 0], a_side[:, 2] - 1)[:, 1].tolist()
    origs = [
        Ref(c.doc_ids[p.a], start, end) for p, start, end in zip(kept, starts, ends, strict=True)
    ]
    # Last: the formulas may wait for the document clusters.
    within = [p for p in kept if p.a == p.b]
    formula = formulas(within) if formulas is not None and within else set()
    for p, (start, end), orig in zip(kept, b_chars, origs, strict=True):
        kind: SpanKind = "across" if p.a != p.b else "formula" if p in formula else "within"
        span = Span(c.doc_ids[p.b], start, end, kind, p.similarity, orig, "passage")
        by_doc.setdefault(p.b, []).append((p.a, span))
    return [s for d in sorted(by_doc) for _, s in sorted(by_doc[d], key=lambda x: x[1].start)]


# A weighing task's item (``_weigh``): a block's passages, rows ``a, a_lo,
# a_hi, b, b_lo, b_hi`` ordered by ``b``, ``a``, ``b_lo``, and their
# similarities; the boilerplate spans of the documents they pair, rows
# ``doc, start, end`` by document; the spans found in their ``b`` documents
# so far, rows ``b, a, start, end`` by ``b`` (``a``: the original's document).
_Weighing = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _weighings(
    ordered: list[Passage],
    by_doc: dict[int, list[tuple[int, Span]]],
    template: dict[int, list[Span]],
) -> Iterator[_Weighing]:
    """The passages ``ordered`` (by ``b``, ``a``, ``b_lo``) as weighing
    items, ``_WEIGH_DOCS`` of their ``b`` documents an item."""
    rows = np.array(
        [(p.a, p.a_lo, p.a_hi, p.b, p.b_lo, p.b_hi) for p in ordered], np.int64
    ).reshape(-1, 6)
    similarities = np.array([p.similarity for p in ordered], np.float64)
    docs = unique(rows[:, 3])
    for lo in range(0, len(docs), _WEIGH_DOCS):
        some = docs[lo : lo + _WEIGH_DOCS]
        i, j = np.searchsorted(rows[:, 3], [some[0], some[-1] + 1])
        across = rows[i:j][rows[i:j, 0] != rows[i:j, 3]]
        paired = unique(across[:, [0, 3]]).tolist()
        boiler = [(d, s.start, s.end) for d in paired for s in template.get(d, ())]
        held = [(b, a, s.start, s.end) for b in some.tolist() for a, s in by_doc.get(b, ())]
        yield (
            rows[i:j],
            similarities[i:j],
            np.array(boiler, np.int64).reshape(-1, 3),
            np.array(held, np.int64).reshape(-1, 4),
        )


# Documents (as ``b``) whose passages a weighing task weighs.
_WEIGH_DOCS = 10_000


def _weigh(index: Index | str, cfg: Config, item: _Weighing) -> _Weighed:
    """A task: a block's passages (``_Weighing``) without the boilerplate at
    their ends, their similarities without the boilerplate inside them (a
    passage that matches only a columnist's sign-off and contact lines is
    no copy; a repeat inside one document keeps its similarity, of its
    windows, as a paragraph's), then those of them that say something new
    in their document (kernels.new_passages), with the characters of ``b``
    they cover. Only passages touching boilerplate are weighed against it,
    their documents' tokens read a group of passages at a time
    (``_WEIGHED``), not a read each document each passage; the token spans
    of the block's documents are read at once. ``index``: or its folder,
    in a task that opens it."""
    c = index if isinstance(index, Index) else held(Path(index), cfg, complete=True)
    found, similarities, boiler, spans = item
    rows, similarities = found.copy(), similarities.copy()
    cuts = _cuts(c.token_spans, boiler)
    marked = np.array(sorted(cuts), np.int64)
    at = np.flatnonzero(
        (rows[:, 0] != rows[:, 3]) & (np.isin(rows[:, 0], marked) | np.isin(rows[:, 3], marked))
    )
    sides = rows[at][:, [0, 3]]
    tokens = np.cumsum(c.tokens.sizes(sides.reshape(-1)).reshape(-1, 2).sum(axis=1))
    cut = np.searchsorted(tokens, np.arange(_WEIGHED, tokens[-1] if len(at) else 0, _WEIGHED))
    dropped = np.zeros(len(rows), bool)
    for lo, hi in pairwise([0, *np.unique(cut).tolist(), len(at)]):
        if lo == hi:  # the first passage alone takes more
            continue
        docs = unique(sides[lo:hi])
        words = dict(zip(docs.tolist(), c.tokens.each(docs), strict=True))
        for i in at[lo:hi].tolist():
            a, a_lo, a_hi, b, b_lo, b_hi = rows[i].tolist()
            *weighed, similarity, counted = kernels.without_template(
                words[a], a_lo, a_hi, cuts.get(a, _NONE), words[b], b_lo, b_hi,
                cuts.get(b, _NONE), cfg.passage_min_tokens,
            )  # fmt: skip
            if weighed[0] < 0 or min(similarity, counted) < cfg.passage_threshold:
                dropped[i] = True
            else:
                rows[i, [1, 2, 4, 5]] = weighed
                similarities[i] = round(similarity, 4)
    rows, similarities = rows[~dropped], similarities[~dropped]
    # Every document's passages weighed at once, their spans as ranges of tokens.
    # b, a, b_lo, b_hi: in C order (as taken, numpy lays the columns out in
    # Fortran order, and the kernel would be compiled anew for it)
    asked = np.ascontiguousarray(rows[:, [3, 0, 4, 5]])
    new = np.zeros(len(rows), bool)
    b_chars = np.empty((len(rows), 2), np.int64)
    for some, spans_of_block, first in _token_blocks(c.token_spans, unique(asked[:, 0])):
        lo, hi = np.searchsorted(asked[:, 0], [some[0], some[-1] + 1])
        mine = spans[np.isin(spans[:, 0], some)]
        mine[:, 2:] = _tokens_at(
            spans_of_block, first, np.searchsorted(some, mine[:, 0]), mine[:, 2:]
        )
        new[lo:hi] = kernels.new_passages(mine, asked[lo:hi], cfg.passage_min_tokens)
        b_chars[lo:hi] = _chars(spans_of_block, first, some, asked[lo:hi, [0, 2, 3]])
    return rows[new], similarities[new], b_chars[new]


# A weighing task's answer: the passages kept, rows ``a, a_lo, a_hi, b,
# b_lo, b_hi``, their similarities, and the characters of ``b`` they cover,
# rows ``start, end``. Arrays, not Passages: Dask sends a list object by object.
_Weighed = tuple[np.ndarray, np.ndarray, np.ndarray]


def _token_blocks(
    store: Spill, docs: np.ndarray, block: int = 1024
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(some, spans, first)``: ``block`` of ``docs`` (ascending, distinct)
    at a time, their token spans concatenated (a gather each, where a read
    each cost more than what it read), and where each one's begin in them."""
    for lo in range(0, len(docs), block):
        some = docs[lo : lo + block]
        values, lengths = _read(store, some)
        yield some, values, np.cumsum(lengths) - lengths


def _tokens_at(
    spans: np.ndarray, first: np.ndarray, rank: np.ndarray, chars: np.ndarray
) -> np.ndarray:
    """For character offsets ``chars`` (rows) in the documents ``rank`` of a
    block (``_token_blocks``: ``spans``, ``first``), the first token starting
    at or after each (a span's tokens are those that start inside it), by
    one binary search for the whole block (each document's offsets keyed
    apart by its rank)."""
    base = int(max(spans[:, 1].max(initial=0), chars.max(initial=0))) + 1
    doc = np.repeat(np.arange(len(first)), np.diff(np.append(first, len(spans))))
    keys = doc * base + spans[:, 0]
    found: np.ndarray = np.searchsorted(keys, rank[:, None] * base + chars) - first[rank][:, None]
    return found


def _chars(spans: np.ndarray, first: np.ndarray, some: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows ``doc, lo, hi`` (a document of the block ``some``, tokens in it:
    ``_token_blocks``) as the characters they cover, rows ``start, end``."""
    at = first[np.searchsorted(some, rows[:, 0])]
    found: np.ndarray = np.column_stack((spans[at + rows[:, 1], 0], spans[at + rows[:, 2] - 1, 1]))
    return found


def _cuts(token_spans: Spill, boiler: np.ndarray) -> dict[int, np.ndarray]:
    """The tokens of each boilerplate span ``boiler`` (rows ``doc, start,
    end``, by document: those that start inside it), as rows ``lo, hi`` by
    document: a block of documents' token spans read at a time."""
    cuts: dict[int, np.ndarray] = {}
    for some, spans, first in _token_blocks(token_spans, unique(boiler[:, 0])):
        lo, hi = np.searchsorted(boiler[:, 0], [some[0], some[-1] + 1])
        part = boiler[lo:hi]
        rows = _tokens_at(spans, first, np.searchsorted(some, part[:, 0]), part[:, 1:])
        docs, begin = np.unique(part[:, 0], return_index=True)
        cuts.update(zip(docs.tolist(), np.split(rows, begin[1:]), strict=True))
    return cuts


_NONE = np.empty((0, 2), np.int64)
# Passages weighed against their boilerplate (kernels.without_template) a
# group at a time, their documents' tokens read at once: this many tokens
# (32 MB) a group, and one passage's more at most.
_WEIGHED = 1 << 22
