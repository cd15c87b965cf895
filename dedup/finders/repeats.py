"""Repeats inside one document, wherever its line breaks are.

Paragraphs repeated inside a document are found paragraph by paragraph
(finders/paragraphs.py); a doubled block inside one long line (a scraped
page without line breaks) is not a paragraph. So each document's own
windows of ``shingle_size`` tokens are compared with each other while its
features are computed (kernels.repeats, on the workers): a stretch of at
least ``passage_min_tokens`` tokens repeating an earlier one, whose
windows reach ``paragraph_threshold`` Jaccard similarity with it, as a
repeated paragraph must. Here they become passages of a document with
itself (add_passages keeps those no paragraph span already says), and of
those kept, those a reader keeps are told apart, as for paragraphs: a
repeat away from its original whose text is common in the corpus (half
its windows in at least ``formula_min_docs`` documents, near-duplicates
counting once: a title or formula written out twice) is a ``formula``; a
repeat right after its original never is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.engines import Engine, run
from dedup.finders import Stored
from dedup.finders.passages import Passage
from dedup.index import Index
from dedup.minhash import POSITION
from dedup.models import Cluster
from dedup.verify import Members, unique


def repeated_passages(c: Index) -> list[Passage]:
    """The index's repeats inside one document, as passages (``a == b``)."""
    return [
        Passage(d, a_lo, a_hi, d, b_lo, b_hi, round(similarity, 4))
        for (d, a_lo, a_hi, b_lo, b_hi), similarity in zip(
            c.repeats.tolist(), c.repeat_similarity.tolist(), strict=True
        )
    ]


def formulas(
    c: Index,
    cfg: Config,
    engine: Engine,
    clusters: Callable[[], list[Cluster]],
    found: list[Passage],
    block: int = 10_000,
) -> set[Passage]:
    """Those of ``found`` (repeats inside one document, reported) that are
    formulas. Which documents hold their windows is found by ``engine``'s
    tasks, a block of documents' tokens each (``_held``), where they run.
    Documents in one of the document clusters count once, as copies of one
    another: a republished article repeating a sentence is not three
    articles using it (and clean, which drops such copies, then finds the
    same repeats in what it writes). ``clusters`` gives them once the
    holders are found (they may be in the making meanwhile)."""
    away = [p for p in found if p.b_lo > p.a_hi]
    if not away:
        return set()
    k = cfg.shingle_size
    docs = unique(np.array([p.b for p in away], np.int64))
    tokens = dict(zip(docs.tolist(), c.tokens.each(docs), strict=True))
    copies = [kernels.windows(tokens[p.b][p.b_lo : p.b_hi], k, POSITION) for p in away]
    wanted = unique(np.concatenate(copies))
    stored, n = Stored(c.path, cfg, "tokens"), len(c.doc_ids)
    items = ((stored, np.arange(lo, min(n, lo + block)), wanted, k) for lo in range(0, n, block))
    # Workers that do not see the scan's folder would be sent every token: here, then.
    where = engine if engine.opens else Engine()
    hits = run(where, _held, items)
    group = np.arange(n)
    for cluster in clusters():
        group[[c.doc_number[m] for m in cluster.members]] = c.doc_number[cluster.representative]
    # each window's holders, as groups: window << 32 | group, each once
    held = unique(np.concatenate([np.empty(0, np.int64), *(at << 32 | group[d] for at, d in hits)]))
    groups = np.bincount(held >> 32, minlength=len(wanted))
    common = [groups[np.searchsorted(wanted, w)] >= cfg.formula_min_docs for w in copies]
    return {
        p
        for p, is_common in zip(away, common, strict=True)
        if 2 * is_common.sum() >= len(is_common)
    }


# A holders task's item: the tokens (opened where it runs), the block's
# documents, the windows wanted, and k.
_Item = tuple[Stored, np.ndarray, np.ndarray, int]


def _held(item: _Item) -> tuple[np.ndarray, np.ndarray]:
    """A task: the windows of ``k`` tokens of ``docs`` found in ``wanted``
    (sorted hashes), as (where in ``wanted``, which document), each once."""
    stored, docs, wanted, k = item
    tokens = stored.open()
    sizes = tokens.sizes(docs)
    at = Members(wanted, rare=True).find(kernels.windows(tokens.gather(docs), k, POSITION))
    where = np.flatnonzero(at >= 0)  # few: their documents are found for them alone
    ends = np.cumsum(sizes)
    owner = np.searchsorted(ends, where, side="right")
    inside = where + k <= ends[owner]  # not a window across two documents
    found = unique(at[where[inside]] << 32 | owner[inside])
    return found >> 32, docs[found & 0xFFFFFFFF]
