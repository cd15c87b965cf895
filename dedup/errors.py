"""Every error the library raises on purpose is a ``DedupError``.

    DedupError
     ├── InputError    a bad input file or record; the message names the file (and line)
     ├── ConfigError   a parameter out of range
     ├── OutputError   an output that cannot or must not be written
     └── WorkerError   a worker process died under a task (killed, out of memory)

The CLI turns each into one line on stderr and a non-zero exit.
"""

from __future__ import annotations


class DedupError(Exception):
    """Base class of the library's own errors."""


class InputError(DedupError):
    """A bad input: missing path, undecodable bytes, invalid JSON, missing field."""


class ConfigError(DedupError):
    """A parameter out of range."""


class OutputError(DedupError):
    """An output that cannot be written."""


class WorkerError(DedupError):
    """A worker process died running a task: killed from outside, most often
    by the system for want of memory (a task's own errors are raised as
    they are)."""
