"""dedup: near-duplicate and repetition detection for text corpora.

from dedup import read_documents, scan

result = scan(read_documents("seeds/"))
for span in result.spans:
    print(span.doc, span.start, span.end, span.kind, span.duplicate_of)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Names are imported when first used (PEP 562): ``import dedup`` and
# ``dedup --help`` stay cheap, and a CLI run installs its signal handlers
# before the heavy imports.
_WHERE = {
    "CleanPolicy": "dedup.clean",
    "Removal": "dedup.models",
    "clean_documents": "dedup.clean",
    "Config": "dedup.config",
    "ConfigError": "dedup.errors",
    "DedupError": "dedup.errors",
    "InputError": "dedup.errors",
    "OutputError": "dedup.errors",
    "WorkerError": "dedup.errors",
    "Boilerplate": "dedup.models",
    "Cluster": "dedup.models",
    "DocPair": "dedup.models",
    "DocStats": "dedup.models",
    "Document": "dedup.models",
    "Ref": "dedup.models",
    "ScanResult": "dedup.models",
    "Span": "dedup.models",
    "scan": "dedup.pipeline",
    "read_documents": "dedup.readers",
    "Source": "dedup.formats",
}

if TYPE_CHECKING:
    from dedup.clean import CleanPolicy, clean_documents
    from dedup.config import Config
    from dedup.errors import ConfigError, DedupError, InputError, OutputError, WorkerError
    from dedup.formats import Source
    from dedup.models import (
        Boilerplate,
        Cluster,
        DocPair,
        DocStats,
        Document,
        Ref,
        Removal,
        ScanResult,
        Span,
    )
    from dedup.pipeline import scan
    from dedup.readers import read_documents


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


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
    "Source",
    "Span",
    "WorkerError",
    "__version__",
    "clean_documents",
    "read_documents",
    "scan",
]
