"""The persistent index: what later batches need of every document scanned
before, in one SQLite file (``dedup scan BATCH --index FILE``).

A batch is not compared with the whole archive. Its documents are scanned
together with the indexed documents they match (``related``: those sharing
a paragraph or rare words with the batch, and those sharing a document or
paragraph band key or containment sketch hashes that pass the scan's check
on their shingle sets), read back from their stored features and placed
before the batch in the order they were added. So the batch gets what a
scan of the whole corpus in that order finds for it (the README says where
it may not), at a cost that grows with the batch and its matches, not with
the archive. What is counted over the whole corpus (how many documents hold
a paragraph or a word) comes from the index's own counts (``Outside``).
Then the batch is added, in one transaction: a killed run leaves the index
as it was.

The index keeps each document's features (shingle sets, signatures, band
keys, paragraph keys and spans, token hashes and spans: what verification and
offsets need), zstd-compressed, never its text. Its parameters are pinned at
creation; an index built with others is refused.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import zstandard

from dedup import kernels
from dedup.cluster import Coverage
from dedup.config import Config
from dedup.errors import InputError, OutputError
from dedup.features import BatchFeatures, fingerprint
from dedup.finders.paragraphs import similar
from dedup.finders.passages import document_frequencies, rare_words
from dedup.index import Index, Outside, parameters
from dedup.lsh import lsh_params
from dedup.minhash import ranges
from dedup.models import Document
from dedup.repetition import stat_names
from dedup.verify import counted, groups, unique

SCHEMA = "dedup.sqlite/2"

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
    batch INTEGER PRIMARY KEY, name TEXT NOT NULL, added TEXT NOT NULL,
    first INTEGER NOT NULL, documents INTEGER NOT NULL);
CREATE TABLE documents (
    doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, batch INTEGER NOT NULL,
    fingerprint INTEGER NOT NULL, shingles INTEGER NOT NULL, features BLOB NOT NULL);
CREATE TABLE doc_bits (doc INTEGER PRIMARY KEY, bits BLOB NOT NULL);
CREATE TABLE doc_bands (band INTEGER, key INTEGER, doc INTEGER,
    PRIMARY KEY (band, key, doc)) WITHOUT ROWID;
CREATE TABLE paragraphs (key INTEGER PRIMARY KEY, docs INTEGER NOT NULL);
CREATE TABLE para_docs (key INTEGER, doc INTEGER, PRIMARY KEY (key, doc)) WITHOUT ROWID;
CREATE TABLE long_paragraphs (
    para INTEGER PRIMARY KEY, doc INTEGER NOT NULL, nth INTEGER NOT NULL,
    shingles INTEGER NOT NULL, bits BLOB NOT NULL);
CREATE TABLE para_bands (band INTEGER, key INTEGER, para INTEGER,
    PRIMARY KEY (band, key, para)) WITHOUT ROWID;
CREATE TABLE words (word INTEGER PRIMARY KEY, docs INTEGER NOT NULL);
CREATE TABLE word_docs (word INTEGER, doc INTEGER, PRIMARY KEY (word, doc)) WITHOUT ROWID;
CREATE TABLE sketch_hashes (hash INTEGER PRIMARY KEY, docs INTEGER NOT NULL);
CREATE TABLE sketches (hash INTEGER, doc INTEGER, PRIMARY KEY (hash, doc)) WITHOUT ROWID;
"""
# Documents are numbered in the order they were added; doc_bits holds each
# one's shingle set's bit map (DOC_WORDS). Each count table
# (paragraphs, words, sketch_hashes) says how many documents hold a value;
# its holders table keeps the first holders only, as many as can matter: a
# paragraph's first boilerplate_min_docs (documents sharing a paragraph that
# fewer hold are document candidates), a word's first passage_max_df + 1 (a
# word in more is no passage seed), a sketch hash's first containment_max_df
# + 1 (one in more counts for nothing). long_paragraphs are the first
# paragraphs of exact groups that have shingles (only those take part in
# paragraph LSH): their document, place in it (nth paragraph), set size and
# bit map (kernels.set_bits); para_bands holds their band keys.
_TABLE_NAMES = re.findall(r"CREATE TABLE (\w+)", _TABLES)[2:]  # the documents and after
_WAIT = 2.0  # seconds a second writer waits for the first before it stops


