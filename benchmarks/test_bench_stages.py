"""Speed of each stage on the seeds (pytest-benchmark): python -m pytest benchmarks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from dedup import Document, read_documents, scan
from dedup.minhash import MinHasher, shingle_sets
from dedup.segment import paragraphs
from dedup.text import tokenize

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return list(read_documents(SEEDS))


@pytest.mark.benchmark(group="stages")
def test_tokenize(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    benchmark(lambda: [tokenize(d.text) for d in docs])


@pytest.mark.benchmark(group="stages")
def test_shingle_and_minhash(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    hasher = MinHasher()
    prepared = []
    for d in docs:
        toks = tokenize(d.text)
        prepared.append((toks.hashes, paragraphs(d.text, toks)))

    def run() -> None:
        sets = [s for h, p in prepared for s in shingle_sets(h, p.tok_lo, p.tok_hi, 5)]
        hasher.signatures(sets)

    benchmark(run)


@pytest.mark.benchmark(group="pipeline")
def test_scan_seeds(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    result = benchmark(scan, docs)
    assert len(result.spans) == 2
