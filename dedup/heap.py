"""glibc's heap: the bounds a scan's processes keep, and handing freed pages
back between stages. Without glibc (macOS, Windows), nothing happens."""

from __future__ import annotations

import ctypes
import os

# glibc's malloc moves its bounds as blocks come and go: it maps a big block
# apart and unmaps it when freed, and gives the heap's top back to the
# system. A scan allocates and frees the same arrays a batch at a time, and
# the system handed them over again as new pages each time (SaudiNewsNet, one
# worker: 280,000 page faults, 1 s in the system on a virtual machine). Fixed
# at the bounds glibc moves them up to, 130,000. By the names of glibc's
# environment, which Dask's workers are started with too (engines/dask.py).
BOUNDS = {
    "MALLOC_MMAP_THRESHOLD_": 32 << 20,  # blocks of 32 MB or more are mapped apart
    "MALLOC_TRIM_THRESHOLD_": 64 << 20,  # the heap's top is given back past 64 MB free
}
_OPTIONS = {"MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}  # malloc.h's M_*

# Free bytes below which a stage's are kept for the next (give_back).
KEEP = 64 << 20


class _MallInfo2(ctypes.Structure):
    """glibc's struct mallinfo2: ``fordblks`` is the heap's free bytes."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


try:
    _libc: ctypes.CDLL | None = ctypes.CDLL("libc.so.6")
except OSError:  # not glibc
    _libc = None
GLIBC = _libc is not None
if _libc is not None and hasattr(_libc, "mallinfo2"):  # glibc 2.33 on
    _libc.mallinfo2.restype = _MallInfo2


def fix_bounds() -> None:
    """The BOUNDS for this process, unless the user set malloc's (MALLOC_*_
    or GLIBC_TUNABLES)."""
    if _libc is None or any(name in os.environ for name in ("GLIBC_TUNABLES", *BOUNDS)):
        return
    for name, value in BOUNDS.items():
        _libc.mallopt(_OPTIONS[name], value)


# glibc's mmap threshold where its environment names a bound: then it no
# longer grows as mapped blocks are freed (malloc.c, DEFAULT_MMAP_THRESHOLD_MIN).
_FIXED_MMAP = 128 << 10
_bounded = False  # whether bound_mapping raised it in this process


def bound_mapping() -> None:
    """In a Dask worker of a cluster started elsewhere: map apart only blocks
    of BOUNDS' size, until ``unbound_mapping``. Dask's nanny starts a worker
    with MALLOC_TRIM_THRESHOLD_ set, which leaves glibc's mmap threshold
    at 128 KB: every array of a batch's features was mapped and its pages
    faulted in anew (100,000 synthetic documents on 2 such workers: the
    features took 6.5-7.1 s of each worker's time, 4.5 with this). Only
    there: where MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES is set, as the
    LocalCluster started for a scan sets it, they decide; where neither
    bound is set, the threshold grows by itself."""
    global _bounded
    if _libc is None or _bounded or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    if any(name in os.environ for name in ("GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_")):
        return
    _libc.mallopt(_OPTIONS["MALLOC_MMAP_THRESHOLD_"], BOUNDS["MALLOC_MMAP_THRESHOLD_"])
    _bounded = True


def unbound_mapping() -> None:
    """The worker's threshold as it was before ``bound_mapping`` (a scan's
    end: the cluster is the user's)."""
    global _bounded
    if _libc is not None and _bounded:
        _libc.mallopt(_OPTIONS["MALLOC_MMAP_THRESHOLD_"], _FIXED_MMAP)
        _bounded = False


def give_back() -> None:
    """Hand the heap's free pages back to the system where a stage freed
    many: glibc keeps them, and they would count in every later stage's
    memory. Fewer than ``KEEP`` stay for the next stage, which would fault
    them in again (SaudiNewsNet's stages free 40-80 MB each: given back
    every time, they cost 45,000 more page faults)."""
    if _libc is None:
        return
    if not hasattr(_libc, "mallinfo2") or _libc.mallinfo2().fordblks >= KEEP:
        _libc.malloc_trim(0)
