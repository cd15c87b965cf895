"""A corpus read from a URL against the same files on disk: the corpus put in
an S3 bucket that moto serves on localhost (``pip install '.[test]'``), then
scanned by the CLI from its folder and from ``s3://``, on the local engine
and on Dask workers sharing nothing with the client.

    python -m benchmarks.remote CORPUS [--workers 2] [--repeat 2]

Prints each run's wall time, the URL's as a ratio of the folder's, and
whether the two reports are the same (the recorded input path aside). What
it measures is fsspec and s3fs reading through a local S3 server, not a
network: a real bucket adds its latency and bandwidth.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path, help="a file or a folder")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import s3fs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        fs = s3fs.S3FileSystem()
        fs.mkdir("benchmark")
        fs.put(str(args.corpus), f"benchmark/{args.corpus.name}", recursive=True)
        url = f"s3://benchmark/{args.corpus.name}"
        engines = {
            "local": ["--workers", args.workers],
            "dask, nothing shared": [
                "--engine", "dask", "--workers", args.workers, "--no-shared-tmp-dir",
            ],
        }  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            for name, extra in engines.items():
                for _ in range(args.repeat):
                    disk, there = (
                        _scan(corpus, Path(tmp) / f"{i}.json", extra)
                        for i, corpus in enumerate((str(args.corpus), url))
                    )
                    print(
                        f"{name}: folder {disk[0]:.1f} s, {url} {there[0]:.1f} s "
                        f"({there[0] / disk[0]:.2f}x), same report: {disk[1] == there[1]}",
                        flush=True,
                    )
    finally:
        server.stop()


def _scan(corpus: str, out: Path, extra: list[str]) -> tuple[float, dict[str, Any]]:
    command = [sys.executable, "-m", "dedup", "scan", corpus, "-q", "--force"]
    start = time.perf_counter()
    done = subprocess.run([*command, "--json", str(out), *extra], stderr=subprocess.PIPE)
    if done.returncode:
        raise SystemExit(f"{corpus}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    report.pop("input")
    return time.perf_counter() - start, report


if __name__ == "__main__":
    main()
