"""Paragraphs: news scrapes put one paragraph on a line.

A paragraph is a line's text without its surrounding white space, kept only
if it holds at least one token; blank and punctuation-only lines separate
nothing special. Line breaks are those of ``str.splitlines`` (LF, CRLF, CR,
U+2028 ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.text import Tokens


@dataclass(frozen=True, slots=True)
class Paragraphs:
    """Parallel arrays, one entry a paragraph, in text order."""

    starts: np.ndarray  # char offsets, half-open [start, end)
    ends: np.ndarray
    tok_lo: np.ndarray  # token range [tok_lo, tok_hi) in the document's Tokens
    tok_hi: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def paragraphs(text: str, tokens: Tokens) -> Paragraphs:
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip()  # drops the line break and trailing white space
        lead = len(body) - len(body.lstrip())
        if len(body) > lead:
            starts.append(pos + lead)
            ends.append(pos + len(body))
        pos += len(line)
    s = np.array(starts, dtype=np.int64)
    e = np.array(ends, dtype=np.int64)
    lo = np.searchsorted(tokens.starts, s)
    hi = np.searchsorted(tokens.starts, e)
    keep = hi > lo
    return Paragraphs(s[keep], e[keep], lo[keep], hi[keep])
