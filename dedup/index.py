"""The corpus index: what a scan keeps of its documents, declared in one place.

A few numbers a document and a paragraph stay in memory (``Column``); the
bulky features (shingle sets, signatures, band keys, tokens) are spilled to
files in the index's folder (``store.py``) and read back by row. A batch is
``write``-n by whichever process computed it and ``append``-ed by the parent
in input order; ``seal`` completes the tables and writes a manifest (each
store's chunks and row ends, the columns, the document ids, and the
parameters that make signatures comparable), from which ``Index.open``
reads the index back: in another process, or in a later run. A scan's
index is temporary (its folder is removed at the end): keeping one is a
matter of its folder's lifetime.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.errors import InputError
from dedup.features import BatchFeatures, featurize_batch, keeps_tokens
from dedup.lsh import lsh_params
from dedup.models import Ref
from dedup.repetition import stat_names
from dedup.store import BandFile, Chunk, Column, Fetch, Folder, Spill
from dedup.verify import groups

MANIFEST = "manifest.json"
SCHEMA = "dedup.index/1"
_NOTHING = np.empty(0)  # in place of a spilled feature: the parent never reads it


class Written(NamedTuple):
    """Where a process wrote one batch's spilled features."""

    doc_sigs: Chunk
    doc_sets: Chunk
    para_sets: Chunk
    previews: Chunk
    tokens: Chunk
    token_spans: Chunk
    doc_words: Chunk
    doc_bands: list[Chunk]  # a chunk a band
    para_bands: list[Chunk]
    para_bits: list[Chunk]

    def owned(self, owner: str) -> Written:
        """The same chunks, on the disk of ``owner``."""
        return Written._make(
            [c._replace(owner=owner) for c in f] if isinstance(f, list) else f._replace(owner=owner)
            for f in self
        )


def parameters(cfg: Config) -> dict[str, Any]:
    """What makes two indexes' signatures, band keys and tokens comparable."""
    described = cfg.describe()
    keep = ("shingle_size", "num_perm", "seed", "normalization_version", "minhash_scheme")
    return {**{k: described[k] for k in keep}, "lsh": described["lsh"]}


