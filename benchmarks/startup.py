"""Start-up cost: ``import dedup``, ``dedup --help`` and ``dedup scan seeds`` against
``import numpy``, one run.

    python -m benchmarks.startup [--repeat 10]

Each command runs in a fresh interpreter ``--repeat`` times; the best time
of each is reported with its ratio to ``import numpy`` (measured in the same
run, so a loaded machine slows both). The first scan after an install
compiles the kernels (numba, into an empty cache folder here): it runs once;
later scans load them from that cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SCAN = [sys.executable, "-m", "dedup", "scan", str(SEEDS), "-q"]

COMMANDS = {
    "import numpy": [sys.executable, "-c", "import numpy"],
    "import dedup": [sys.executable, "-c", "import dedup"],
    "dedup --help": [sys.executable, "-m", "dedup", "--help"],
}


def best(command: list[str], repeat: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    seconds = {name: best(cmd, args.repeat) for name, cmd in COMMANDS.items()}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        seconds["first scan (compiling)"] = best(SCAN, 1, env)
        seconds["dedup scan seeds"] = best(SCAN, args.repeat, env)
    base = seconds["import numpy"]
    for name, s in seconds.items():
        print(f"{name:<24}{s:>8.3f} s {s / base:>6.2f}x import numpy")


if __name__ == "__main__":
    main()
