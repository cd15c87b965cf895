"""The first scan after an install compiles the kernels on every core
(dedup/warm.py): what signatures.txt lists, and what the helpers leave in
numba's cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpora import SAUDINEWSNET
from dedup import warm
from tests.conftest import ROOT, needs


def python(code: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    """What ``code`` prints, run in a fresh interpreter (its own kernels),
    in ``cwd``; this checkout's dedup, wherever it runs."""
    env = {**(env or os.environ), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-P", "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_line_of_signatures_txt_spells_back_as_it_is_written() -> None:
    lines = warm.SIGNATURES.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(set(lines)) > 30
    for line in lines:
        name, args = warm.parse(line)
        assert f"{name}({', '.join(map(warm.spell, args))})" == line


def test_signatures_txt_holds_every_kernel_a_scan_calls_and_its_types(tmp_path: Path) -> None:
    """A scan of the seeds (the README's first command) and of 400
    SaudiNewsNet articles, every level, with and without an index, and on
    two workers, of this machine and of Dask (which read arrays mapped
    read-only: other types). A line missing here is compiled by the first
    scan itself, on one core (or in each worker): the message lists the
    lines to add."""
    needs(SAUDINEWSNET)
    index = tmp_path / "i.db"
    code = f"""
from pathlib import Path
from benchmarks.corpora import saudinewsnet
from dedup import Source, scan
from dedup.engines import ProcessEngine
from dedup.warm import signatures
from distributed import Client, LocalCluster

def called(_):  # a worker's
    return signatures()

scan(Source(Path("seeds")))
news = list(saudinewsnet(400))
scan(news)
scan(news[:200], index={str(index)!r})
scan(news[150:], index={str(index)!r})
found = set(signatures())
with ProcessEngine(2) as engine:
    scan(news, engine=engine)
    for _, lines in engine.map(called, [0, 1]):  # a task each
        found |= set(lines)
with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
    with Client(cluster) as client:
        scan(news, engine=client)
        for lines in client.run(signatures).values():
            found |= set(lines)
print("\\n".join(found))
"""
    called = set(python(code).splitlines())
    listed = set(warm.SIGNATURES.read_text(encoding="utf-8").splitlines())
    assert len(called) > 30
    assert called <= listed, "add to dedup/signatures.txt:\n" + "\n".join(called - listed)


def test_the_helpers_fill_an_empty_cache_that_a_later_process_loads(tmp_path: Path) -> None:
    """Three kernels, compiled by the helpers into an empty cache folder: a
    process after them finds all three there, and its call of one loads it
    (a cache hit) and compiles nothing. Then the helpers start no more."""
    if warm.cores() < 2:
        pytest.skip("one core: the helpers only start with two or more")
    listed = warm.SIGNATURES.read_text(encoding="utf-8").splitlines()
    lines = [line for line in listed if line.startswith(("bit_filter(", "distinct(", "band_keys("))]
    assert len(lines) == 3
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    # Run in another checkout (the README's set-up runs in its own): the
    # helpers compile this dedup's kernels, not the dedup of the folder
    # they run in, which here fails to import.
    elsewhere = tmp_path / "checkout"
    (elsewhere / "dedup").mkdir(parents=True)
    (elsewhere / "dedup" / "__init__.py").write_text("raise ImportError('the wrong dedup')\n")
    said = f"from dedup import warm; print(warm.warm(print, {lines!r}))"
    assert python(said, env, elsewhere).splitlines() == [
        "compiling kernels, once",
        "3",
    ]
    after = (
        "import json, numpy as np; from dedup import kernels, warm; "
        f"print(json.dumps(warm.cold({lines!r}))); "
        "kernels.bit_filter(np.arange(100, dtype=np.uint64), 10); "
        "s = kernels.bit_filter.stats; "
        "print(sum(s.cache_hits.values()), sum(s.cache_misses.values()))"
    )
    missing, counts = python(after, env).splitlines()
    assert json.loads(missing) == [] and counts == "1 0"
    # And again: nothing cold, nothing to start. Nor with one line of four
    # cold: the scan compiles a few itself, where it calls them.
    assert python(said, env).splitlines() == ["0"]
    one = [*lines, next(line for line in listed if line.startswith("overlap("))]
    assert python(f"from dedup import warm; print(warm.warm(print, {one!r}))", env) == "0\n"


def test_the_helpers_do_not_start_where_numba_caches_nothing() -> None:
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    code = (
        "from dedup import warm; "
        "print(warm.cold(warm.SIGNATURES.read_text().splitlines()), warm.warm(print))"
    )
    assert python(code, env).splitlines() == ["None 0"]
