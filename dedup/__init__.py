"""dedup: near-duplicate and repetition detection for text corpora.

from dedup import read_documents, scan

result = scan(read_documents("seeds/"))
for span in result.spans:
    print(span.doc, span.start, span.end, span.kind, span.duplicate_of)
"""

from __future__ import annotations

__version__ = "0.1.0"

from dedup.clean import CleanPolicy, Removal, clean_documents
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
    "CleanPolicy",
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
    "Removal",
    "ScanResult",
    "Span",
    "__version__",
    "clean_documents",
    "read_documents",
    "scan",
]
