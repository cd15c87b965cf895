"""dedup clean killed at random moments: its corpus and log appear together or not at all.

Thirty runs on 2,000 SaudiNewsNet articles are killed (SIGKILL, SIGTERM or
SIGINT, to the whole process group, as Ctrl-C or ``kill -9 -PGID`` would) at
a random moment of a run's length. After each: either the corpus and the log
both exist, equal to an uninterrupted run's, or neither does; then a rerun
succeeds. The moments are drawn from a fixed seed; whatever moment a kill
lands on, the same must hold, so the test does not depend on the machine's speed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet, write_jsonl
from tests.conftest import needs

RUNS = 30
SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGINT)


def clean_command(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "dedup", "clean", str(corpus), "--out", str(out), "-q", *extra]


def wait_gone(group: int) -> None:
    """Until every process of the group has exited (killed workers included)."""
    for _ in range(1200):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process group {group} still running a minute after the kill")


def test_killed_clean_leaves_both_outputs_or_neither(tmp_path: Path) -> None:
    needs(SAUDINEWSNET)
    corpus = tmp_path / "news.jsonl"
    write_jsonl(saudinewsnet(2000), corpus)
    ref_out = tmp_path / "reference.jsonl"
    start = time.perf_counter()
    subprocess.run(clean_command(corpus, ref_out), check=True)
    length = time.perf_counter() - start
    expected = (ref_out.read_bytes(), Path(f"{ref_out}.removals.jsonl").read_bytes())

    out = tmp_path / "out" / "clean.jsonl"
    out.parent.mkdir()
    log = Path(f"{out}.removals.jsonl")
    rng = random.Random(20261130)
    seen = {"both": 0, "neither": 0, "between renames": 0}
    for run in range(RUNS):
        sig = SIGNALS[run % len(SIGNALS)]
        proc = subprocess.Popen(
            clean_command(corpus, out),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            proc.wait(timeout=rng.uniform(0, 1.2 * length))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, sig)
        proc.wait()
        wait_gone(proc.pid)
        if out.exists() and log.exists():
            assert (out.read_bytes(), log.read_bytes()) == expected, f"run {run}: incomplete"
            seen["both"] += 1
        elif not out.exists() and not log.exists():
            seen["neither"] += 1
        else:  # killed between the two renames: its work folders say so
            works = list(out.parent.glob(".*.dedup"))
            assert works and all((w / "ready").exists() for w in works), f"run {run}"
            seen["between renames"] += 1
        force = ["--force"] if out.exists() or log.exists() else []
        subprocess.run(clean_command(corpus, out, *force), check=True, stdout=subprocess.DEVNULL)
        assert (out.read_bytes(), log.read_bytes()) == expected, f"rerun after run {run}"
        assert sorted(p.name for p in out.parent.iterdir()) == [out.name, log.name]
        out.unlink()
        log.unlink()
    print(f"{RUNS} killed runs: {seen}")
    assert seen["neither"] > 0  # most kills land before the end


def test_the_cli_handles_sigterm_before_its_imports() -> None:
    """The handler is the first thing the CLI module does, before typer, rich
    and the pipeline are imported: a terminated start-up unwinds too."""
    code = (
        "import signal, sys; import dedup.cli as cli; "
        "print(signal.getsignal(signal.SIGTERM) is cli._terminate, 'dedup.pipeline' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
    source = (Path(__file__).parents[1] / "dedup" / "cli.py").read_text(encoding="utf-8")
    assert source.index("signal.signal(signal.SIGTERM") < source.index("import typer")
