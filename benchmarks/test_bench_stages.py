"""Speed of each stage (pytest-benchmark): python -m pytest benchmarks.

Every stage runs on the seeds and on the first 2,000 SaudiNewsNet articles
(skipped, saying so, when ../shared/data is absent). Group by corpus and
compare stages with ``--benchmark-group-by=param``.
"""

from __future__ import annotations

import json
from pathlib import Path

import ijson
import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, read_documents, reference, scan
from dedup.engines import Engine
from dedup.features import featurize_batch
from dedup.finders.passages import find_passages
from dedup.lsh import band_keys, candidate_pairs, lsh_params
from dedup.minhash import MinHasher, shingle_sets
from dedup.repetition import repetition_stats
from dedup.reports.html import render_html
from dedup.reports.json import write_json
from dedup.segment import paragraphs
from dedup.text import tokenize, tokenize_batch
from dedup.verify import jaccard

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module", params=["seeds", "saudinewsnet-2000"])
def docs(request: pytest.FixtureRequest) -> list[Document]:
    if request.param == "seeds":
        return list(read_documents(SEEDS))
    if not SAUDINEWSNET.exists():
        pytest.skip(f"{SAUDINEWSNET} not found (see ../shared/data/README.md)")
    return list(saudinewsnet(2000))


@pytest.fixture(scope="module")
def shingled(docs: list[Document]) -> list[np.ndarray]:
    sets = []
    for d in docs:
        toks = tokenize(d.text)
        p = paragraphs(d.text, toks)
        sets += [s for s in shingle_sets(toks.hashes, p.tok_lo, p.tok_hi, 5) if len(s)]
    return sets


def batches(docs: list[Document], size: int = 1000) -> list[list[str]]:
    return [[d.text for d in docs[i : i + size]] for i in range(0, len(docs), size)]


# Each group times the plain per-document function (the reference) next to
# the batch fast path the scan uses: compare them within the group.
@pytest.mark.benchmark(group="tokenize+normalize")
def test_tokenize(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    benchmark(lambda: [tokenize(d.text) for d in docs])


@pytest.mark.benchmark(group="tokenize+normalize")
def test_tokenize_batch(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    benchmark(lambda: [tokenize_batch(b) for b in batches(docs)])


@pytest.fixture(scope="module")
def json_array(docs: list[Document], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents as one JSON array, Python's json.dumps escapes and all."""
    path = tmp_path_factory.mktemp("json") / "docs.json"
    path.write_text(json.dumps([{"id": d.id, "text": d.text} for d in docs]), encoding="utf-8")
    return path


@pytest.mark.benchmark(group="read a JSON array")
def test_json_array_exact(benchmark: BenchmarkFixture, json_array: Path) -> None:
    def exact() -> int:
        with json_array.open("rb") as fh:
            return sum(1 for _ in ijson.get_backend("python").items(fh, "item", use_float=True))

    benchmark(exact)


@pytest.mark.benchmark(group="read a JSON array")
def test_json_array(benchmark: BenchmarkFixture, json_array: Path) -> None:
    benchmark(lambda: sum(1 for _ in read_documents(json_array)))


@pytest.mark.benchmark(group="statistics")
def test_repetition(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    tokens = [(d.text, tokenize(d.text)) for d in docs]
    benchmark(lambda: [repetition_stats(text, t) for text, t in tokens])


@pytest.mark.benchmark(group="featurize")
def test_featurize_plain(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    cfg = Config()
    benchmark(lambda: [reference.featurize_batch(b, cfg) for b in batches(docs)])


@pytest.mark.benchmark(group="featurize")
def test_featurize(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    """The compiled kernels (the first run compiles them, if not cached)."""
    cfg = Config()
    featurize_batch([d.text for d in docs[:10]], cfg)
    benchmark(lambda: [featurize_batch(b, cfg) for b in batches(docs)])


@pytest.mark.benchmark(group="shingle+minhash")
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


@pytest.mark.benchmark(group="lsh")
def test_lsh(benchmark: BenchmarkFixture, shingled: list[np.ndarray]) -> None:
    sigs = MinHasher().signatures(shingled)
    bands, rows = lsh_params(0.6, 128)
    benchmark(lambda: candidate_pairs(band_keys(sigs, bands, rows).T))


@pytest.mark.benchmark(group="verify")
def test_verify(benchmark: BenchmarkFixture, shingled: list[np.ndarray]) -> None:
    bands, rows = lsh_params(0.6, 128)
    pairs = candidate_pairs(band_keys(MinHasher().signatures(shingled), bands, rows).T).tolist()
    benchmark(lambda: [jaccard(shingled[a], shingled[b]) for a, b in pairs])


@pytest.mark.benchmark(group="align")
def test_passages(benchmark: BenchmarkFixture, docs: list[Document], tmp_path: Path) -> None:
    hashes = [tokenize(d.text).hashes for d in docs]
    words = [np.unique(h) for h in hashes]
    benchmark(
        lambda: find_passages(
            lambda: hashes,
            lambda: words,
            tmp_path,
            Engine(),
            gap=25,
            min_seeds=5,
            max_df=20,
            threshold=0.3,
            min_tokens=20,
        )
    )


@pytest.mark.benchmark(group="report")
def test_reports(benchmark: BenchmarkFixture, docs: list[Document], tmp_path: Path) -> None:
    result = scan(docs)
    texts = {d.id: d.text for d in docs}

    def run() -> None:
        write_json(result, tmp_path / "report.json", force=True)  # again each round
        render_html(result, lambda ids: ((i, texts[i]) for i in ids))

    benchmark(run)


@pytest.mark.benchmark(group="pipeline")
def test_scan(benchmark: BenchmarkFixture, docs: list[Document]) -> None:
    result = benchmark.pedantic(scan, args=(docs,), rounds=3 if len(docs) > 100 else 10)
    assert len(result.documents) == len(docs)
