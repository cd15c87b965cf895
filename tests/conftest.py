from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup import ScanResult, read_documents, scan

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = ROOT.parent / "shared" / "data"


def read_text(path: Path) -> str:
    # newline="" keeps \r: offsets are into the file's characters as they are.
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.name: read_text(p) for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_result() -> ScanResult:
    return scan(read_documents(SEEDS))


def needs(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"evaluation data not found at {path} (see ../shared/data/README.md)")
    return path


def mapped_file(array: object) -> str:
    """The file ``array`` is a map of ("" if none, or not an array)."""
    while isinstance(array, np.ndarray) and not isinstance(array, np.memmap):
        array = array.base
    return str(array.filename) if isinstance(array, np.memmap) else ""
