"""Start-up cost: ``import dedup`` and ``dedup --help`` against ``import numpy``, one run.

    python -m benchmarks.startup [--repeat 10]

Each command runs in a fresh interpreter ``--repeat`` times; the best time
of each is reported with its ratio to ``import numpy`` (measured in the same
run, so a loaded machine slows both).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

COMMANDS = {
    "import numpy": [sys.executable, "-c", "import numpy"],
    "import dedup": [sys.executable, "-c", "import dedup"],
    "dedup --help": [sys.executable, "-m", "dedup", "--help"],
}


def best(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    seconds = {name: best(cmd, args.repeat) for name, cmd in COMMANDS.items()}
    base = seconds["import numpy"]
    for name, s in seconds.items():
        print(f"{name:<14}{s:>8.3f} s {s / base:>6.2f}x import numpy")


if __name__ == "__main__":
    main()
