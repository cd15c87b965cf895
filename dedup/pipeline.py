"""The stage order, top to bottom: the only module that knows it (the stages
are the finders/, one a level).

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

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np

from dedup.archive import Archive
from dedup.config import Config
from dedup.engines import Engine, ProcessEngine, engine_of, make_engine
from dedup.engines.dask import keeping
from dedup.features import BatchFeatures, prepare
from dedup.finders import started
from dedup.finders.documents import document_clusters, sketch_candidates
from dedup.finders.paragraphs import lsh_paragraphs, paragraph_edges, paragraph_spans, templates
from dedup.finders.passages import Passage, add_passages, aligned_passages
from dedup.finders.repeats import formulas, repeated_passages
from dedup.formats import STDIN, Source
from dedup.heap import give_back
from dedup.index import Index, Written, held
from dedup.models import Boilerplate, Cluster, DocPair, DocTable, Document, ScanResult, Span
from dedup.outputs import spill_folder
from dedup.readers import Ids, Part, parts, read_documents, read_parts
from dedup.repetition import stat_names
from dedup.warm import warm

T = TypeVar("T")

# Paragraphs in LSH from which the paragraph edges are many: the paragraph
# spans are then the workers' tasks (1M documents: 5.8 s gained;
# SaudiNewsNet on a Dask cluster lost 0.4-1 s, its alignment no longer
# beside them) ...
_MANY_EDGES = 300_000
# ... unless two of this machine's workers align passages before the edges
# are found (by this process meanwhile, and the spans after them): so under
# this many (two workers, alternated runs: SaudiNewsNet's 143,000 gain
# 0.3-0.5 s; 495,000, of 100k synthetic documents, 12.4-12.7 s against
# 13.9-14.9 s; 1.5M, of 300k, 43.6-54.5 s against 50.7-56.2 s; 4.9M, of
# 1M, lost 13 s).
_EARLY_EDGES = 2_000_000

# Documents per batch (one task for a worker, one numpy MinHash call).
_BATCH_DOCS = 1_000

# New objects between two runs of Python's cyclic collector during a scan
# (its default is 700). A scan makes hundreds of thousands of objects that
# live to its end (spans, passages, pairs), and every run of the oldest
# generation walks them all: at 700, SaudiNewsNet's scan spent 0.74 s in
# the collector (0.55 s in 7 full runs), 100k synthetic documents 2.1 s; at
# 10,000, 0.15 s and 0.2 s. A scan leaves the garbage of few cycles.
_COLLECT_EVERY = 10_000


def scan(
    documents: Iterable[Document] | Source,
    config: Config | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    workers: int = 1,
    tmp_dir: str | Path | None = None,
    stage: Callable[[str], None] | None = None,
    engine: Engine | Any = None,
    index: str | Path | None = None,
    read_only: bool = False,
    batch_name: str = "",
    before_adding: Callable[[ScanResult], None] | None = None,
) -> ScanResult:
    """Find every repeat in ``documents`` (consumed once, in order), or in
    the corpus a ``Source`` names: its files are then read by the tasks,
    a part each (readers.parts), where they run.

    ``workers`` > 1 spreads the work over a pool of that many processes, or
    ``engine`` runs it (engines/; a ``distributed.Client``: its Dask
    cluster); the result is the same. Intermediate data is spilled to a
    temporary folder ``dedup-*`` in ``tmp_dir`` (default: the system's),
    removed at the end, or by the next scan if this one is killed.
    ``progress`` is called as documents are read, with how many, their
    characters, and the bytes of input they came from (of the files, for a
    ``Source``; else of their texts in UTF-8); ``stage`` with the name of
    each later stage.

    With ``index`` (a file: archive.py), ``documents`` are a batch scanned
    against every document indexed before (the originals of what it copies
    may be there), then added to it (as ``batch_name``) unless ``read_only``;
    the result covers the batch. Documents already indexed (a batch scanned
    again) are skipped: the result's ``config["index"]`` says how many.
    ``before_adding`` is given the result before the batch is added (to
    write its reports first: a run killed then leaves the index without it).
    """
    cfg = config or Config()
    archive = Archive(index, cfg, read_only) if index is not None else None
    try:
        with _rare_collections():
            return _scan(
                documents, cfg, progress, workers, tmp_dir, stage,
                None if engine is None else engine_of(engine), archive, batch_name, before_adding,
            )  # fmt: skip
    finally:
        if archive is not None:
            archive.close()


def _scan(
    documents: Iterable[Document] | Source,
    cfg: Config,
    progress: Callable[[int, int, int], None] | None,
    workers: int,
    tmp_dir: str | Path | None,
    stage: Callable[[str], None] | None,
    engine: Engine | None,
    archive: Archive | None,
    batch_name: str,
    before_adding: Callable[[ScanResult], None] | None,
) -> ScanResult:
    if isinstance(documents, Source) and (archive is not None or str(documents.path) == STDIN):
        # Read here: what is indexed already is skipped before it is
        # featurized, and standard input is this process's.
        documents = read_documents(documents)

    def say(name: str) -> None:
        give_back()
        if stage is not None:
            stage(name)

    # The first scan after an install: its kernels compiled on every core
    # first, into numba's cache, where this process and the workers find them.
    if warm(say):
        say("reading")
    # Before the workers start: forked ones then have it ready (each took
    # a second to ready its own). Spawned ones and Dask's ready their own.
    # This process's first kernel call (0.4 s) is then behind it too.
    prepare(cfg)
    with spill_folder(tmp_dir) as folder, engine or make_engine(workers) as run:
        corpus = Index(folder, cfg, run.fetch)
        skipped: list[str] = []
        batch = corpus  # the documents read (with an index, not all the scan reads)
        try:
            if isinstance(documents, Source):
                _featurize_parts(corpus, documents, progress, run)
            else:
                if archive is not None:
                    documents = archive.new_only(documents, skipped)
                _featurize(corpus, documents, progress, run)
            if archive is not None:
                say("index lookups")
                batch.finish()
                corpus = archive.corpus(batch, folder / "with-index")
            say("paragraph groups and LSH" if cfg.finds("paragraphs") else "index")
            owners = corpus.owners()
            if run.local or (not run.shares_disk and (not owners or "" in owners)):
                # Here: features of this machine's (a persistent index's, or
                # none) are not where workers sharing no disk could read them.
                if not corpus.complete:  # the batch's own, finished for the index already
                    corpus.finish()
            else:  # the tasks open it where they run (a copy, on workers sharing nothing)
                run.publish(folder, corpus.seal(), owners)
            spans: list[Span] = []
            boilerplate: list[Boilerplate] = []
            shared = np.empty((0, 2), np.int64)
            # Two of this machine's processes align passages first, unless
            # the paragraph edges are very many: they start sooner, and this
            # process finds the edges meanwhile, where its tasks would wait
            # behind theirs (SaudiNewsNet: the edges took 1.3 s so, 0.5 s
            # here), then the spans. Else, where the edges are many (and a
            # task's share of the spans takes longer than the alignment), the
            # workers find the edges, then the spans, a block of documents a
            # task (where they see this process's files), then align passages
            # while this process finds the template frames; where they are
            # few, they find the edges, then align while this process finds
            # the spans. An engine takes one stage's tasks at a time.
            beside = cfg.finds("passages") and not run.local
            in_lsh = len(lsh_paragraphs(corpus)) if cfg.finds("paragraphs") else 0
            two = isinstance(run, ProcessEngine) and run.workers <= 2
            early = beside and two and in_lsh < _EARLY_EDGES
            # (the spans are the workers' tasks)
            spread = beside and not early and in_lsh >= _MANY_EDGES and run.opens
            # (Early, one of the alignment's tasks makes the state they all
            # read: find_passages's ``beside``.)
            aligning: Callable[[], list[Passage]] = partial(
                aligned_passages, corpus, cfg, run, early
            )
            if early:
                aligning = started(aligning)
            if cfg.finds("paragraphs"):
                edges = paragraph_edges(corpus, cfg, Engine() if early else run)
            if beside and not early and not spread:
                aligning = started(aligning)
            if cfg.finds("paragraphs"):
                say("paragraph spans")
                spans, boilerplate, shared = paragraph_spans(
                    corpus, edges, cfg, run if spread else None
                )
            if spread:
                aligning = started(aligning)
            clustering: Callable[[], tuple[list[Cluster], list[DocPair]]]
            if early and cfg.finds("documents"):
                # A thread here clusters documents from now, beside the
                # template frames and the wait for the alignment, sooner than
                # tasks after it, whose sets and sketch each worker opens
                # anew (SaudiNewsNet: 0.6 s here, 1.2 s by tasks).
                clustering = started(partial(_documents, corpus, shared, cfg, Engine(), _quiet))
            # The template frames: here, beside the alignment, unless the
            # workers have a copy of this process's folder (they read the
            # tokens where they are; an engine runs one stage at a time).
            apart = run.opens and not run.shares_disk
            if cfg.finds("paragraphs") and not apart:
                spans = templates(corpus, spans, cfg)
            passages: list[Passage] = []
            if cfg.finds("passages"):
                say("passages")
                passages = aligning()
            if cfg.finds("paragraphs") and apart:
                spans = templates(corpus, spans, cfg, run)
            # After the alignment: its tasks and these share the engine.
            # (Beside paragraph spans, their memory came on top of theirs:
            # 3.2 GB at 1M documents, 2.5 GB one after the other.)
            # Whether the engine is the clustering's until it ends (early, the
            # thread above clusters, and the formulas' tasks have the engine).
            busy = beside and not early and cfg.finds("documents")
            if beside and cfg.finds("documents"):
                say("document clusters and adding passages")
                if busy:
                    # The workers (and numpy) cluster documents while this
                    # process weighs the passages; the formulas, which read
                    # the clusters, wait for them, and use the engine only then.
                    clustering = started(partial(_documents, corpus, shared, cfg, run, _quiet))
            else:
                clustered = _documents(corpus, shared, cfg, run, say)
                clustering = lambda: clustered  # noqa: E731
                if cfg.finds("passages"):
                    say("adding passages")
            if cfg.finds("passages"):
                repeats = repeated_passages(corpus)

                def formula(within: list[Passage]) -> set[Passage]:
                    if busy:
                        clustering()
                    return formulas(corpus, cfg, run, lambda: clustering()[0], within)

                # Weighed by the engine's tasks, unless the clustering holds
                # a pool of this machine's processes (which takes one
                # stage's tasks at a time; Dask's take both).
                weighing = None if busy and isinstance(run, ProcessEngine) else run
                spans = add_passages(corpus, spans, cfg, passages + repeats, formula, weighing)
            found, related = clustering()
            result = _result(corpus, cfg, spans, found, boilerplate, related)
            if archive is not None and corpus.outside is not None:
                result.config["index"] = {
                    "path": str(archive.path),
                    "documents_before": archive.size,
                    "read": corpus.outside.first,
                    "skipped": len(skipped),
                    "added": 0 if archive.read_only else len(batch.doc_ids),
                }
                if not archive.read_only:
                    if before_adding is not None:
                        before_adding(result)
                    say("adding to the index")
                    archive.add(batch, batch_name)
        finally:
            run.forget(folder)
            corpus.close()
            batch.close()
    return result


def _documents(
    c: Index,
    shared: np.ndarray,
    cfg: Config,
    engine: Engine,
    say: Callable[[str], None],
) -> tuple[list[Cluster], list[DocPair]]:
    """The document level's clusters and related pairs (none if it is not
    looked for); ``say`` names its stages."""
    if not cfg.finds("documents"):
        return [], []
    say("containment candidates")
    sketched = sketch_candidates(c, cfg, engine)
    say("document clusters")
    return document_clusters(c, shared, sketched, cfg, engine)


def _quiet(name: str) -> None:
    """``say`` for a stage run beside another, which names them both."""


def _result(
    c: Index,
    cfg: Config,
    spans: list[Span],
    found: list[Cluster],
    boilerplate: list[Boilerplate],
    related: list[DocPair],
) -> ScanResult:
    """What a scan of the index ``c`` found; with a persistent index, what it
    found for the batch (the indexed documents it read were reported when
    they were added)."""
    counts = np.stack((c.doc_chars, c.doc_ntok, c.doc_paras), axis=1)
    names = stat_names() if cfg.finds("repetition") else []
    repetition = c.repetition[:, : len(names)]

    def table(rows: slice | list[int]) -> DocTable:
        ids = c.doc_ids[rows] if isinstance(rows, slice) else [c.doc_ids[d] for d in rows]
        # (copies: the index's columns may be its files, which the scan removes)
        fingerprints = np.array(c.fingerprints[rows])
        return DocTable(ids, counts[rows], np.array(repetition[rows]), names, fingerprints)

    first = c.outside.first if c.outside is not None else 0
    indexed: list[int] = []
    if first:
        mine = set(c.doc_ids[first:])
        spans = [s for s in spans if s.doc in mine]
        found = [x for x in found if not mine.isdisjoint(x.members)]
        related = [p for p in related if p.a in mine or p.b in mine]
        referred = {s.duplicate_of.doc for s in spans} | {d for x in found for d in x.members}
        referred |= {d for p in related for d in (p.a, p.b)}
        indexed = [d for d in range(first) if c.doc_ids[d] in referred]
    stats = table(slice(first, None))
    return ScanResult(cfg.describe(), stats, spans, found, boilerplate, related, table(indexed))


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Python's collector run every ``_COLLECT_EVERY`` new objects (unless it
    is rarer already) until the block ends, then as before."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], _COLLECT_EVERY), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _batches(documents: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
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
    progress: Callable[[int, int, int], None] | None,
    engine: Engine,
) -> None:
    """Per-document features (by ``engine``'s tasks), gathered in input order."""
    task = partial(_features, c.cfg, c.path, not engine.shares_disk)
    sent: deque[list[Document]] = deque()  # the batches whose texts the tasks have

    def texts() -> Iterator[list[str]]:
        # Only the texts go to a worker: pickling Documents costs 5x more.
        for docs in _batches(documents, _BATCH_DOCS):
            sent.append(docs)
            yield [doc.text for doc in docs]

    for _, done in engine.map(task, texts()):
        docs = sent.popleft()  # the engine answers in order
        ids = [doc.id for doc in docs]
        c.append(ids, *done)
        if progress is not None:
            chars = sum(len(doc.text) for doc in docs)
            size = sum(len(doc.text.encode("utf-8", "surrogatepass")) for doc in docs)
            progress(len(docs), chars, size)


def _features(
    cfg: Config, folder: Path, away: bool, texts: list[str]
) -> tuple[BatchFeatures, Written]:
    """A batch's features, the bulky ones spilled to the files of whichever
    process runs it, in ``folder``; ``away`` from it (a Dask worker that does
    not see it), in a folder the worker keeps for the scan. Their few
    numbers a document come back, and where the rest went."""
    if not away:
        return held(folder, cfg).featurize(texts)
    kept, owner = keeping(folder)
    small, written = held(kept, cfg).featurize(texts)
    return small, written.owned(owner)


class _Read(NamedTuple):
    """A batch of documents read here, for a task to featurize: their ids,
    places and texts, and the bytes of their file to count them as read."""

    ids: list[str]
    places: list[str]
    texts: list[str]
    size: int


def _featurize_parts(
    c: Index, source: Source, progress: Callable[[int, int, int], None] | None, engine: Engine
) -> None:
    """``_featurize`` with the tasks reading the corpus, a part each: only
    ids and features come back, in input order, where ids are checked."""
    ids = Ids(source)
    task = partial(_read_task, source, c.cfg, c.path, not engine.shares_disk)
    for load, batches in engine.map(task, _loads(parts(source, engine), source, engine)):
        # shared by its batches, by characters
        size = load.size if isinstance(load, _Read) else sum(part.size for part in load)
        total = sum(chars for _, _, chars, _ in batches) or 1
        for names, places, chars, done in batches:
            for name, where in zip(names, places, strict=True):
                ids.add(name, where)
            c.append(names, *done)
            if progress is not None:
                share = size * chars // total
                progress(len(names), chars, share)
                size, total = size - share, total - chars
    ids.done()


def _loads(loads: list[list[Part]], source: Source, engine: Engine) -> Iterator[list[Part] | _Read]:
    """The loads for this machine's workers to read; but a load of files
    read whole (a compressed one cannot be cut) that holds more than a
    worker's share of the corpus is read here, a batch of texts a task: else
    one worker would featurize it alone while the others wait (SaudiNewsNet
    as one .jsonl.gz, two workers: 8.2 s against 10.2 s, medians of
    ``benchmarks.turns``). Its bytes count as read at its end."""
    workers = engine.workers if isinstance(engine, ProcessEngine) else 1
    share = sum(part.size for load in loads for part in load) / workers
    for load in loads:
        size = sum(part.size for part in load)
        if workers < 2 or size <= share or load[0].range is not None:  # (a range: alone)
            yield load
            continue
        last = None
        for batch in _batches(read_parts(load, source), _BATCH_DOCS):
            if last is not None:
                yield last
            last = _read(batch)
        if last is not None:
            yield last._replace(size=size)


def _read_task(
    source: Source, cfg: Config, folder: Path, away: bool, load: list[Part] | _Read
) -> list[tuple[list[str], list[str], int, Any]]:
    """The documents of ``load`` read and featurized a batch at a time (or
    a batch read already): for each batch the ids, their places, the
    characters, and the features (``_features``)."""
    if isinstance(load, _Read):
        reads: Iterable[_Read] = [load]
    else:
        reads = map(_read, _batches(read_parts(load, source), _BATCH_DOCS))
    return [
        (r.ids, r.places, sum(map(len, r.texts)), _features(cfg, folder, away, r.texts))
        for r in reads
    ]


def _read(batch: list[tuple[Document, str]]) -> _Read:
    """A batch of documents and their places, as a task is given it."""
    ids, places = [doc.id for doc, _ in batch], [where for _, where in batch]
    return _Read(ids, places, [doc.text for doc, _ in batch], 0)
