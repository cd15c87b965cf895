"""Peak memory of a process and all its descendants (Linux /proc).

``ru_maxrss`` of RUSAGE_CHILDREN is the largest single child, not the sum of
workers running at the same time; this samples the whole process tree. Each
process counts its proportional set size (PSS: a page shared by n processes
counts 1/n in each), so pages forked workers share with the parent are
counted once, not once per process as a sum of RSS would.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:  # the process ended meanwhile
        pass
    return 0


def tree_rss(root: int) -> int:
    """Bytes of memory (PSS) of ``root`` and its descendants right now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss(pid)
        todo.extend(children.get(pid, []))
    return total


class PeakRSS:
    """``with PeakRSS(pid) as peak: ...`` then ``peak.mb``: sampled every 0.2 s."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getpid()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.pid))
            if self._stop.wait(0.2):
                return

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 2**20
