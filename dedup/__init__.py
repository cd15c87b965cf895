"""dedup: near-duplicate and repetition detection for text corpora.

>>> from dedup import scan, read_documents
>>> result = scan(read_documents("seeds/"))
>>> [(s.doc, s.start, s.end, s.kind) for s in result.spans if s.kind == "within"][:1]
[('001_78ea9c6ae5c3d444.txt', 1835, 3390, 'within')]
"""

from __future__ import annotations

__version__ = "0.1.0"

from dedup.config import Config
from dedup.errors import ConfigError, DedupError, InputError, OutputError
from dedup.models import (
    Boilerplate,
    Cluster,
    DocPair,
    DocStats,
    Document,
    Ref,
    ScanResult,
    Span,
)
from dedup.pipeline import scan
from dedup.readers import read_documents

__all__ = [
    "Boilerplate",
    "Cluster",
    "Config",
    "ConfigError",
    "DedupError",
    "DocPair",
    "DocStats",
    "Document",
    "InputError",
    "OutputError",
    "Ref",
    "ScanResult",
    "Span",
    "__version__",
    "read_documents",
    "scan",
]
