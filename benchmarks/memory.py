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
    return sum(tree_pss(root).values())


def tree_pss(root: int) -> dict[int, int]:
    """Bytes of memory (PSS) of ``root`` and each of its descendants right now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    each, todo = {}, [root]
    while todo:
        pid = todo.pop()
        each[pid] = _pss(pid)
        todo.extend(children.get(pid, []))
    return each


class PeakRSS:
    """``with PeakRSS(pid) as peak: ...`` then ``peak.mb``: sampled every 0.2 s;
    ``peak.own_mb`` and ``peak.other_mb``: the process's own peak, and the
    largest peak of one of its descendants (a worker)."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getpid()
        self.peak = 0
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            each = tree_pss(self.pid)
            self.peak = max(self.peak, sum(each.values()))
            for pid, size in each.items():
                self.peaks[pid] = max(self.peaks.get(pid, 0), size)
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

    @property
    def own_mb(self) -> float:
        return self.peaks.get(self.pid, 0) / 2**20

    @property
    def other_mb(self) -> float:
        return max((v for k, v in self.peaks.items() if k != self.pid), default=0) / 2**20