class Archive:
    """A persistent index (see the module's text). ``Archive(path, cfg)``
    opens it, or creates it if there is no file; a writer holds the write
    lock from opening to ``close``, so two writers never add batches checked
    against the same state."""

    def __init__(self, path: str | Path, cfg: Config, read_only: bool = False) -> None:
        self.path, self.cfg, self.read_only = Path(path), cfg, read_only
        exists = self.path.exists()
        if read_only and not exists:
            raise InputError(f"{self.path}: no such index")
        if not exists:
            _create(self.path, cfg)
        _sniff(self.path)  # before SQLite touches it: another program's file stays as it was
        self.db = _connect(self.path, read_only)
        try:
            self._check()
            if not read_only:
                self.db.execute("PRAGMA journal_mode = WAL")  # readers go on while a batch is added
                self._lock()
        except BaseException:
            self.db.close()
            raise
        self._zip, self._unzip = zstandard.ZstdCompressor(3), zstandard.ZstdDecompressor()

    def _check(self) -> None:
        meta = _meta(self.db, self.path)
        theirs, ours = json.loads(meta["parameters"]), pinned(self.cfg)
        for key in ours:
            if theirs.get(key) != ours[key]:
                raise InputError(
                    f"{self.path}: built with {key} {theirs.get(key)!r}, not {ours[key]!r}: "
                    "its signatures are not comparable"
                )
        self.meta = meta

    def _lock(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" not in str(e):
                raise InputError(f"{self.path}: cannot write the index ({e})") from None
            raise InputError(
                f"{self.path}: another scan is adding to this index; "
                "wait for it, or scan with --read-only"
            ) from None

    def close(self) -> None:
        """Let go of the index (a batch not added is not)."""
        if self.db.in_transaction:
            self.db.rollback()
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        """How many documents it holds (numbered from 0: count(*) would read them all)."""
        row = self.db.execute("SELECT coalesce(max(doc) + 1, 0) FROM documents").fetchone()
        return int(row[0])

    def new_only(self, documents: Iterable[Document], skipped: list[str]) -> Iterator[Document]:
        """``documents`` without those already in the index (a batch added
        before, scanned again: their ids go to ``skipped``); an id it holds
        for another text is refused."""
        seen: set[str] = set()
        for doc in documents:
            if doc.id in seen:
                raise InputError(f"{_where(doc)}: id {doc.id!r} occurs twice in the batch")
            seen.add(doc.id)
            row = self.db.execute(
                "SELECT fingerprint, batch FROM documents WHERE id = ?", (doc.id,)
            ).fetchone()
            if row is None:
                yield doc
            elif np.int64(row[0]).view(np.uint64) == fingerprint(doc.text):
                skipped.append(doc.id)
            else:
                raise InputError(
                    f"{_where(doc)}: id {doc.id!r} is in the index (batch {row[1]}) "
                    "with another text: ids name one text each"
                )

    def corpus(self, batch: Index, folder: Path) -> Index:
        """The corpus a batch (a finished ``Index`` of it) is scanned as: the
        indexed documents it could match, then the batch itself (in
        ``folder``; the batch's own index if there are none), with counts
        over the indexed rest (``Outside``). Read ``_CHUNK`` documents at a time."""
        vocab, vocab_df = document_frequencies(batch.doc_words)
        word_docs = self._counts("words", "word", vocab)
        keys = unique(batch.para_key)
        key_docs = self._counts("paragraphs", "key", keys)
        everyone = self.size + len(batch.doc_ids)  # passage seeds once the batch is in
        rare = rare_words(vocab, word_docs + vocab_df, everyone, self.cfg.passage_max_df)
        related: set[int] = set()
        for f in _chunks(batch) if self.size else ():
            related |= self.related(f, rare)
        corpus = batch
        read_words, read_keys = [np.empty(0, np.uint64)], [np.empty(0, np.uint64)]
        if related:
            folder.mkdir()
            corpus = Index(folder, self.cfg)
            docs = np.array(sorted(related), np.int64)
            for lo in range(0, len(docs), _CHUNK):
                ids, old = self.load(docs[lo : lo + _CHUNK])
                corpus.add(ids, old)
                read_words.append(old.doc_words)  # distinct a document
                owner = np.repeat(np.arange(len(ids)), old.paragraphs)
                read_keys.append(_distinct(old.para_keys, owner)[:, 0].view(np.uint64))
            for lo, f in zip(range(0, len(batch.doc_ids), _CHUNK), _chunks(batch), strict=True):
                corpus.add(batch.doc_ids[lo : lo + _CHUNK], f)
        # Holders of the batch's paragraphs and words among the indexed
        # documents not read here: all holders, less those read.
        read_key, read_key_count = counted(np.concatenate(read_keys))
        read_word, read_word_count = counted(np.concatenate(read_words))
        corpus.outside = Outside(
            first=len(related),
            docs=self.size - len(related),
            keys=keys,
            key_docs=key_docs - Outside.count(keys, read_key, read_key_count),
            words=vocab,
            word_docs=word_docs - Outside.count(vocab, read_word, read_word_count),
        )
        return corpus

    def related(self, f: BatchFeatures, rare: np.ndarray) -> set[int]:
        """The indexed documents batch documents ``f`` may match (``rare``:
        the passage seeds): those sharing a paragraph or passage seeds with
        one, and those a candidate (a band key, containment sketch hashes)
        pairs with one and that pass the scan's own check on their shingle
        sets; the rest of a scan's candidates are chance, and reading them
        would cost time that grows with the archive."""
        cfg, n = self.cfg, len(f.chars)
        found = set()
        if cfg.finds("paragraphs") or cfg.finds("documents"):
            keys = _distinct(f.para_keys, np.repeat(np.arange(n), f.paragraphs))
            found |= set(self._holders("para_docs", "key", keys)[:, 0].tolist())
        if cfg.finds("passages"):
            sharing = self._sharing("word_docs", "word", f.doc_words, f.doc_word_counts, rare)
            found |= set(sharing[:, 0].tolist())
        pairs = [self._holders("doc_bands", "band, key", _band_rows(f.doc_bands, np.arange(n)))]
        if cfg.finds("documents"):
            pairs.append(self._sharing("sketches", "hash", f.doc_sets, f.doc_set_lengths))
        docs = self._may_cover(f, np.concatenate(pairs), found)
        paras = np.empty((0, 3), np.int64)
        if cfg.finds("paragraphs") and len(f.para_bands):
            paras = self._near_paragraphs(f)
        return found | self._verified(f, docs, paras, found)

    def _holders(self, table: str, columns: str, rows: np.ndarray) -> np.ndarray:
        """``(doc, owner)``: the documents in ``table`` under each of ``rows``
        (values of its ``columns``, then the owner of those values)."""
        if not len(rows):
            return np.empty((0, 2), np.int64)
        self._query(rows, f"{columns}, owner")
        found = self.db.execute(f"SELECT DISTINCT doc, owner FROM {table} JOIN q USING ({columns})")
        return np.array(found.fetchall(), np.int64).reshape(-1, 2)

    def _query(self, rows: np.ndarray, columns: str) -> None:
        """Fill the temporary table ``q`` with ``rows`` (what a join looks up)."""
        self.db.execute("DROP TABLE IF EXISTS temp.q")
        self.db.execute(f"CREATE TEMP TABLE q ({columns})")
        _insert(self.db, "q", rows)

    def _near_paragraphs(self, f: BatchFeatures) -> np.ndarray:
        """``(doc, nth, paragraph)``: the indexed paragraphs (the nth of a
        document) sharing a band key with a batch paragraph (its row in
        ``f``) whose bit maps say the two may be near-duplicates
        (kernels.may_reach: exact, never drops a pair that is)."""
        self._query(_band_rows(f.para_bands, np.arange(len(f.para_bands))), "band, key, owner")
        found = self.db.execute(
            "SELECT DISTINCT doc, nth, shingles, bits, owner FROM para_bands "
            "JOIN q USING (band, key) JOIN long_paragraphs USING (para)"
        ).fetchall()
        if not found:
            return np.empty((0, 3), np.int64)
        doc, nth, size, bits, mine = (list(column) for column in zip(*found, strict=True))
        long = np.flatnonzero(f.para_ntok >= self.cfg.shingle_size)  # rows of f.para_bits
        theirs = np.frombuffer(b"".join(bits), np.uint64).reshape(len(found), -1)
        pairs = np.column_stack((mine, len(long) + np.arange(len(found))))
        sizes = np.concatenate((f.para_set_lengths[long], size))
        keep = kernels.may_reach(
            pairs, np.vstack((f.para_bits, theirs)), sizes, self.cfg.paragraph_threshold
        )
        near: np.ndarray = np.column_stack((doc, nth, long[mine]))[keep]
        return near

    def _may_cover(self, f: BatchFeatures, pairs: np.ndarray, known: set[int]) -> np.ndarray:
        """The candidate pairs ``(indexed document, batch document)`` whose
        documents are not in ``known`` and whose bit maps say they may cover
        one another (``may_cover``)."""
        pairs = pairs[~np.isin(pairs[:, 0], list(known))]
        docs = unique(pairs[:, 0])
        if not len(docs):
            return pairs
        self._query(docs[:, None], "doc")
        rows = self.db.execute(
            "SELECT shingles, bits FROM q JOIN documents USING (doc) JOIN doc_bits USING (doc) "
            "ORDER BY doc"
        ).fetchall()
        sizes = np.array([r[0] for r in rows], np.int64)
        bits = np.frombuffer(b"".join(r[1] for r in rows), np.uint64).reshape(len(rows), -1)
        a, b = np.searchsorted(docs, pairs[:, 0]), pairs[:, 1]
        mine = kernels.set_bits(f.doc_sets, f.doc_set_lengths, DOC_WORDS)
        rule = Coverage.of(self.cfg)
        kept: np.ndarray = pairs[may_cover(rule, sizes[a], bits[a], f.doc_set_lengths[b], mine[b])]
        return kept

    def _verified(
        self, f: BatchFeatures, docs: np.ndarray, paras: np.ndarray, known: set[int]
    ) -> set[int]:
        """The indexed documents of candidate pairs ``docs`` (indexed
        document, batch document) that cover one another (cluster.Coverage)
        or ``paras`` (indexed document, its nth paragraph, batch paragraph)
        that are near-duplicates, on their shingle sets: the scan's own
        checks. Those in ``known`` are read anyway."""
        cfg, found, rule = self.cfg, set(), Coverage.of(self.cfg)
        unknown = np.setdiff1d(np.concatenate((docs[:, 0], paras[:, 0])), list(known))
        for lo in range(0, len(unknown), _CHUNK):
            part = unknown[lo : lo + _CHUNK]
            _, old = self.load(part)
            pair = docs[np.isin(docs[:, 0], part)]
            sets = (old.doc_sets, old.doc_set_lengths, f.doc_sets, f.doc_set_lengths)
            na, nb, both = _overlaps(*sets, np.searchsorted(part, pair[:, 0]), pair[:, 1])
            found |= set(pair[rule.either(na, nb, both), 0].tolist())
            near = paras[np.isin(paras[:, 0], part)]
            first = np.cumsum(old.paragraphs) - old.paragraphs
            sets = (old.para_sets, old.para_set_lengths, f.para_sets, f.para_set_lengths)
            a = first[np.searchsorted(part, near[:, 0])] + near[:, 1]
            na, nb, both = _overlaps(*sets, a, near[:, 2])
            found |= set(near[similar(na, nb, both, cfg.paragraph_threshold), 0].tolist())
        return found

    def _sharing(
        self,
        table: str,
        column: str,
        values: np.ndarray,
        lengths: np.ndarray,
        only: np.ndarray | None = None,
    ) -> np.ndarray:
        """``(indexed document, batch document)`` pairs that share enough
        values of ``table`` (words, sketch hashes; ``values``, ``lengths``
        a document, distinct in each): ``passage_min_seeds`` rare words (those
        in ``only``), or, as containment candidates, half of the indexed
        document's sketch (finders/documents.py) or some of the batch
        document's."""
        owner = np.repeat(np.arange(len(lengths)), lengths)
        if only is not None:
            mine = np.isin(values, only)
            values, owner = values[mine], owner[mine]
        distinct = unique(values)
        if not len(distinct):
            return np.empty((0, 2), np.int64)
        self._query(_signed(distinct)[:, None], column)
        holdings = f"SELECT {column}, doc FROM {table} JOIN q USING ({column})"
        if table == "sketches":  # a hash in more documents' sketches than
            # containment_max_df is in more of their sets: it counts for
            # nothing (finders/documents.py)
            holdings += " JOIN sketch_hashes USING (hash) WHERE docs <= ?"
        most = (self.cfg.containment_max_df,) if table == "sketches" else ()
        found = np.array(self.db.execute(holdings, most).fetchall(), np.int64).reshape(-1, 2)
        # Each holding of a value, with each batch document holding it too.
        order = np.argsort(values, kind="stable")
        lo = np.searchsorted(values[order], found[:, 0].view(np.uint64), "left")
        hi = np.searchsorted(values[order], found[:, 0].view(np.uint64), "right")
        a = np.repeat(found[:, 1], hi - lo)
        b = owner[order][ranges(lo, hi)]
        pairs, shared = counted(a << 32 | b)
        if only is not None:
            return _pairs(pairs[shared >= self.cfg.passage_min_seeds])
        # Half of an indexed document's sketch in a batch document: that one
        # may be contained in this one (finders/documents.py) ...
        docs = pairs >> 32
        self._query(unique(docs)[:, None], "doc")
        sizes = "SELECT doc, shingles FROM documents JOIN q USING (doc)"
        size = dict(self.db.execute(sizes).fetchall())
        m = self.cfg.containment_sketch
        need = np.array([min(m, size[d]) for d in docs.tolist()]) * _SKETCH_SHARE
        # ... and the other way round, a batch document contained in an
        # indexed one, whose whole set the index does not keep: the smallest
        # hashes of a document hold some of those of what it contains. Three
        # of them: on SaudiNewsNet that finds 4 of the 6 such pairs (which
        # share 7, 7, 5, 4, 1 and 1 of 16); one or two read 4x and 1.8x as
        # many indexed documents of the synthetic crawl at 100k, three 1.2x.
        at = np.arange(len(values))[order][ranges(lo, hi)]  # each holding's place in values
        starts = np.cumsum(lengths) - lengths
        in_sketch = at - starts[b] < m
        held, times = counted(a[in_sketch] << 32 | b[in_sketch])
        return _pairs(np.union1d(pairs[shared >= need], held[times >= _CONTAINED]))

    def _counts(self, table: str, column: str, values: np.ndarray) -> np.ndarray:
        """How many indexed documents hold each of ``values`` (distinct)."""
        if not len(values):
            return np.zeros(0, np.int64)
        signed = _signed(values)
        self._query(signed[:, None], column)
        rows = self.db.execute(f"SELECT {column}, docs FROM {table} JOIN q USING ({column})")
        found = np.array(rows.fetchall(), np.int64).reshape(-1, 2)
        counts = np.zeros(len(values), np.int64)
        order = np.argsort(signed)
        counts[order[np.searchsorted(signed[order], found[:, 0])]] = found[:, 1]
        return counts

    def load(self, docs: np.ndarray) -> tuple[list[str], BatchFeatures]:
        """Indexed documents ``docs`` (ascending): their ids and features."""
        self._query(docs[:, None], "doc")
        rows = self.db.execute(
            "SELECT id, features FROM documents JOIN q USING (doc) ORDER BY doc"
        ).fetchall()
        return [r[0] for r in rows], self.unpack([r[1] for r in rows])

    def add(self, batch: Index, name: str) -> None:
        """Add a batch (a finished ``Index`` of it) and commit: the one
        transaction of a batch (the write lock was taken when opened)."""
        if self.read_only:
            raise InputError(f"{self.path}: opened read-only")
        db, n = self.db, len(batch.doc_ids)
        if not n:  # nothing new (a batch added before): no batch to record
            return
        first = self.size
        number = int(db.execute("SELECT coalesce(max(batch), 0) + 1 FROM batches").fetchone()[0])
        db.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?)", (number, name, _now(), first, n))
        for lo, f in zip(range(0, n, _CHUNK), _chunks(batch), strict=True):
            self._add(number, batch.doc_ids[lo : lo + _CHUNK], first + lo, f)
        db.commit()
        self._lock()  # for this writer's next batch

    def _add(self, batch: int, ids: list[str], first: int, f: BatchFeatures) -> None:
        db, cfg, n = self.db, self.cfg, len(ids)
        docs = np.arange(first, first + n)
        documents = zip(
            docs.tolist(), ids, [batch] * n, _signed(f.fingerprints).tolist(),
            f.doc_set_lengths.tolist(), self.pack(f), strict=True,
        )  # fmt: skip
        db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)", documents)
        bits = kernels.set_bits(f.doc_sets, f.doc_set_lengths, DOC_WORDS)
        rows = zip(docs.tolist(), map(bytes, bits), strict=True)
        db.executemany("INSERT INTO doc_bits VALUES (?, ?)", rows)
        bands = _band_rows(f.doc_bands, docs)
        _insert(db, "doc_bands", bands)
        para_doc = np.repeat(docs, f.paragraphs)
        most = cfg.boilerplate_min_docs
        known = self._count("paragraphs", "key", f.para_keys, para_doc, "para_docs", most)
        if len(f.para_bands):  # those of paragraphs that begin a new exact group
            long = f.para_ntok >= cfg.shingle_size
            _, first_of, _ = groups(f.para_keys)
            new = np.zeros(len(f.para_keys), bool)
            new[first_of] = ~np.isin(_signed(f.para_keys[first_of]), known)
            at = np.flatnonzero(new & long)  # their paragraph rows
            row = (np.cumsum(long) - 1)[at]  # their rows in para_bands and para_bits
            (after,) = db.execute(
                "SELECT coalesce(max(para) + 1, 0) FROM long_paragraphs"
            ).fetchone()
            paras = np.arange(after, after + len(at))
            nth = at - (np.cumsum(f.paragraphs) - f.paragraphs)[para_doc[at] - first]
            long_rows = zip(
                paras.tolist(), para_doc[at].tolist(), nth.tolist(),
                f.para_set_lengths[at].tolist(), map(bytes, f.para_bits[row]), strict=True,
            )  # fmt: skip
            db.executemany("INSERT INTO long_paragraphs VALUES (?, ?, ?, ?, ?)", long_rows)
            _insert(db, "para_bands", _band_rows(f.para_bands[row], paras))
        word_doc = np.repeat(docs, f.doc_word_counts)
        self._count("words", "word", f.doc_words, word_doc, "word_docs", cfg.passage_max_df + 1)
        if cfg.finds("documents"):
            m = cfg.containment_sketch
            starts = np.cumsum(f.doc_set_lengths) - f.doc_set_lengths
            heads = np.minimum(f.doc_set_lengths, m)  # each set is sorted: its smallest first
            at = ranges(starts, starts + heads)
            most = cfg.containment_max_df + 1
            self._count(
                "sketch_hashes", "hash", f.doc_sets[at], np.repeat(docs, heads), "sketches", most
            )

    def _count(
        self,
        table: str,
        column: str,
        values: np.ndarray,
        owners: np.ndarray,
        holders: str,
        most: int,
    ) -> np.ndarray:
        """Add each document's distinct ``values`` to ``table``'s counts, and
        its number to ``holders`` while a value has fewer than ``most``;
        returns the values held before (as SQLite integers, sorted)."""
        pairs = _distinct(values, owners)  # by value, then owner
        keys, counts = np.unique(pairs[:, 0], return_counts=True)
        held = self._counts(table, column, keys.view(np.uint64))
        _insert(
            self.db, table, np.column_stack((keys, counts)),
            f"ON CONFLICT ({column}) DO UPDATE SET docs = docs + excluded.docs",
        )  # fmt: skip
        first = np.cumsum(counts) - counts
        rank = np.arange(len(pairs)) - np.repeat(first, counts)  # in this batch
        prior = np.repeat(held, counts)  # holders before it
        _insert(self.db, holders, pairs[prior + rank < most])
        return keys[held > 0]

    def pack(self, f: BatchFeatures) -> list[bytes]:
        """Each document's features as one compressed blob: how many rows of
        each feature it has, then their bytes, feature after feature."""
        bounds = _bounds(f, self.cfg)
        blobs = []
        for d in range(len(f.chars)):
            parts = [
                getattr(f, name)[b[d] : b[d + 1]] for name, b in zip(_KEPT, bounds, strict=True)
            ]
            head = np.array([len(p) for p in parts], np.int64).tobytes()
            raw = head + b"".join(p.tobytes() for p in parts)
            blobs.append(self._zip.compress(raw))
        return blobs

    def unpack(self, blobs: list[bytes]) -> BatchFeatures:
        """The features of the documents of ``blobs``, one after another."""
        widths = _widths(self.cfg)
        parts: dict[str, list[np.ndarray]] = {name: [] for name in _KEPT}
        for blob in blobs:
            raw = self._unzip.decompress(blob)
            head = np.frombuffer(raw, np.int64, len(_KEPT))
            at = head.nbytes
            for name, rows in zip(_KEPT, head.tolist(), strict=True):
                dtype, width = widths[name]
                values = np.frombuffer(raw, dtype, rows * max(width, 1), at)
                parts[name].append(values.reshape(rows, width) if width else values)
                at += values.nbytes
        arrays = {}
        for name, p in parts.items():
            dtype, width = widths[name]
            arrays[name] = np.concatenate(p) if p else np.empty((0, width) if width else 0, dtype)
        return BatchFeatures(**arrays)


