"""Where a command's outputs may go, and how they appear: together or not at all.

Before any work, ``check`` refuses an output that is an input, lies inside an
input folder or holds an input, names another output, or exists without
``force``.

Each output ``O`` is written under a work folder beside it,
``W = O.parent / f".{O.name}.dedup"`` (same file system, so a rename is
atomic), which holds:

- ``lock``: locked for the whole run, so a second run writing ``O`` stops
  with a clear error instead of mixing its output with ours;
- ``new``: the output being written;
- ``old``: what ``force`` replaces, moved aside until the end;
- ``ready``: written in every ``W`` (the first output's last) before any
  output moves into place; it names the first output's work folder and every
  ``(O, W)`` of the run;
- ``committed``: written in the first output's ``W`` once every output is in
  place: the commit point.

Then the work folders are removed, the first one last. A run killed before
its commit point leaves work folders whose lock nobody holds; the next run
writing any of these outputs rolls the unfinished publication back (outputs
already moved into place are removed, ``old`` ones restored), and a committed
one is kept. Only a run killed between two renames, microseconds apart, can
leave one output without the other, and then only until that roll-back.

Spill folders of a scan (``spill_folder``) carry a locked ``lock`` file too:
a scan removes those of killed scans, whose lock is free.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dedup.errors import OutputError
from dedup.formats import is_url

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    @contextmanager
    def _one_at_a_time(folder: Path) -> Iterator[bool]:
        yield False  # a folder cannot be opened, so not locked, on Windows

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    @contextmanager
    def _one_at_a_time(folder: Path) -> Iterator[bool]:
        """Runs make their work folders in ``folder`` one at a time (a lock
        on the folder itself, held for microseconds and freed by the kernel
        if the run is killed); yields whether it is locked. While it is, a
        half-made work folder (one without its lock) can only be a killed
        run's. Not on file systems that cannot lock a folder (NFS)."""
        fd = os.open(folder, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                locked = True
            except OSError:
                locked = False
            yield locked
        finally:
            os.close(fd)


# Lock file descriptors this process holds. A forked worker closes its
# copies (forget_locks): the lock then dies with this process, even while a
# worker orphaned by kill -9 still runs.
_HELD: set[int] = set()


def forget_locks() -> None:
    for fd in _HELD:
        os.close(fd)
    _HELD.clear()


def _lock(fd: int) -> bool:
    if _try_lock(fd):
        _HELD.add(fd)
        return True
    return False


def _unlock(fd: int) -> None:
    _HELD.discard(fd)
    os.close(fd)


def _locked_file(path: Path) -> int:
    """A new file at ``path``, locked before it appears there (so that no
    other run can take it for a killed run's)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lock.")
    _lock(fd)
    os.replace(tmp, path)
    return fd


def check(
    inputs: Sequence[Path], outputs: Sequence[Path], force: bool, files: bool = False
) -> None:
    """Refuse unsafe outputs with one line, before any work is done;
    ``files``: every output must be a file (a report), not a folder."""
    ins = [p.resolve() for p in inputs if not is_url(p)]  # a URL is no local output's
    seen: dict[Path, Path] = {}
    for out in outputs:
        dst = out.resolve()
        for src in ins:
            if dst == src:
                raise OutputError(f"{out}: is an input; choose another output")
            if src in dst.parents:
                raise OutputError(f"{out}: is inside the input folder {src}")
            if dst in src.parents:
                raise OutputError(f"{out}: holds the input {src}")
        if dst in seen:
            raise OutputError(f"{out}: named for two outputs (also {seen[dst]})")
        seen[dst] = out
        if not dst.parent.is_dir():
            if _URL.match(str(out)):  # "s3://b/r.json", its "//" made "/" by Path
                raise OutputError(f"{out}: a URL; outputs are written on this machine")
            raise OutputError(f"{out}: folder {out.parent} does not exist")
        if files and out.is_dir():
            raise OutputError(f"{out}: is a folder")
        if out.exists() and not force:
            raise OutputError(f"{out}: already exists (use --force to replace it)")


# A URL's scheme, two letters or more (one is a Windows drive).
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")


def _work(out: Path) -> Path:
    return out.parent / f".{out.name}.dedup"


def _claim(out: Path) -> int:
    """Lock ``out``'s work folder for this run (rolling back a killed run's
    leftovers first); returns the lock's file descriptor."""
    work = _work(out)
    with _one_at_a_time(out.parent) as alone:
        for stray in out.parent.glob(f"{glob.escape(work.name)}.*"):
            _remove_unlocked(stray, alone)  # killed while making its work folder
        return _make_work(out, work)


