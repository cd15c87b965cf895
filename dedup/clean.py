"""Clean: the corpus without its repeats, keeping the first copy, every removal logged.

Policies (``CleanPolicy``):

- ``within`` (on): remove later copies of paragraphs and blocks repeated
  inside a document;
- ``formula`` (off): remove repeats a reader keeps too (a formula of the
  corpus used for a second case, a refrain; see ``Config.formula_min_docs``);
- ``near_duplicates`` (on): drop each document covered by a kept one
  (``keep``: ``covering``, ``first`` or ``longest``, see cluster.py); the
  log names the kept document and their verified similarity;
- ``across`` (off): remove paragraphs that copy an earlier document's paragraph;
- ``boilerplate`` (off): remove boilerplate paragraphs, first occurrences too.

A removed paragraph takes its line with it: the white space before it on its
line and the line breaks up to the next line with text, so no blank holes
remain. At the end of a document, the white space before it goes instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dedup.cluster import Coverage, clusters
from dedup.config import KEEP, Config, Keep
from dedup.errors import ConfigError, InputError
from dedup.features import fingerprint
from dedup.models import Cluster, DocStats, Document, Ref, Removal, ScanResult, Span
from dedup.pipeline import scan


@dataclass(frozen=True)
class CleanPolicy:
    within: bool = True
    near_duplicates: bool = True
    keep: Keep = "covering"
    across: bool = False
    boilerplate: bool = False
    formula: bool = False

    def __post_init__(self) -> None:
        if self.keep not in KEEP:
            raise ConfigError("keep must be " + " | ".join(KEEP))


@dataclass(frozen=True, slots=True)
class Plan:
    """Per document: dropped whole (with its removal), or spans to cut."""

    dropped: dict[str, Removal]
    cuts: dict[str, list[tuple[Span, str]]]


def plan(result: ScanResult, policy: CleanPolicy) -> Plan:
    dropped: dict[str, Removal] = {}
    if policy.near_duplicates:
        # Indexed documents (scan --index) come first; they are published
        # already, so only the batch's documents can be dropped.
        chars = {d.id: d.chars for d in [*result.indexed, *result.documents]}
        indexed = {d.id for d in result.indexed}
        for cluster in kept_clusters(result, policy.keep, chars):
            kept = cluster.representative
            for pair in cluster.pairs:
                m = pair.other(kept)
                if m in indexed:
                    continue
                whole = (0, chars[m])
                dropped[m] = Removal(
                    m,
                    *whole,
                    "near-duplicate",
                    Ref(kept, 0, chars[kept]),
                    whole,
                    round(pair.jaccard, 4),
                    round(pair.containment(m), 4),
                )
    cuts: dict[str, list[tuple[Span, str]]] = {}
    for s in result.spans:
        wanted = (
            (s.kind == "within" and policy.within)
            or (s.kind == "formula" and policy.formula)
            or (s.kind == "across" and policy.across and s.match == "paragraph")
            or (s.kind == "boilerplate" and policy.boilerplate)
        )
        if wanted and s.doc not in dropped:
            cuts.setdefault(s.doc, []).append((s, s.kind))
    if policy.boilerplate:
        for b in result.boilerplate:
            if b.first.doc not in dropped:
                first = Span(b.first.doc, b.first.start, b.first.end, "boilerplate", 1.0, b.first)
                cuts.setdefault(b.first.doc, []).append((first, "boilerplate"))
    return Plan(dropped, cuts)


class CorpusCheck:
    """Refuses a corpus other than the one ``result`` describes (ids, lengths
    and text fingerprints), naming the first document that differs: a report
    of an edited corpus would cut the wrong characters. Called with each
    document as the corpus is read for its own sake (``clean --report``
    writing the cleaned copy, ``report`` reading texts: read once, not
    twice); ``done`` at its end."""

    def __init__(self, result: ScanResult, where: str) -> None:
        self._expected, self._seen, self._where = iter(result.documents), 0, where

    def __call__(self, doc: Document) -> None:
        st, where = next(self._expected, None), self._where
        if st is None:
            raise InputError(f"{where}: {doc.id!r} is not in the report (more documents)")
        self._seen += 1
        if doc.id != st.id:
            raise InputError(
                f"{where}: document {self._seen} is {doc.id!r}, the report's {st.id!r}"
            )
        check_text(st, doc.text, where)

    def done(self) -> None:
        missing = next(self._expected, None)
        if missing is not None:
            raise InputError(f"{self._where}: {missing.id!r} of the report is missing")


def check_text(st: DocStats, text: str, where: str) -> None:
    """Refuse ``text`` unless it is the one ``st`` describes (length and fingerprint)."""
    if len(text) != st.chars or f"{fingerprint(text):016x}" != st.fingerprint:
        raise InputError(f"{where}: {st.id!r} is not the text the report describes")


def kept_clusters(result: ScanResult, keep: Keep, chars: dict[str, int]) -> list[Cluster]:
    """The result's clusters as ``keep`` chooses the kept documents, from all
    its verified pairs (the scan may have chosen them another way)."""
    pairs = [p for c in result.clusters for p in c.pairs] + result.related
    position = {d: i for i, d in enumerate(chars)}
    cfg = result.config
    rule = Coverage(
        cfg["document_threshold"], cfg["containment_threshold"], cfg["min_containment_shingles"]
    )
    return clusters(
        sorted(pairs, key=lambda p: (position[p.a], position[p.b])), position, chars, rule, keep
    )[0]


def clean_text(doc: str, text: str, cuts: list[tuple[Span, str]]) -> tuple[str, list[Removal]]:
    """``text`` without the cut spans (and the white space they leave), and the log."""
    ranges = sorted(
        (*_line_extent(text, span.start, span.end), i) for i, (span, _) in enumerate(cuts)
    )
    merged: list[tuple[int, int, int]] = []  # (start, end, index of the cut)
    for start, end, i in ranges:  # overlapping cuts (a boilerplate line in a repeated block)
        if merged and start <= merged[-1][1]:
            first, last, kept = merged[-1]
            merged[-1] = (first, max(last, end), kept)
        else:
            merged.append((start, end, i))
    if merged and merged[-1][1] == len(text):  # nothing follows: trim what precedes instead
        start, end, i = merged[-1]
        floor = merged[-2][1] if len(merged) > 1 else 0  # never into the cut before
        while start > floor and text[start - 1].isspace():
            start -= 1
        merged[-1] = (start, end, i)
    removals = [
        Removal(
            doc, start, end, cuts[i][1], cuts[i][0].duplicate_of, (cuts[i][0].start, cuts[i][0].end)
        )
        for start, end, i in merged
    ]
    pieces, pos = [], 0
    for r in removals:
        pieces.append(text[pos : r.start])
        pos = r.end
    pieces.append(text[pos:])
    return "".join(pieces), removals


# Line breaks as str.splitlines (and so segment.py) knows them.
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _line_extent(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a paragraph span to take its line: leading blanks on the line, and
    every line break and blank up to the next text (or the end)."""
    while start > 0 and text[start - 1].isspace() and text[start - 1] not in _BREAKS:
        start -= 1
    after = end
    while after < len(text) and text[after].isspace():
        after += 1
    if after == len(text):
        return start, after
    # keep the indentation of the next line: stop after the last line break
    last_break = max((i for i in range(end, after) if text[i] in _BREAKS), default=-1)
    return start, (last_break + 1 if last_break >= 0 else end)


def clean_documents(
    documents: Iterable[Document],
    policy: CleanPolicy | None = None,
    config: Config | None = None,
    result: ScanResult | None = None,
) -> Iterator[tuple[Document | None, list[Removal]]]:
    """For pipelines: each document cleaned (None when dropped) with its removals.

    ``documents`` is read twice when ``result`` is not given (once to scan),
    so pass a list, not a one-shot iterator.
    """
    policy = policy or CleanPolicy()
    if result is None:
        documents = list(documents)
        result = scan(documents, config)
    p = plan(result, policy)
    for doc in documents:
        if doc.id in p.dropped:
            yield None, [p.dropped[doc.id]]
        elif doc.id in p.cuts:
            text, removals = clean_text(doc.id, doc.text, p.cuts[doc.id])
            yield Document(doc.id, text, doc.meta), removals
        else:
            yield doc, []