@dataclass(frozen=True)
class Outside:
    """What a scan with a persistent index (archive.py) counts beyond the
    documents it reads: the indexed documents it did not read, and how many
    of them hold each of some paragraph keys and words (sorted). ``first``:
    the first document of the batch (those before it are indexed ones)."""

    first: int
    docs: int
    keys: np.ndarray
    key_docs: np.ndarray
    words: np.ndarray
    word_docs: np.ndarray

    @staticmethod
    def count(values: np.ndarray, known: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """``counts`` of each of ``values`` found in ``known`` (sorted; 0 if not)."""
        if not len(known):
            return np.zeros(len(values), np.int64)
        at = np.minimum(np.searchsorted(known, values), len(known) - 1)
        found: np.ndarray = np.where(known[at] == values, counts[at], 0)
        return found


class Index:
    """What a scan keeps of a corpus (see the module's text)."""

    def __init__(self, folder: Path, cfg: Config, fetch: Fetch | None = None) -> None:
        """``fetch``: how to read features that workers on other machines keep."""
        self.cfg = cfg
        self.k = cfg.shingle_size
        self.path = folder
        self.folder = Folder(folder, fetch)
        self.complete = False  # its tables are whole (finish): tasks may read it
        self.outside: Outside | None = None  # scanned with a persistent index: see Outside
        _HELD[str(folder)] = self
        self.doc_ids: list[str] = []
        # In memory, a row a document ...
        self._chars, self._ntok, self._paras = (Column(np.int64) for _ in range(3))
        self._fingerprints = Column(np.uint64)
        self._repetition = Column(np.float64, len(stat_names()))
        # ... and a row a paragraph.
        self._para_start, self._para_end = Column(np.int64), Column(np.int64)
        self._para_ntok = Column(np.int32)
        self._para_key = Column(np.uint64)
        # ... and a row a repeat inside one document (few): doc, a_lo, a_hi, b_lo, b_hi.
        self._repeats, self._repeat_similarity = Column(np.int64, 5), Column(np.float64)
        self._mapped: list[str] = []  # the columns that are their sealed files (_map)
        # On disk.
        self.doc_sigs = Spill(self.folder, "doc_sigs", np.uint32, cfg.num_perm)
        self.doc_sets = Spill(self.folder, "doc_sets", np.uint64)
        self.para_sets = Spill(self.folder, "para_sets", np.uint64)
        self.previews = Spill(self.folder, "previews", np.uint8)
        self.tokens = Spill(self.folder, "tokens", np.uint64)  # passages, template frames
        self.token_spans = Spill(self.folder, "token_spans", np.int32, 2)
        self.doc_words = Spill(self.folder, "doc_words", np.uint64)
        doc_bands = lsh_params(cfg.document_threshold, cfg.num_perm)[0]
        para_bands = lsh_params(cfg.paragraph_threshold, cfg.num_perm)[0]
        self.doc_bands = BandFile(self.folder, "doc_bands", doc_bands)
        # Band keys of every paragraph of at least k tokens, in paragraph order.
        self.para_bands = BandFile(self.folder, "para_bands", para_bands)
        self.para_bits = BandFile(self.folder, "para_bits", kernels.BIT_WORDS)  # the same rows

    def _band_files(self) -> dict[str, BandFile]:
        return {
            "doc_bands": self.doc_bands,
            "para_bands": self.para_bands,
            "para_bits": self.para_bits,
        }

    def _stores(self) -> dict[str, Spill]:
        return {
            "doc_sigs": self.doc_sigs,
            "doc_sets": self.doc_sets,
            "para_sets": self.para_sets,
            "previews": self.previews,
            "tokens": self.tokens,
            "token_spans": self.token_spans,
            "doc_words": self.doc_words,
        }

    def featurize(self, texts: list[str]) -> tuple[BatchFeatures, Written]:
        """A batch's features, computed and spilled by this process: the bulky
        ones are written to its files and come back as where they were written."""
        f = featurize_batch(texts, self.cfg)
        with _HOLDING:  # a worker with threads (Dask's) writes one batch at a time
            return self._spill(f)

    def add(self, ids: list[str], f: BatchFeatures) -> None:
        """Record documents whose features were computed before (in the parent)."""
        self.append(ids, *self._spill(f))

    def _spill(self, f: BatchFeatures) -> tuple[BatchFeatures, Written]:
        written = Written(
            self.doc_sigs.write(f.doc_sigs),
            self.doc_sets.write(f.doc_sets),
            self.para_sets.write(f.para_sets),
            self.previews.write(f.previews),
            self.tokens.write(f.token_hashes),
            self.token_spans.write(f.token_spans),
            self.doc_words.write(f.doc_words),
            self.doc_bands.write(f.doc_bands),
            self.para_bands.write(f.para_bands),
            self.para_bits.write(f.para_bits),
        )
        small = replace(
            f,
            doc_sigs=_NOTHING,
            doc_sets=_NOTHING,
            para_sets=_NOTHING,
            previews=_NOTHING,
            token_hashes=_NOTHING,
            token_spans=_NOTHING,
            doc_words=_NOTHING,
            doc_bands=_NOTHING,
            para_bands=_NOTHING,
            para_bits=_NOTHING,
        )
        return small, written

    def features(self, lo: int, hi: int) -> BatchFeatures:
        """Every feature of documents ``lo`` .. ``hi - 1``, read back (a
        finished index): what ``featurize`` computed for them."""
        p_lo, p_hi = int(self.doc_first_para[lo]), int(self.doc_first_para[hi])
        is_long = self.para_ntok >= self.k  # the rows of para_bands and para_bits
        long = int(is_long[:p_lo].sum()), int(is_long[:p_hi].sum())

        def rows(files: BandFile, first: int, last: int) -> np.ndarray:
            if not len(files):  # a level that keeps none
                return np.empty((0, files.bands), np.uint64)
            return files.rows(first, last)

        mine = slice(*np.searchsorted(self.repeats[:, 0], [lo, hi]))
        return BatchFeatures(
            chars=self.doc_chars[lo:hi],
            tokens=self.doc_ntok[lo:hi],
            paragraphs=self.doc_paras[lo:hi],
            fingerprints=self.fingerprints[lo:hi],
            repetition=self.repetition[lo:hi],
            doc_sigs=self.doc_sigs.range(lo, hi),
            doc_bands=rows(self.doc_bands, lo, hi),
            doc_sets=self.doc_sets.range(lo, hi),
            doc_set_lengths=self.doc_sets.lengths(lo, hi),
            para_starts=self.para_start[p_lo:p_hi],
            para_ends=self.para_end[p_lo:p_hi],
            para_ntok=self.para_ntok[p_lo:p_hi].astype(np.int64),
            para_keys=self.para_key[p_lo:p_hi],
            para_sets=self.para_sets.range(p_lo, p_hi),
            para_set_lengths=self.para_sets.lengths(p_lo, p_hi),
            para_bands=rows(self.para_bands, *long),
            para_bits=rows(self.para_bits, *long),
            previews=self.previews.range(p_lo, p_hi),
            preview_lengths=self.previews.lengths(p_lo, p_hi),
            token_hashes=self.tokens.range(lo, hi),
            token_spans=self.token_spans.range(lo, hi),
            doc_words=self.doc_words.range(lo, hi),
            doc_word_counts=self.doc_words.lengths(lo, hi),
            repeats=self.repeats[mine] - np.array([lo, 0, 0, 0, 0]),
            repeat_similarity=self.repeat_similarity[mine],
        )

    def append(self, ids: list[str], f: BatchFeatures, w: Written) -> None:
        """Record a batch, in input order (in the parent)."""
        self._repeats.extend(f.repeats + np.array([len(self.doc_ids), 0, 0, 0, 0]))
        self._repeat_similarity.extend(f.repeat_similarity)
        self.doc_ids.extend(ids)
        self._chars.extend(f.chars)
        self._ntok.extend(f.tokens)
        self._paras.extend(f.paragraphs)
        self._repetition.extend(f.repetition)
        self._fingerprints.extend(f.fingerprints)
        self.doc_sigs.add(w.doc_sigs, np.ones(len(ids), np.int64))
        self.doc_sets.add(w.doc_sets, f.doc_set_lengths)
        self.para_sets.add(w.para_sets, f.para_set_lengths)
        self.previews.add(w.previews, f.preview_lengths)
        tokens = f.tokens if keeps_tokens(self.cfg) else np.zeros_like(f.tokens)
        self.tokens.add(w.tokens, tokens)
        self.token_spans.add(w.token_spans, tokens)
        self.doc_words.add(w.doc_words, f.doc_word_counts)
        self.doc_bands.add(w.doc_bands)
        self.para_bands.add(w.para_bands)
        self.para_bits.add(w.para_bits)
        self._para_start.extend(f.para_starts)
        self._para_end.extend(f.para_ends)
        self._para_ntok.extend(f.para_ntok)
        self._para_key.extend(f.para_keys)

    def owners(self) -> set[str]:
        """The machines whose files hold its features: Dask workers' addresses,
        "" for this one's."""
        return {c.owner for store in self._stores().values() for c in store.state()[0]}

    def seal(self) -> list[Path]:
        """Complete the tables (unless done) and write the manifest: the index
        can be opened. Gives the files a task opening it reads."""
        if not self.complete:
            self.finish()
        columns = {
            "chars": self.doc_chars,
            "ntok": self.doc_ntok,
            "paras": self.doc_paras,
            "fingerprints": self.fingerprints,
            "repetition": self.repetition,
            "para_start": self.para_start,
            "para_end": self.para_end,
            "para_ntok": self.para_ntok,
            "para_key": self._para_key.array(),
            # What paragraph_tables maps in a task (para_ntok, ntok above).
            "doc_first_para": self.doc_first_para,
            "para_doc": self.para_doc,
            "para_group": self.para_group,
            "group_first": self.group_first,
            "repeats": self.repeats,
            "repeat_similarity": self.repeat_similarity,
        }
        stores = {}
        for name, store in self._stores().items():
            chunks, bounds = store.state()
            columns[f"{name}.bounds"] = bounds
            stores[name] = [_chunk(c) for c in chunks]
        bands = {
            name: [[_chunk(c) for c in band] for band in files.state()]
            for name, files in self._band_files().items()
        }
        (self.path / "columns").mkdir(exist_ok=True)
        for name, values in columns.items():
            np.save(self.path / "columns" / f"{name}.npy", values)
        self._map(list(columns))
        # The ids in a file of their own: a task opening the index reads only its stores.
        (self.path / "documents.json").write_text(json.dumps(self.doc_ids), encoding="utf-8")
        manifest = {
            "schema": SCHEMA,
            "parameters": parameters(self.cfg),
            "fingerprint": self.fingerprint(),
            "config": self.cfg.describe(),
            "stores": stores,
            "bands": bands,
        }
        (self.path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        # A task reads the stores' bounds and the paragraph tables, not the
        # columns only the report reads (a third of them: 17 MB of 51 MB at
        # 100,000 synthetic documents, the repetition statistics most).
        read = [f"{name}.bounds" for name in stores] + list(_PARAGRAPH_TABLES.values())
        return [self.path / MANIFEST, *(self.path / "columns" / f"{n}.npy" for n in read)]

    def _map(self, names: list[str], release: bool = False) -> None:
        """Its columns ``names`` as the files ``seal`` wrote, mapped: this
        process then holds the pages of them it reads, which the system can
        take back, not a copy of each (a Dask client's peak at 1M synthetic
        documents: 1.30 GB of its own memory against 1.77). Copy-on-write,
        never written: the kernels take them as arrays of their own (read-only
        ones they would compile anew for). ``release``: empty in their place."""
        stores = self._stores()
        for name in names:
            path = self.path / "columns" / f"{name}.npy"
            mapped = np.empty(0) if release else np.load(path, mmap_mode="c").view(np.ndarray)
            if name.endswith(".bounds"):
                stores[name.removesuffix(".bounds")].restore([], mapped)
                continue
            setattr(self, _ATTRIBUTES.get(name, name), mapped)
            if hasattr(self, f"_{name}"):  # the column it was made of
                setattr(self, f"_{name}", Column.of(mapped))
        self._mapped = [] if release else names

    @classmethod
    def open(
        cls,
        folder: Path,
        cfg: Config,
        tables: bool = True,
        fetch: Fetch | None = None,
        me: str = "",
    ) -> Index:
        """A sealed index, read back; refused (InputError, one line) if it is
        not one or was built with parameters other than ``cfg``'s. Without
        ``tables``, only its stores and band files (what a task reads): no
        ids, columns or paragraph groups, which cost a worker hundreds of MB
        at a million documents. On the Dask worker ``me``, a copy of one
        whose features the workers keep (``mirror``): its own in ``folder``,
        the others' read through ``fetch``."""
        where = folder / MANIFEST
        try:
            manifest = json.loads(where.read_text(encoding="utf-8"))
            schema = manifest.get("schema") if isinstance(manifest, dict) else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"{where}: not a dedup index ({e})") from None
        if schema != SCHEMA:
            raise InputError(f"{where}: not a {SCHEMA} index (schema: {schema!r})")
        theirs, ours = manifest["parameters"], parameters(cfg)
        for key in ours:
            if theirs.get(key) != ours[key]:
                raise InputError(
                    f"{where}: built with {key} {theirs.get(key)!r}, not {ours[key]!r}: "
                    "its signatures are not comparable"
                )
        index = cls(folder, cfg, fetch)
        for name, store in index._stores().items():
            chunks = [_unchunk(folder, c, me) for c in manifest["stores"][name]]
            bounds = np.load(folder / "columns" / f"{name}.bounds.npy", mmap_mode="r")
            store.restore(chunks, bounds)
        for name, files in index._band_files().items():
            bands = manifest["bands"][name]
            files.restore([[_unchunk(folder, c, me) for c in band] for band in bands])
        if not tables:
            index.complete = True
            return index

        def column(name: str) -> Column:  # memory-mapped: read where it is needed
            return Column.of(np.load(folder / "columns" / f"{name}.npy", mmap_mode="r"))

        index.doc_ids = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        index._chars, index._ntok, index._paras = (column(n) for n in ("chars", "ntok", "paras"))
        index._fingerprints, index._repetition = column("fingerprints"), column("repetition")
        index._para_start, index._para_end, index._para_ntok, index._para_key = (
            column(n) for n in ("para_start", "para_end", "para_ntok", "para_key")
        )
        index._repeats = column("repeats")
        index._repeat_similarity = column("repeat_similarity")
        index.finish()
        return index

    def paragraph_tables(self) -> Index:
        """This index, with the per-paragraph tables the paragraph finders
        read; one opened without them (a task's) gives a copy that maps
        them from its sealed columns: the workers of a machine share one
        copy in its page cache, the groups are not sorted again, and the
        maps go with the copy when the task is done (what a worker keeps
        mapped counts in its memory for the rest of the scan: at 1M
        documents up to 220 MB). Copy-on-write, never written: the kernels
        take them as arrays of their own, not as read-only ones, which
        they would be compiled anew for."""
        if hasattr(self, "para_group"):
            return self
        folder, view = self.path / "columns", copy.copy(self)
        for name, column in _PARAGRAPH_TABLES.items():
            setattr(view, name, np.load(folder / f"{column}.npy", mmap_mode="c"))
        return view

    def finish(self) -> None:
        """Tables of the whole corpus, and exact paragraph groups: paragraphs with
        the same normalized token sequence, numbered in order of first occurrence.

        Per-paragraph numbers are int32 where they fit: at a million
        documents (5.5M paragraphs) each saves 22 MB."""
        columns: list[Column | Spill] = [
            self._chars, self._ntok, self._paras, self._repetition, self._fingerprints,
            self._para_start, self._para_end, self._para_ntok, self._para_key,
            self._repeats, self._repeat_similarity, *self._stores().values(),
        ]  # fmt: skip
        for column in columns:
            column.trim()
        self.doc_chars, self.doc_ntok, self.doc_paras = (
            c.array() for c in (self._chars, self._ntok, self._paras)
        )
        self.repetition = self._repetition.array()
        self.fingerprints = self._fingerprints.array()
        self.repeats = self._repeats.array()
        self.repeat_similarity = self._repeat_similarity.array()
        self.doc_first_para = np.concatenate(([0], np.cumsum(self.doc_paras)))
        self.para_start, self.para_end, self.para_ntok = (
            c.array() for c in (self._para_start, self._para_end, self._para_ntok)
        )
        # para_doc holds document numbers, para_group paragraph numbers.
        fits = max(len(self.doc_ids), len(self.para_ntok)) < 2**31
        small = np.int32 if fits else np.int64
        self.para_doc = np.repeat(np.arange(len(self.doc_ids), dtype=small), self.doc_paras)
        self.para_key = self._para_key.array()
        _, first, inverse = groups(self.para_key)
        order = np.argsort(first)
        rank = np.empty(len(order), small)
        rank[order] = np.arange(len(order))
        self.para_group = rank[inverse.reshape(-1)]
        self.group_first = first[order]  # each group's first paragraph, ascending
        self.complete = True

    def fingerprint(self) -> str:
        """Of the parameters that make signatures comparable (16 hex digits)."""
        text = json.dumps(parameters(self.cfg), sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    @cached_property
    def doc_number(self) -> dict[str, int]:
        """Each document's number (its place in input order), by id."""
        return {doc_id: d for d, doc_id in enumerate(self.doc_ids)}

    def ref(self, first: int, last: int) -> Ref:
        """Paragraphs ``first`` .. ``last`` (one document's) as a place in it."""
        doc = self.doc_ids[int(self.para_doc[first])]
        return Ref(doc, int(self.para_start[first]), int(self.para_end[last]))

    def close(self) -> None:
        self.folder.close()
        if self._mapped:  # let go of them: Windows removes no file still mapped
            self._map(self._mapped, release=True)
        if _HELD.get(str(self.path)) is self:
            del _HELD[str(self.path)]


# Columns kept as attributes of other names (Index._map).
_ATTRIBUTES = {"chars": "doc_chars", "ntok": "doc_ntok", "paras": "doc_paras"}

# Index.paragraph_tables: attribute -> its column in a sealed index.
_PARAGRAPH_TABLES = {
    "doc_ntok": "ntok",
    "doc_first_para": "doc_first_para",
    "para_start": "para_start",
    "para_end": "para_end",
    "para_ntok": "para_ntok",
    "para_doc": "para_doc",
    "para_group": "para_group",
    "group_first": "group_first",
}


# The indexes of this process, by folder: made here (and so inherited by a
# forked worker) or opened from a manifest (in a spawned worker). A task is
# given a folder, never an index: it finds the index here.
_HELD: dict[str, Index] = {}
_HOLDING = threading.Lock()


class Mirror(NamedTuple):
    """On a Dask worker that shares no disk with the client: its copy of a
    scan's folder (the sealed index and the stages' saved state, as the
    client publishes them: engines/dask.py), in the folder that keeps the
    features it computed; its address; and how it reads the features the
    other workers keep."""

    path: Path
    me: str
    fetch: Fetch


# The copies of this process (a Dask worker's), by the client's folder.
_MIRRORS: dict[str, Mirror] = {}


def mirror(folder: str, copy: Mirror) -> None:
    """Tasks given paths in the client's ``folder`` find them in ``copy``."""
    _MIRRORS[folder] = copy


def here(path: str | Path) -> Path:
    """A path of a scan's folder where a task runs: in this worker's copy of
    the folder, if it has one, else as it is."""
    at = Path(path)
    for folder, mirrored in _MIRRORS.items():
        if at == Path(folder) or Path(folder) in at.parents:
            return mirrored.path / at.relative_to(folder)
    return at


def forget(folder: str) -> None:
    """Let go of the indexes of this process in ``folder`` and under it (a
    scan's, done), and of its copy of the folder: a Dask worker outlives
    the scans it ran tasks for."""
    with _HOLDING:
        for path in [p for p in _HELD if Path(folder) in (Path(p), *Path(p).parents)]:
            _HELD[path].close()
        _MIRRORS.pop(folder, None)


def tokens_of(folder: Path, cfg: Config) -> Spill:
    """The index's tokens, where a task runs (a picklable way to them)."""
    return held(folder, cfg, complete=True).tokens


def words_of(folder: Path, cfg: Config) -> Spill:
    """The index's distinct words a document, where a task runs."""
    return held(folder, cfg, complete=True).doc_words


def held(folder: Path, cfg: Config, complete: bool = False) -> Index:
    """The index at ``folder`` in this process: the one made here or inherited,
    else the stores of one opened from its manifest when a ``complete`` one
    is wanted (to read), else a new one (to write batches with). On a Dask
    worker with a copy of ``folder`` (``mirror``), the copy's."""
    mirrored = _MIRRORS.get(str(folder))
    if mirrored is not None:
        folder = mirrored.path
    with _HOLDING:
        index = _HELD.get(str(folder))
        if index is not None and (index.complete or not complete):
            return index
        if not complete:
            return Index(folder, cfg)
        if mirrored is None:
            return Index.open(folder, cfg, tables=False)
        return Index.open(folder, cfg, tables=False, fetch=mirrored.fetch, me=mirrored.me)


def _chunk(c: Chunk) -> list[Any]:
    # (os.path, not a Path a chunk: 1M documents' 103,635 chunks 0.07 s, not 0.31 s)
    where = [os.path.basename(c.path), c.offset, c.size]  # the folder may move
    return [*where, c.owner, c.path] if c.owner else where  # another machine's, where it is


def _unchunk(folder: Path, c: list[Any], me: str) -> Chunk:
    """A manifest's chunk; ``me``: this worker's address (its own chunks are
    in ``folder``)."""
    if len(c) > 3 and c[3] != me:
        return Chunk(str(c[4]), int(c[1]), int(c[2]), str(c[3]))
    return Chunk(os.path.join(folder, c[0]), int(c[1]), int(c[2]))
