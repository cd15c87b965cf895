"""A corpus at a URL is read through fsspec where the tasks run, and gives
what its local copy gives: here an S3 bucket that moto serves on localhost."""

from __future__ import annotations

import gzip
import json
import socket
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup.cli import app
from dedup.engines import Engine
from dedup.formats import Source, location
from dedup.readers import parts
from tests.conftest import SEEDS, needs

moto_server = pytest.importorskip("moto.server", reason="the test extra (moto) is not installed")
s3fs = pytest.importorskip("s3fs", reason="the test extra (s3fs) is not installed")

URL = "s3://crawl/corpus"


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same corpus here (returned) and at ``URL``: 2,500 SaudiNewsNet
    articles in one JSON Lines file (9 MB: read in byte ranges), 300 more
    in a Parquet file of 6 row groups, and the seeds gzipped, in a zip
    archive and in a ``.tar.gz`` (read in turn)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    needs(SAUDINEWSNET)
    local = tmp_path_factory.mktemp("corpus")
    news = list(saudinewsnet(2800))
    with (local / "news.jsonl").open("w", encoding="utf-8") as fh:
        for doc in news[:2500]:
            fh.write(json.dumps({"id": doc.id, "text": doc.text}, ensure_ascii=False) + "\n")
    table = pa.table({"id": [d.id for d in news[2500:]], "text": [d.text for d in news[2500:]]})
    pq.write_table(table, local / "more.parquet", row_group_size=50)
    (local / "seeds").mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        (local / "seeds" / f"{seed.name}.gz").write_bytes(gzip.compress(seed.read_bytes()))
    with (
        zipfile.ZipFile(local / "seeds.zip", "w", zipfile.ZIP_DEFLATED) as zipped,
        tarfile.open(local / "seeds.tar.gz", "w:gz") as tarred,
    ):
        for seed in sorted(SEEDS.glob("*.txt")):
            zipped.write(seed, seed.name)
            tarred.add(seed, seed.name)

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:  # seen by the workers the CLI starts, too
        env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        fs = s3fs.S3FileSystem()
        fs.mkdir("crawl")
        fs.put(f"{local}/", "crawl/corpus/", recursive=True)
        fs.pipe("crawl/bad/news.jsonl", b'{"text": "one"}\n{"text": \n')
        try:
            yield local
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            server.stop()


@pytest.mark.parametrize(
    "engine",
    [[], ["--engine", "dask", "--workers", "2", "--no-shared-tmp-dir"]],
    ids=["local", "dask-sharing-nothing"],
)
def test_a_bucket_scans_as_its_local_copy(bucket: Path, tmp_path: Path, engine: list[str]) -> None:
    # The JSON Lines file is cut in byte ranges, read by several tasks.
    assert len(parts(Source(location(f"{URL}/news.jsonl")), Engine())) == 3
    runner = CliRunner()
    reports = []
    for name, corpus in (("here", str(bucket)), ("there", URL)):
        out = tmp_path / f"{name}.json"
        done = runner.invoke(app, ["scan", corpus, "--json", str(out), "-q", *engine])
        assert done.exit_code == 0, done.output
        reports.append(json.loads(out.read_text(encoding="utf-8")))
    here, there = reports
    assert here.pop("input")["path"] == str(bucket) and there.pop("input")["path"] == URL
    assert there == here
    assert {s["kind"] for s in here["spans"]} >= {"within", "across", "boilerplate"}
    seeds = [d["id"] for d in here["documents"] if d["id"].startswith("seeds.")]
    assert seeds[:2] == [
        "seeds.tar.gz/000_612583348e3eef60.txt",
        "seeds.tar.gz/001_78ea9c6ae5c3d444.txt",
    ]
    assert here["clusters"] and len(here["documents"]) == 2800 + 3 * len(list(SEEDS.glob("*.txt")))


def test_a_bucket_cleans_as_its_local_copy(bucket: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    outs = [tmp_path / "here", tmp_path / "there"]
    for out, corpus in zip(outs, [str(bucket), URL], strict=True):
        done = runner.invoke(app, ["clean", corpus, "--out", str(out), "-q"])
        assert done.exit_code == 0, done.output
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    # (the .tar.gz holds the seeds first: their other copies are dropped)
    assert [p.as_posix() for p in files] == [
        "more.parquet",
        "news.jsonl",
        "seeds.tar.gz",
        "seeds.zip",
    ]
    for name in files:  # (a gzip header holds the time it was written)
        there, here = ((out / name).read_bytes() for out in reversed(outs))
        if name.suffix == ".gz":
            there, here = gzip.decompress(there), gzip.decompress(here)
        assert there == here
    logs = [Path(f"{out}.removals.jsonl").read_text(encoding="utf-8") for out in outs]
    assert logs[0] and logs[1] == logs[0]


@pytest.mark.parametrize(
    ("corpus", "said"),
    [
        ("s3://crawl/bad/news.jsonl", "s3://crawl/bad/news.jsonl:2: not valid JSON ("),
        ("s3://crawl/none", "s3://crawl/none: no such file or folder"),
        ("s3://no-such-bucket/corpus", "s3://no-such-bucket/corpus: no such file or folder"),
        ("foo://crawl/corpus", "foo://crawl/corpus: cannot read this URL (Unsupported"),
    ],
)
def test_a_bad_url_is_one_line(bucket: Path, corpus: str, said: str) -> None:
    done = CliRunner().invoke(app, ["scan", corpus, "-q"])
    assert done.exit_code == 1
    assert done.stderr.startswith(f"error: {said}") and done.stderr.count("\n") == 1


def test_storage_out_of_reach_is_one_line(bucket: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's retries: 11 s, the same line
    s3fs.S3FileSystem.clear_instance_cache()  # a cached one knows the bucket's server
    try:
        done = CliRunner().invoke(app, ["scan", URL, "-q"])
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
    assert done.exit_code == 1
    assert done.stderr.startswith(f"error: {URL}: cannot read (Could not connect to the endpoint")
    assert done.stderr.count("\n") == 1


def test_an_output_at_a_url_is_refused() -> None:
    done = CliRunner().invoke(app, ["scan", str(SEEDS), "--json", "s3://crawl/report.json"])
    assert done.exit_code == 1
    assert (
        done.stderr == "error: s3:/crawl/report.json: a URL; outputs are written on this machine\n"
    )
