"""PAN span scores of ``dedup scan`` (default settings) on ExAraPlagDet dev.

    python -m benchmarks.quality.exaraplagdet

Scans source and suspicious documents together (sources first, so in input
order a source is always the earlier copy), turns every span in a suspicious
document that copies a source document into a PAN detection, and scores the
detections against the annotations, overall and per obfuscation type.
"""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from benchmarks.corpora import EXARAPLAGDET
from benchmarks.quality.pan import Annotation, overlapping, score
from dedup import Config, Document, ScanResult, read_documents, scan

OBFUSCATIONS = (
    "none",
    "phrase shuffling",
    "word shuffling",
    "manual synonym substitution",
    "manual paraphrasing",
)


def cases(root: Path = EXARAPLAGDET) -> list[tuple[str, Annotation]]:
    """(obfuscation, case) for every annotated reuse."""
    out = []
    for xml in sorted((root / "plagiarism-annotation").glob("*.xml")):
        doc = ET.parse(xml).getroot()
        for f in doc.iter("feature"):
            if f.get("name") != "plagiarism":
                continue
            out.append(
                (
                    f.get("obfuscation", ""),
                    Annotation(
                        doc.get("reference", ""),
                        int(f.get("this_offset", 0)),
                        int(f.get("this_length", 0)),
                        f.get("source_reference", ""),
                        int(f.get("source_offset", 0)),
                        int(f.get("source_length", 0)),
                    ),
                )
            )
    return out


def documents(root: Path = EXARAPLAGDET) -> Iterator[Document]:
    for folder in ("source-documents", "suspicious-documents"):
        for doc in read_documents(root / folder):
            yield Document(doc.id, doc.text, doc.meta)


def detections(result: ScanResult) -> list[Annotation]:
    return [
        Annotation(
            s.doc,
            s.start,
            s.end - s.start,
            s.duplicate_of.doc,
            s.duplicate_of.start,
            s.duplicate_of.end - s.duplicate_of.start,
        )
        for s in result.spans
        if s.doc.startswith("suspicious") and s.duplicate_of.doc.startswith("source")
    ]


def evaluate(config: Config | None = None) -> tuple[dict[str, dict[str, float]], float]:
    """Scores per obfuscation type and overall, and the scan's seconds."""
    start = time.perf_counter()
    result = scan(documents(), config)
    seconds = time.perf_counter() - start
    labelled = cases()
    dets = detections(result)
    table = {"overall": score([c for _, c in labelled], dets)}
    for kind in OBFUSCATIONS:
        these = [c for o, c in labelled if o == kind]
        # Per type, precision is over the detections that touch a case of this type.
        touching = [d for d in dets if any(overlapping(c, d) for c in these)]
        table[kind] = score(these, touching)
    return table, seconds


def print_table(table: dict[str, dict[str, float]]) -> None:
    print(
        f"{'obfuscation':<30}{'cases':>6}{'dets':>6}{'prec':>8}{'rec':>8}{'gran':>7}{'plagdet':>9}"
    )
    for name, row in table.items():
        print(
            f"{name:<30}{row['cases']:>6}{row['detections']:>6}{row['precision']:>8.3f}"
            f"{row['recall']:>8.3f}{row['granularity']:>7.3f}{row['plagdet']:>9.3f}"
        )


def main() -> None:
    if not EXARAPLAGDET.exists():
        sys.exit(f"skipped: {EXARAPLAGDET} not found (see ../shared/data/README.md)")
    table, seconds = evaluate()
    print(f"ExAraPlagDet dev, dedup scan default settings ({seconds:.1f} s)")
    print_table(table)


if __name__ == "__main__":
    main()
