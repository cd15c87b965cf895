"""The first scan after an install compiles the kernels on every core.

numba compiles a kernel the first time it is called, in the calling
process, then caches it (kernels.py). One process compiles a scan's kernels
in about a minute, a few of them most of it (``align_pairs`` a quarter).
When the cache lacks most of the kernels ``signatures.txt`` lists (those a
scan calls, with the types it calls them with, slowest to compile first),
``warm`` has a helper process a core compile them into the cache, the
slowest first, each taking the next as it is done; the scan then loads them
as on any later run. Nothing else changes: a kernel the helpers did not
compile (a helper that failed, a type the list lacks) is compiled where it
is called, as before. Where numba caches nothing (no writable cache folder,
``NUMBA_DISABLE_JIT``), on one core, and on Windows (no ``fcntl``), the
helpers do not start.

The helpers are fresh interpreters (``python -P -m dedup.warm``), not forks or
``multiprocessing`` children: a user's script is never imported again in
them. numba's cache picks a new entry's file number from its index, so two
processes saving entries of one kernel at once (a helper kernel both their
kernels call, each with other types) could both take the same number; the
helpers save one at a time (a lock file beside the cache).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from numba import types

from dedup import kernels
from dedup.cores import cores

SIGNATURES = Path(__file__).with_name("signatures.txt")


def spell(t: Any) -> str:
    """A numba type as ``signatures.txt`` writes it: Python over ``numba.types``."""
    if isinstance(t, types.Array):
        readonly = "" if t.mutable else ", readonly=True"
        return f"Array({spell(t.dtype)}, {t.ndim}, {t.layout!r}{readonly})"
    if isinstance(t, types.UniTuple):
        return f"UniTuple({spell(t.dtype)}, {t.count})"
    if isinstance(t, types.Tuple):
        return f"Tuple(({', '.join(map(spell, t.types))},))"
    if isinstance(t, types.Boolean):
        return "boolean"
    return str(t)


def parse(line: str) -> tuple[str, tuple[Any, ...]]:
    """A line of ``signatures.txt``: the kernel's name and its argument types."""
    name, _, args = line.strip().partition("(")
    # Our own file, read in numba's type namespace and nothing else.
    return name, eval(f"({args[:-1]},)", {"__builtins__": {}}, vars(types))


def signatures() -> list[str]:
    """The kernels this process has compiled or loaded, a line each type
    they were called with, as ``signatures.txt`` holds them."""
    lines = []
    for name, f in vars(kernels).items():
        for sig in getattr(f, "signatures", None) or ():
            lines.append(f"{name}({', '.join(map(spell, sig))})")
    return lines


def _cached(name: str, args: tuple[Any, ...]) -> bool | None:
    """Whether numba's cache holds ``name`` for ``args`` (None: it caches nothing)."""
    index = getattr(getattr(getattr(kernels, name, None), "_cache", None), "_cache_file", None)
    if index is None:
        return None
    return any(key[0] == args for key in index._load_index())


def cold(lines: list[str]) -> list[str] | None:
    """The lines (of ``signatures.txt``) the cache lacks, or None where it
    caches nothing."""
    missing = []
    for line in lines:
        found = _cached(*parse(line))
        if found is None:
            return None
        if not found:
            missing.append(line)
    return missing


def warm(say: Callable[[str], None] | None = None, lines: list[str] | None = None) -> int:
    """Compile what the cache lacks of ``lines`` (default: all of
    ``signatures.txt``) in a helper process a core, if it lacks most of
    them; returns how many lines they were given (0: the helpers did not
    start). ``say`` is told first, when they start."""
    # (Checked first: the list is read and parsed at every scan, 6 ms.)
    n = cores()
    if sys.platform == "win32" or not sys.executable or n < 2:  # (embedded: no interpreter)
        return 0
    if lines is None:
        lines = SIGNATURES.read_text(encoding="utf-8").splitlines()
    todo = cold(lines)
    # Most of them: an install (or numba) new since the last scan. A few
    # (a first scan killed half-way, a line the helpers cannot compile) are
    # compiled where they are called, not by helpers at every scan.
    if todo is None or len(todo) < 2 or 2 * len(todo) < len(lines):
        return 0
    n = min(n, len(todo))
    if say is not None:
        say("compiling kernels, once")
    queue = deque(todo)  # slowest first: each helper takes the next when it is done
    # The helpers import this dedup, wherever it was imported from.
    where = [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, where))}

    started: list[subprocess.Popen[str]] = []

    def helper() -> None:
        # (-P: not the working folder first, which `-m` would put there: run
        # in a checkout, they imported its dedup and filled its cache, not
        # the installed one's, whose first scan on workers then compiled
        # the rest in each of them)
        command = [sys.executable, "-P", "-m", "dedup.warm"]
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=env,
        ) as proc:  # fmt: skip
            started.append(proc)
            assert proc.stdin is not None and proc.stdout is not None
            while queue:
                try:
                    line = queue.popleft()
                except IndexError:  # another helper took the last one
                    break
                proc.stdin.write(line + "\n")
                proc.stdin.flush()
                if not proc.stdout.readline():  # it died: the scan compiles the rest itself
                    break
            proc.stdin.close()

    pool = ThreadPoolExecutor(n)
    try:
        for done in [pool.submit(helper) for _ in range(n)]:
            with suppress(OSError):  # no interpreter to start, a pipe broken: as above
                done.result()
    except BaseException:  # interrupted: the helpers stop now, not after their kernels
        queue.clear()
        for proc in started:
            proc.kill()
        raise
    finally:
        pool.shutdown()
    return len(todo)


def serve() -> None:
    """A helper: compile each line read (a line of ``signatures.txt``) into
    numba's cache, and answer with an empty line when it is done."""
    with _saves_one_at_a_time():
        for line in sys.stdin:
            with suppress(Exception):  # the scan compiles it where it is called, as before
                name, args = parse(line)
                getattr(kernels, name).compile(args)
            print(flush=True)


@contextmanager
def _saves_one_at_a_time() -> Iterator[None]:
    """numba's cache saves of this process, each holding a lock file beside
    the cache (see the module's text)."""
    import fcntl

    from numba.core.caching import IndexDataCacheFile

    save = IndexDataCacheFile.save

    def locked(self: Any, key: Any, data: Any) -> None:
        with open(os.path.join(self._cache_path, ".dedup-warm.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # freed when the file closes
            save(self, key, data)  # type: ignore[no-untyped-call]

    IndexDataCacheFile.save = locked  # type: ignore[method-assign]
    try:
        yield
    finally:
        IndexDataCacheFile.save = save  # type: ignore[method-assign]


if __name__ == "__main__":
    serve()