def may_cover(
    rule: Coverage, sizes: np.ndarray, bits: np.ndarray, other_sizes: np.ndarray,
    other_bits: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """For pairs of sets (their sizes and ``DOC_WORDS`` bit maps), whether
    one may cover the other (``rule``). A bit set in one map only is set by
    values of that set only, so each set holds at least that map's popcount
    values the other lacks, and they share at most the smaller of the two
    sizes less those: a pair that falls short even then cannot pass (exact:
    never False for a pair that does; tests/test_archive.py)."""
    only = np.unpackbits((bits & ~other_bits).view(np.uint8), axis=1).sum(axis=1)
    other_only = np.unpackbits((other_bits & ~bits).view(np.uint8), axis=1).sum(axis=1)
    most = np.minimum(sizes - only, other_sizes - other_only)
    return rule.either(sizes, other_sizes, most)


def pinned(cfg: Config) -> dict[str, Any]:
    """What an index is built with, for good: what makes signatures comparable
    (index.parameters), and what decides which features and holders it keeps."""
    described = cfg.describe()
    keep = [
        *("levels", "boilerplate_min_docs", "passage_max_df"),
        *("containment_sketch", "containment_max_df"),
    ]
    return {**parameters(cfg), **{k: described[k] for k in keep}}


def settings(path: str | Path) -> Config:
    """The scan settings the index at ``path`` was made with."""
    described = describe(path)["config"]
    return Config(**{f.name: described[f.name] for f in fields(Config) if f.name in described})


def describe(path: str | Path, rows: bool = False) -> dict[str, Any]:
    """What the index at ``path`` holds and how it was built (``dedup index
    info``); with ``rows``, how many rows each table has (which reads them all)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such index")
    _sniff(path)
    db = _connect(path, read_only=True)
    try:
        meta = _meta(db, path)
        names = ("batch", "name", "added", "documents")
        batches = db.execute(f"SELECT {', '.join(names)} FROM batches ORDER BY batch").fetchall()
        described = {
            "path": str(path),
            "schema": meta["schema"],
            "created": meta["created"],
            "documents": sum(b[-1] for b in batches),
            "bytes": sum(p.stat().st_size for p in path.parent.glob(glob.escape(path.name) + "*")),
            "batches": [dict(zip(names, b, strict=True)) for b in batches],
            "parameters": json.loads(meta["parameters"]),
            "config": json.loads(meta["config"]),
        }
        if rows:
            count = "SELECT count(*) FROM {}"
            described["rows"] = {t: db.execute(count.format(t)).fetchone()[0] for t in _TABLE_NAMES}
        return described
    finally:
        db.close()


_SKETCH_SHARE = 0.5  # as finders/documents.py
_CONTAINED = 3  # see Archive._sharing
# Words of a document's bit map (kernels.set_bits): 2,048 bits, 256 bytes a
# document, which dropped every one of the 2,356 chance candidates a batch
# of 1,000 synthetic documents had against 100,000 indexed ones.
DOC_WORDS = 32
_CHUNK = 10_000  # documents whose features are in memory at once
# The features an index keeps of a document: not the repeats inside it,
# which only the scan that reads it reports.
_KEPT = [f.name for f in fields(BatchFeatures) if f.name not in ("repeats", "repeat_similarity")]


def _chunks(batch: Index) -> Iterator[BatchFeatures]:
    """A finished index's features, ``_CHUNK`` documents at a time."""
    n = len(batch.doc_ids)
    for lo in range(0, n, _CHUNK):
        yield batch.features(lo, min(n, lo + _CHUNK))


def _create(path: Path, cfg: Config) -> None:
    """A new, empty index at ``path``: made beside it and moved into place
    whole, so that a run killed meanwhile leaves no half-made file."""
    made = path.with_name(f".{path.name}.{os.getpid()}.new")
    made.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(made)
        meta = {
            "schema": SCHEMA,
            "parameters": json.dumps(pinned(cfg), sort_keys=True),
            "config": json.dumps(cfg.describe(), sort_keys=True),
            "created": _now(),
        }
        with db:
            db.executescript(_TABLES)
            db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.execute("PRAGMA journal_mode = WAL")
        db.close()
        os.link(made, path)  # never over an index another run made meanwhile
    except FileExistsError:
        pass
    except OSError as e:
        raise OutputError(f"{path}: cannot make the index ({e.strerror})") from None
    finally:
        made.unlink(missing_ok=True)


def _meta(db: sqlite3.Connection, path: Path) -> dict[str, str]:
    """The index's header, or one line saying why it is not one of ours."""
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as e:  # damaged, or another program's
        raise InputError(f"{path}: not a dedup index ({e})") from None
    if meta.get("schema") != SCHEMA:
        raise InputError(f"{path}: not a {SCHEMA} index (schema: {meta.get('schema')!r})")
    return meta


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    try:
        if read_only:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=_WAIT)
        else:
            db = sqlite3.connect(path, timeout=_WAIT)
        db.isolation_level = None  # transactions are begun and committed here, by hand
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA temp_store = MEMORY")
        # Lookups and inserts land all over tables of millions of rows: the
        # default 2 MB page cache would read most pages again and again.
        db.execute("PRAGMA cache_size = -262144")  # KiB: 256 MB
    except sqlite3.DatabaseError as e:
        raise InputError(f"{path}: not a dedup index ({e})") from None
    return db


