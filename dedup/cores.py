"""How many cores this process may use: the fewest of the machine's, those
its affinity allows (``taskset``, a Slurm job's, a container's cpuset) and
those its cgroup's CPU quota pays for (``docker --cpus``, a Kubernetes
limit), as Dask counts them (``dask.system.cpu_count``). ``os.cpu_count()``
counts the machine's: a job given 4 cores of a 128-core node would start
128 workers on them, each with its own memory."""

from __future__ import annotations

import math
import os


def cores() -> int:
    count = os.cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # (not on macOS or Windows)
        count = min(count, len(os.sched_getaffinity(0)) or count)
    paid = quota()
    return max(1, min(count, paid) if paid is not None else count)


def quota(root: str = "/sys/fs/cgroup", own: str = "/proc/self/cgroup") -> int | None:
    """The cores this process's cgroup's CPU quota pays for, rounded up
    (None: no quota, or no cgroups). ``root``: where the cgroups are
    mounted; ``own``: the file naming the process's groups."""
    # cgroup v2: one hierarchy; the process's group is the "0::" line's.
    try:
        with open(own, encoding="utf-8") as fh:
            group = next((line[3:].strip() for line in fh if line.startswith("0::")), None)
        if group is not None:
            with open(os.path.join(root + group, "cpu.max"), encoding="utf-8") as fh:
                limit, period = fh.read().split()
            return None if limit == "max" else math.ceil(int(limit) / int(period))
    except (OSError, ValueError):
        pass
    # cgroup v1: the cpu controller's folder, named either way by distributions.
    for folder in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        try:
            with open(os.path.join(root, folder, "cpu.cfs_quota_us"), encoding="utf-8") as fh:
                limit_us = int(fh.read())
            with open(os.path.join(root, folder, "cpu.cfs_period_us"), encoding="utf-8") as fh:
                period_us = int(fh.read())
        except (OSError, ValueError):
            continue
        return math.ceil(limit_us / period_us) if limit_us > 0 and period_us > 0 else None
    return None