def _make_work(out: Path, work: Path) -> int:
    while True:
        # Made elsewhere with its lock inside, then renamed: a work folder is
        # never seen without its lock.
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f"{work.name}."))
        fd = _locked_file(tmp / "lock")
        try:
            os.rename(tmp, work)
            return fd
        except OSError:  # there is one: another run's, or a killed run's
            _unlock(fd)
            shutil.rmtree(tmp, ignore_errors=True)
        try:
            fd = os.open(work / "lock", os.O_RDWR)
        except OSError:
            continue  # removed meanwhile by a run that found it stale: try again
        if not _lock(fd):
            os.close(fd)
            raise OutputError(f"{out}: another dedup run is writing it")
        if os.fstat(fd).st_ino != _inode(work / "lock"):
            _unlock(fd)  # locked a lock file that was just removed
            continue
        _recover(work)  # a killed run's: its lock was free
        _unlock(fd)


def _remove_unlocked(folder: Path, alone: bool = False) -> None:
    """Remove ``folder`` if its lock file is there and free (its run was
    killed), or, ``alone`` (no run is making one), if it has no lock file."""
    try:
        fd = os.open(folder / "lock", os.O_RDWR)
    except OSError:
        if alone:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if _lock(fd):
        shutil.rmtree(folder, ignore_errors=True)
        _unlock(fd)
    else:
        os.close(fd)


def _inode(path: Path) -> int:
    try:
        return path.stat().st_ino
    except OSError:
        return -1


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _recover(work: Path) -> None:
    """Clean up a killed run's work folder (its lock is held by the caller)."""
    ready = work / "ready"
    if not ready.exists():  # killed before publishing: nothing of it is in place
        _remove(work)
        return
    info = json.loads(ready.read_text(encoding="utf-8"))
    first = Path(info["first"])
    if first != work and first.exists() and not (first / "ready").exists():
        # Killed before its first work folder was ready (it is marked last):
        # nothing was put in place. The folder there may be a new run's by
        # now, made at the same path once the killed one was cleaned up.
        _remove(work)
        return
    # The first work folder goes last: while it exists, it tells whether the
    # run committed. A later one without it can only be a committed run's.
    committed = (first / "committed").exists() or not first.exists()
    for out_name, work_name in info["all"]:
        out, w = Path(out_name), Path(work_name)
        if not w.exists():
            continue
        if not committed and (w / "ready").exists() and not (w / "new").exists():
            _remove(out)  # this run's output, moved into place before the kill
            if (w / "old").exists():
                os.replace(w / "old", out)
        if w != first:
            _remove(w)
    _remove(first)


@contextmanager
def staged(outputs: Sequence[Path], force: bool) -> Iterator[list[Path]]:
    """Paths to write ``outputs`` to; on success they all move into place
    together (see the module docstring), on failure none of them does."""
    outs = [Path(o) for o in outputs]
    locks: list[int] = []
    try:
        for out in outs:
            try:
                locks.append(_claim(out))
            except OSError as e:
                raise OutputError(f"{out}: cannot write ({e.strerror})") from None
        works = [_work(o) for o in outs]
        yield [w / "new" for w in works]
        _publish(outs, works, force)
    except BaseException:  # an error, Ctrl-C or SIGTERM: undo what was done
        if len(locks) == len(outs) and (works[0] / "ready").exists():
            _recover(works[0])  # stopped while publishing
        for out in outs[: len(locks)]:
            _remove(_work(out))
        raise
    finally:
        for fd in locks:
            _unlock(fd)


def _publish(outs: list[Path], works: list[Path], force: bool) -> None:
    for out in outs:  # another program may have made it meanwhile
        if (out.exists() or out.is_symlink()) and not force:
            raise OutputError(f"{out}: already exists (use --force to replace it)")
    pairs = [[str(o), str(w)] for o, w in zip(outs, works, strict=True)]
    info = json.dumps({"first": str(works[0]), "all": pairs})
    try:
        for work in [*works[1:], works[0]]:
            _write_synced(work / "ready", info)
        for out, work in zip(outs, works, strict=True):
            if out.exists() or out.is_symlink():
                os.replace(out, work / "old")
            os.replace(work / "new", out)
        _write_synced(works[0] / "committed", "")
    except OSError as e:
        raise OutputError(f"{outs[0]}: cannot write ({e.strerror})") from None
    for work in [*works[1:], works[0]]:
        _remove(work)


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def spill_folder(parent: str | Path | None) -> Iterator[Path]:
    """A temporary folder for a scan's spilled data, locked while the scan
    runs; folders of killed scans (unlocked) in ``parent`` are removed first."""
    # Absolute: tasks of workers started elsewhere (Dask's) open it by its path.
    root = Path(parent if parent is not None else tempfile.gettempdir()).absolute()
    for old in root.glob("dedup-*"):
        _remove_unlocked(old)  # not lockless ones: other programs' may match
    with tempfile.TemporaryDirectory(prefix="dedup-", dir=root) as folder:
        fd = _locked_file(Path(folder) / "lock")
        try:
            yield Path(folder)
        finally:
            _unlock(fd)