def _widths(cfg: Config) -> dict[str, tuple[np.dtype, int]]:
    """Each feature's dtype and row width (0: flat)."""
    ints, hashes = np.dtype(np.int64), np.dtype(np.uint64)
    wide: dict[str, tuple[np.dtype, int]] = {
        "repetition": (np.dtype(np.float64), len(stat_names())),
        "doc_sigs": (np.dtype(np.uint32), cfg.num_perm),
        "doc_bands": (hashes, lsh_params(cfg.document_threshold, cfg.num_perm)[0]),
        "para_bands": (hashes, lsh_params(cfg.paragraph_threshold, cfg.num_perm)[0]),
        "para_bits": (hashes, kernels.BIT_WORDS),
        "token_spans": (np.dtype(np.int32), 2),
        "previews": (np.dtype(np.uint8), 0),
    }
    for name in ("fingerprints", "doc_sets", "para_keys", "para_sets", "token_hashes", "doc_words"):
        wide[name] = (hashes, 0)
    return {name: wide.get(name, (ints, 0)) for name in _KEPT}


def _bounds(f: BatchFeatures, cfg: Config) -> list[np.ndarray]:
    """For each feature (in field order), where each document's rows begin and end."""

    def cum(lengths: np.ndarray) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)

    n = len(f.chars)
    docs = np.arange(n + 1)
    paras = cum(f.paragraphs)
    none = np.zeros(n + 1, np.int64)  # a feature a level that is off leaves empty
    long = cum(f.para_ntok >= cfg.shingle_size)[paras] if len(f.para_bands) else none
    tokens = cum(f.tokens) if len(f.token_hashes) else none
    by_para = {
        "para_sets": cum(f.para_set_lengths)[paras],
        "previews": cum(f.preview_lengths)[paras],
    }
    own = {
        "doc_sets": cum(f.doc_set_lengths),
        "doc_words": cum(f.doc_word_counts),
        "token_hashes": tokens,
        "token_spans": tokens,
        "para_bands": long,
        "para_bits": long,
        **by_para,
    }
    para_rows = {
        "para_starts",
        "para_ends",
        "para_ntok",
        "para_keys",
        "para_set_lengths",
        "preview_lengths",
    }
    return [own.get(name, paras if name in para_rows else docs) for name in _KEPT]


