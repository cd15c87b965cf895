"""Plain data that flows between the stages.

Every offset is a Python ``str`` index (code point) into the ORIGINAL text,
half-open ``[start, end)``: ``text[start:end]`` is the span.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np

SpanKind = Literal["within", "formula", "across", "boilerplate"]
MatchKind = Literal["paragraph", "passage"]


@dataclass(frozen=True, slots=True)
class KindInfo:
    label: str  # what a report says the kind is
    colour: str  # its background in the HTML report


# Every span kind, once: the reports read it from here.
KINDS: dict[SpanKind, KindInfo] = {
    "within": KindInfo("repeated within the document", "#ffd8a8"),
    "formula": KindInfo("a formula or refrain the document repeats (kept)", "#fff3bf"),
    "across": KindInfo("copied from another document", "#a5d8ff"),
    "boilerplate": KindInfo("boilerplate (found in many documents)", "#dee2e6"),
}
SPAN_KINDS: tuple[SpanKind, ...] = tuple(KINDS)
MATCH_KINDS: tuple[MatchKind, ...] = ("paragraph", "passage")


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)  # where it came from: source, line


@dataclass(frozen=True, slots=True)
class Ref:
    """A place in a document."""

    doc: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Span:
    """A duplicated span and the earlier text it copies.

    ``kind`` is ``within`` when the original is earlier in the same document,
    ``formula`` when that repeat is one a reader keeps (a phrase common in
    the corpus, or a short line repeated away from its first occurrence),
    ``boilerplate`` when the paragraph occurs in many documents, else
    ``across``. ``match`` says how it was found: ``paragraph`` (whole
    paragraphs; ``similarity`` is the Jaccard similarity of the two sides'
    word-shingle sets) or ``passage`` (a passage inside paragraphs, words
    possibly reordered; ``similarity`` is the Jaccard similarity of the two
    sides' word sets; for a repeat inside one document, found wherever its
    line breaks are, of their word-shingle sets, as for paragraphs).
    """

    doc: str
    start: int
    end: int
    kind: SpanKind
    similarity: float
    duplicate_of: Ref
    match: MatchKind = "paragraph"


@dataclass(frozen=True, slots=True)
class DocPair:
    """A verified pair of near-duplicate documents (``a`` before ``b`` in input
    order), with the exact sizes of their shingle sets and of what they share:
    every similarity follows from these integers, so a report read back makes
    the same decisions as the scan that wrote it."""

    a: str
    b: str
    a_shingles: int
    b_shingles: int
    shared: int
    estimate: float  # MinHash estimate of the Jaccard similarity

    @property
    def jaccard(self) -> float:
        union = self.a_shingles + self.b_shingles - self.shared
        return self.shared / union if union else 1.0

    @property
    def a_in_b(self) -> float:
        """How much of ``a`` is in ``b``: ``|A ∩ B| / |A|``."""
        return self.shared / self.a_shingles if self.a_shingles else 1.0

    @property
    def b_in_a(self) -> float:
        return self.shared / self.b_shingles if self.b_shingles else 1.0

    def other(self, doc: str) -> str:
        return self.b if doc == self.a else self.a

    def containment(self, doc: str) -> float:
        """How much of ``doc`` (``a`` or ``b``) is in the other one."""
        return self.a_in_b if doc == self.a else self.b_in_a

    def shingles(self, doc: str) -> int:
        return self.a_shingles if doc == self.a else self.b_shingles


@dataclass(frozen=True, slots=True)
class Cluster:
    """A kept document (``representative``) and the documents it covers: each
    member is verified directly against it (``pairs``: one a member, in the
    order of ``members``), never through a chain of other members."""

    id: int
    members: list[str]  # input order, the representative among them
    representative: str
    pairs: list[DocPair]


@dataclass(frozen=True, slots=True)
class Boilerplate:
    """A paragraph found in many documents; ``first`` is its first occurrence."""

    first: Ref
    documents: int
    occurrences: int
    preview: str


@dataclass(frozen=True, slots=True)
class DocStats:
    id: str
    chars: int
    tokens: int
    paragraphs: int
    repetition: dict[str, float]
    fingerprint: str = ""  # 16 hex digits of features.fingerprint(text)


class DocTable(Sequence[DocStats]):
    """Every document's DocStats, kept as columns (a few numbers a document):
    a million DocStats objects with their dicts would take about a gigabyte."""

    def __init__(
        self,
        ids: list[str],
        counts: np.ndarray,  # int64 (documents, 3): chars, tokens, paragraphs
        repetition: np.ndarray,  # float64 (documents, len(names))
        names: list[str],
        fingerprints: np.ndarray,  # uint64 (documents,)
    ) -> None:
        self._ids, self._counts, self._repetition, self._names = ids, counts, repetition, names
        self._fingerprints = fingerprints

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, i: int) -> DocStats: ...
    @overload
    def __getitem__(self, i: slice) -> list[DocStats]: ...
    def __getitem__(self, i: int | slice) -> DocStats | list[DocStats]:
        if isinstance(i, slice):
            return self._rows(i)
        return self._rows(slice(i, i + 1 or None))[0]

    def __iter__(self) -> Iterator[DocStats]:
        for lo in range(0, len(self), 4096):  # a row at a time costs 5 us each
            yield from self._rows(slice(lo, lo + 4096))

    def identities(self) -> tuple[list[str], list[str], int]:
        """Every document's id and fingerprint, and their characters in all:
        what a report's summary reads, without making the rows."""
        marks = [f"{mark:016x}" for mark in self._fingerprints.tolist()]
        return list(self._ids), marks, int(self._counts[:, 0].sum())

    def columns(
        self, rows: slice
    ) -> tuple[list[str], np.ndarray, np.ndarray, list[str], np.ndarray]:
        """Rows ``rows`` as the columns they are kept in: ids, counts,
        repetition, its names, fingerprints (what a report writes fastest)."""
        return (
            self._ids[rows], self._counts[rows], self._repetition[rows], self._names,
            self._fingerprints[rows],
        )  # fmt: skip

    def _rows(self, rows: slice) -> list[DocStats]:
        """Rows ``rows``, converted at once."""
        return [
            DocStats(doc_id, chars, tokens, paragraphs, dict(zip(self._names, stats, strict=True)),
                     f"{mark:016x}")
            for doc_id, (chars, tokens, paragraphs), stats, mark in zip(
                self._ids[rows],
                self._counts[rows].tolist(),
                self._repetition[rows].tolist(),
                self._fingerprints[rows].tolist(),
                strict=True,
            )
        ]  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ScanResult:
    config: dict[str, Any]
    documents: Sequence[DocStats]
    spans: list[Span]
    clusters: list[Cluster]
    boilerplate: list[Boilerplate]
    # Verified near-duplicate pairs that are not a member and its representative:
    # evidence, which never merges clusters.
    related: list[DocPair] = field(default_factory=list)
    # A scan with a persistent index (archive.py): the indexed documents its
    # findings refer to (the originals of what the batch copies), in the
    # index's order, all before the batch's own.
    indexed: Sequence[DocStats] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Removal:
    """What was removed from the original text of ``doc``: ``[start, end)``.

    ``reason`` is ``within``, ``across``, ``boilerplate`` or, for a whole
    document, ``near-duplicate``. ``duplicate_of`` is what it repeats (the kept
    document, for a dropped one); ``span`` is the finding itself, without the
    white space removed around it. A dropped document also carries its
    verified ``jaccard`` with the kept one and its ``containment`` in it.
    """

    doc: str
    start: int
    end: int
    reason: str
    duplicate_of: Ref | None
    span: tuple[int, int]
    jaccard: float | None = None
    containment: float | None = None
