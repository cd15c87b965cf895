"""Document level: near-duplicate and contained documents, verified on their
exact shingle sets and gathered in clusters around kept documents (cluster.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import chain, product
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dedup import kernels
from dedup.cluster import Coverage, clusters
from dedup.config import Config
from dedup.engines import Engine, run
from dedup.finders import (
    Gathered,
    Sets,
    Stored,
    band_parts,
    bucketed,
    encode,
    map_arrays,
    save_arrays,
    shared_values,
    verify,
)
from dedup.index import Index, held, here
from dedup.lsh import decode
from dedup.minhash import ranges
from dedup.models import Cluster, DocPair
from dedup.store import Spill
from dedup.verify import Members, unique

# Share of a document's smallest hashes another must hold for the pair to be
# a containment candidate (``sketch_candidates``).
_SKETCH_SHARE = 0.5


def document_clusters(
    c: Index, shared: np.ndarray, sketched: np.ndarray, cfg: Config, engine: Engine
) -> tuple[list[Cluster], list[DocPair]]:
    """Clusters around kept documents (cluster.py), and the other verified pairs.

    Candidates: LSH at the Jaccard threshold, documents sharing a paragraph
    (``shared``), and documents holding half of another's smallest shingle
    hashes (``sketched``: ``sketch_candidates``): the last two catch
    contained documents that LSH misses. Every candidate is verified on the
    exact shingle sets. The bands are bucketed by the engine's tasks where
    they open the index (a band, or a part of one, each: ``bucketed``),
    else here, a band as ``verify`` asks for it.
    """
    rule = Coverage.of(cfg)
    live = np.flatnonzero(c.doc_sets.lengths())  # empty documents match nothing
    stored = Stored(c.path, cfg, "doc_sets")
    bands: Iterable[np.ndarray] = ()
    if len(live) > 1 and engine.opens and not engine.local:  # read where the tasks run
        parts = band_parts(len(live))  # of each band, a task's
        task = partial(_band_candidates, stored, parts)
        bands = run(engine, task, product(range(c.doc_bands.bands), range(parts)))
    elif len(live) > 1:  # here, a band when verify asks for it
        bands = (_band_candidates(c, 1, (b, 0)) for b in range(c.doc_bands.bands))
    candidates = chain([encode(shared), sketched], bands)  # document numbers already
    near = partial(_near_documents, cfg)
    rows = verify(candidates, near, engine, stored).reshape(-1, 5 if engine.opens else 4)
    if not engine.opens:  # checked on sets read here: their signatures are read here too
        rows = np.column_stack((rows, _agreements(c.doc_sigs, rows[:, 0])))
    ab = decode(rows[:, 0])
    estimates = rows[:, 4] / cfg.num_perm
    verified = [
        DocPair(c.doc_ids[a], c.doc_ids[b], na, nb, both, round(est, 4))
        for (a, b), (na, nb, both), est in zip(
            ab.tolist(), rows[:, 1:4].tolist(), estimates.tolist(), strict=True
        )
    ]
    docs = {d for p in verified for d in (p.a, p.b)}
    position = {d: i for i, d in enumerate(c.doc_ids) if d in docs}
    chars = {d: int(c.doc_chars[i]) for d, i in position.items()}
    return clusters(verified, position, chars, rule, cfg.representative)


def _band_candidates(index: Index | Stored, parts: int, item: tuple[int, int]) -> np.ndarray:
    """The pairs of documents (encoded) sharing a bucket in part ``item =
    (band, part)`` of a band (``bucketed``), of the documents that are not
    empty. ``index``: or where it is, in a task that opens it."""
    c = index if isinstance(index, Index) else held(index.folder, index.cfg, complete=True)
    live = np.flatnonzero(c.doc_sets.lengths())
    band, part = item
    return encode(live[bucketed(c.doc_bands, band, live, part, parts)])


def _agreements(sigs: Spill, pairs: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """How many values of their MinHash signatures each pair of documents
    (encoded) shares (over ``num_perm``, minhash.estimate): each signature
    read once, a read a run of documents, ``chunk`` pairs compared at a time."""
    ab = decode(pairs)
    docs = unique(ab)
    if not len(docs):
        return np.empty(0, np.int64)
    values = sigs.gather(docs)
    at = np.searchsorted(docs, ab)
    equal = [
        np.count_nonzero(values[part[:, 0]] == values[part[:, 1]], axis=1)
        for part in np.split(at, range(chunk, len(at), chunk))
    ]
    return np.concatenate(equal).astype(np.int64)


def _near_documents(cfg: Config, item: tuple[Stored | Gathered, np.ndarray]) -> np.ndarray:
    """The document pairs one of which covers the other (cluster.py): rows
    of the encoded pair, the two set sizes and their overlap, and, where
    the task opens the index, how many values their signatures share
    (``_agreements``: read where the sets are, not by the client)."""
    rule = Coverage.of(cfg)
    sets, pairs = item
    sizes, shared = shared_values(sets.open(), pairs)
    rows = np.column_stack((pairs, sizes, shared))
    kept: np.ndarray = rows[rule.either(sizes[:, 0], sizes[:, 1], shared)].reshape(-1, 4)
    if isinstance(sets, Stored):
        sigs = held(sets.folder, cfg, complete=True).doc_sigs
        kept = np.column_stack((kept, _agreements(sigs, kept[:, 0])))
    return kept


def sketch_candidates(c: Index, cfg: Config, engine: Engine, block: int = 10_000) -> np.ndarray:
    """Documents (encoded pairs, sorted) one of which holds at least half of
    the other's ``containment_sketch`` smallest shingle hashes.

    If ``x`` is contained in ``y`` at 0.8, each of x's smallest hashes is in y
    with a chance of about 0.8, so that y holding fewer than half of 16 is rare
    (binomially 7e-4); a document sharing only a paragraph or two of x holds
    far fewer. Two passes over the shingle sets, ``block`` documents at a
    time: the smallest hashes of every document (each set is sorted: they
    come first), here; then which of them each document holds, by the
    engine's tasks (``_holdings``), whose counts of holders are summed here.
    The pairs are made by tasks too, ``_OWNERS`` documents' each (1.67M of
    a million documents took 7-10 s in one kernel here).
    """
    m, most = cfg.containment_sketch, cfg.containment_max_df
    sketch = _smallest(c, m, block, engine)
    if not len(sketch):
        return np.empty(0, np.int64)
    members = Members(sketch, rare=True)
    whole = _Sketch(sketch, members.starts, members.shift, members.bitmap)
    shared: _Sketch | str = whole
    if engine.opens and not engine.local:  # the tasks map it from the scan's folder
        shared = str(c.path / "sketch")
        engine.publish(c.path, whole.save(shared))
    elif not engine.opens:  # sent to each worker once
        shared = engine.share(whole)
    df = np.zeros(len(sketch), np.int64)
    del members, whole, sketch  # the tasks' now (in this process only for the local engine's)
    stored = Stored(c.path, cfg, "doc_sets")

    def items() -> Iterator[_HoldingsItem]:
        for lo in range(0, len(c.doc_ids), block):
            docs = np.arange(lo, min(len(c.doc_ids), lo + block))
            sets = stored if engine.opens else Gathered(c.doc_sets, docs)
            yield sets, shared, docs, m, most

    blocks: deque[tuple[np.ndarray, ...]] = deque()
    for _, (keys, owners, own, hashes, counts) in engine.map(_holdings, items()):
        df[hashes] += counts
        blocks.append((keys, owners, own))
    # Every count is in: the holdings of hashes in at most `most` sets stay,
    # a block at a time, put in place in arrays of their size (the corpus's
    # holdings are this stage's memory: no concatenation of their copies).
    size = sum(int(np.count_nonzero(df[keys] <= most)) for keys, _, _ in blocks)
    keys, owners, own = np.empty(size, np.int32), np.empty(size, np.int32), np.empty(size, bool)
    at = 0
    while blocks:  # each dropped as it is put in place
        some, by, mine = blocks.popleft()
        rare = df[some] <= most
        end = at + int(np.count_nonzero(rare))
        keys[at:end], owners[at:end], own[at:end] = some[rare], by[rare], mine[rare]
        at = end
    del df
    if not len(keys):
        return np.empty(0, np.int64)
    index = _Holders(*kernels.sketch_index(keys, owners, own, most))
    del keys, owners, own
    n = len(index.sketch_start) - 1
    holders: _Holders | str = index
    if engine.opens and not engine.local:  # the tasks map it from the scan's folder
        holders = str(c.path / "holders")
        engine.publish(c.path, save_arrays(index, holders))
    elif not engine.opens:  # sent to each worker once
        holders = engine.share(index)
    del index  # the tasks' now (in this process only for the local engine's)
    owned = ((holders, most, lo, min(n, lo + _OWNERS)) for lo in range(0, n, _OWNERS))
    return unique(np.concatenate(run(engine, _sketch_pairs, owned)))


# Documents whose containment pairs a task makes (sketch_candidates).
_OWNERS = 50_000


class _Holders(NamedTuple):
    """kernels.sketch_index: the holders of each sketch hash, and each
    document's sketch hashes (numbers in the corpus's sketch)."""

    key_start: np.ndarray
    holder: np.ndarray
    sketch_start: np.ndarray
    sketch: np.ndarray


def _sketch_pairs(item: tuple[_Holders | str, int, int, int]) -> np.ndarray:
    """The containment pairs of the documents ``lo`` .. ``hi - 1``
    (kernels.sketch_pairs): ``item`` is the holders (or where they are
    saved; a Dask future is its value by then), ``containment_max_df``,
    ``lo`` and ``hi``."""
    holders, most, lo, hi = item
    index = map_arrays(_Holders, holders) if isinstance(holders, str) else holders
    return kernels.sketch_pairs(*index, most, _SKETCH_SHARE, lo, hi)


def _smallest(c: Index, m: int, block: int, engine: Engine) -> np.ndarray:
    """The ``m`` smallest hashes of every document's shingle set (they come
    first), sorted and distinct: ``block`` documents' at a time, by the
    engine's tasks where the workers have a copy of the index (read here,
    every set would cross the network), else here."""
    n = len(c.doc_ids)
    blocks = (range(lo, min(n, lo + block)) for lo in range(0, n, block))
    if engine.opens and not engine.shares_disk:
        heads = run(engine, partial(_heads, Stored(c.path, c.cfg, "doc_sets"), m), blocks)
    else:
        heads = [_heads(c.doc_sets, m, docs) for docs in blocks]
    return unique(np.concatenate(heads)) if heads else np.empty(0, np.uint64)


def _heads(sets: Stored | Sets, m: int, docs: range) -> np.ndarray:
    """The ``m`` smallest hashes of the shingle sets of the documents
    ``docs``, sorted and distinct."""
    opened = sets.open() if isinstance(sets, Stored) else sets
    items = np.arange(docs.start, docs.stop)
    values, lengths = opened.gather(items), opened.sizes(items)  # one read: a run of documents
    first = np.cumsum(lengths) - lengths
    return unique(values[ranges(first, first + np.minimum(lengths, m))])


class _Sketch(NamedTuple):
    """The smallest hashes of every document, sorted, and their ``Members``
    index and bit map (most hashes looked up are not in it)."""

    values: np.ndarray
    starts: np.ndarray
    shift: np.uint64
    bitmap: np.ndarray

    def save(self, key: str) -> list[Path]:
        return save_arrays(self, key)  # (shift as an array of no dimensions)

    @classmethod
    def load(cls, key: str) -> _Sketch:
        """Memory-mapped: the workers of a machine share one copy in its page cache."""
        key = str(here(key))
        values, starts, shift, bitmap = (
            np.asarray(np.load(f"{key}.{name}.npy", mmap_mode="r")) for name in cls._fields
        )
        return cls(values, starts, np.uint64(shift), bitmap)


# A holdings task's item: the sets (where the task opens them), the sketch
# (or where it is saved), the block's documents, containment_sketch and
# containment_max_df.
_HoldingsItem = tuple["Stored | Gathered", "_Sketch | str", np.ndarray, int, int]


def _holdings(item: _HoldingsItem) -> tuple[np.ndarray, ...]:
    """A block's holdings of sketch hashes (kernels.holdings: for each hash,
    its first ``containment_max_df`` holders in the block: a hash in more
    documents counts for nothing, boilerplate), and how many of the block's
    documents hold each hash they hold: ``(keys, owners, own, hashes, counts)``."""
    sets, shared, docs, m, most = item
    sketch = _Sketch.load(shared) if isinstance(shared, str) else shared
    opened = sets.open()
    df = np.zeros(len(sketch.values), np.int64)
    keys, owners, own = kernels.holdings(
        opened.gather(docs), opened.sizes(docs), int(docs[0]),
        sketch.starts, sketch.shift, sketch.values, sketch.bitmap, m, df, most,
    )  # fmt: skip
    hashes = np.flatnonzero(df)
    return keys, owners, own, hashes, df[hashes]