def _insert(db: sqlite3.Connection, table: str, rows: np.ndarray, then: str = "") -> None:
    """Insert ``rows`` (integers, SQLite's: 64 bits signed) into ``table``
    (``then``: an upsert's clause), as one JSON text SQLite takes apart
    (json_each), not a statement a row from Python: a batch's 303,212
    containment sketch hashes looked up in 0.10 s, not 0.72 s; 1M paragraph
    band keys added in 1.5 s, not 2.0 s. (A str: SQLite reads a blob as JSONB.)"""
    rows = np.ascontiguousarray(rows, np.int64)
    if rows.shape[1] == 1:
        rows, picked = rows[:, 0], "value"
    else:
        picked = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(rows.shape[1]))
    text = orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    # ("WHERE true": else SQLite would read an upsert's ON as a join's.)
    db.execute(f"INSERT INTO {table} SELECT {picked} FROM json_each(?) WHERE true {then}", (text,))


def _band_rows(keys: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """``(band, key, owner)`` rows of an ``(n, bands)`` key array and its
    rows' owners (ascending), in a table's order (inserts go where the last
    one went): each band's keys sorted on their own, a stable sort keeping
    equal keys' owners in order (a third of a lexsort of all three's time)."""
    n, bands = keys.shape
    by_band = _signed(keys).T
    order = np.argsort(by_band, axis=1, kind="stable")
    key = np.take_along_axis(by_band, order, axis=1).reshape(-1)
    band = np.repeat(np.arange(bands), n)
    return np.stack((band, key, owners[order].reshape(-1)), axis=1)


def _pairs(encoded: np.ndarray) -> np.ndarray:
    """``a << 32 | b`` as rows ``(a, b)``."""
    return np.column_stack((encoded >> 32, encoded & 0xFFFFFFFF))


def _overlaps(
    sets: np.ndarray, lengths: np.ndarray, others: np.ndarray, other_lengths: np.ndarray,
    a: np.ndarray, b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """For pairs of set ``a[i]`` of ``sets`` and set ``b[i]`` of ``others``
    (concatenated, each ``lengths`` long), their sizes and how many values they share."""
    values = np.concatenate((sets, others))
    offsets = np.concatenate(([0], np.cumsum(lengths), len(sets) + np.cumsum(other_lengths)))
    return lengths[a], other_lengths[b], kernels.overlaps(values, offsets, a, len(lengths) + b)


def _distinct(values: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """The distinct ``(value, owner)`` rows (values as SQLite integers), by value then owner."""
    values = _signed(values)
    order = np.lexsort((owners, values))
    values, owners = values[order], owners[order]
    new = np.ones(len(values), bool)
    new[1:] = (values[1:] != values[:-1]) | (owners[1:] != owners[:-1])
    return np.stack((values[new], owners[new]), axis=1)


def _signed(values: np.ndarray) -> np.ndarray:
    """uint64 hashes as SQLite's integers (signed 64 bits), bit for bit."""
    return np.ascontiguousarray(values, np.uint64).view(np.int64)


def _signed_one(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _sniff(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite opens (and may change) it."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as e:
        raise InputError(f"{path}: cannot read the index ({e.strerror})") from None
    if head != b"SQLite format 3\0":
        raise InputError(f"{path}: not a dedup index (not an SQLite file)")


def _where(doc: Document) -> str:
    source, line = doc.meta.get("source"), doc.meta.get("line")
    return f"{source}: record {line}" if source and line else f"document {doc.id!r}"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
