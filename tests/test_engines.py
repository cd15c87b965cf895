"""Every engine gives the reference (single-process) engine's answer."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Document, read_documents, scan
from dedup.cli import app
from dedup.engines import local, parallel
from tests.conftest import SEEDS, needs


def square_all(batch: list[int]) -> list[int]:
    return [x * x for x in batch]


def test_parallel_map_keeps_order_and_results() -> None:
    batches = [list(range(i, i + 7)) for i in range(0, 200, 7)]
    assert list(parallel(square_all, batches, 2)) == list(local(square_all, batches))


def test_two_workers_equal_one_on_seeds() -> None:
    docs = list(read_documents(SEEDS))
    assert scan(docs, workers=2) == scan(docs)


def test_two_workers_equal_one_on_news() -> None:
    needs(SAUDINEWSNET)
    docs: list[Document] = list(saudinewsnet(2500))  # three batches of work
    one = scan(docs)
    assert one.spans and one.clusters
    assert scan(docs, workers=2) == one


def test_cli_workers_option(tmp_path: Path) -> None:
    runner = CliRunner()
    for n in ("1", "2"):
        args = ["scan", str(SEEDS), "--json", str(tmp_path / f"{n}.json"), "-q", "--workers", n]
        assert runner.invoke(app, args).exit_code == 0
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
