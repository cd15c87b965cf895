"""Paragraph copies -> duplicated spans.

Each paragraph that copies an earlier one is first given its original (see
``pipeline``); here consecutive copies are merged into blocks. Paragraph
``p`` extends the block that ends at ``p - 1`` when its original lies in the
same document just after the block's last original (skipping at most
``max_gap`` short paragraphs there, like the "اقــرأ أيضاً" line left out of
001's repeat: a long paragraph the copy leaves out ends the block, or the
original would claim text that was never copied). A within-document block
never overlaps its own original.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dedup.models import SpanKind


@dataclass(frozen=True, slots=True)
class Copy:
    """Paragraph ``para`` copies paragraph ``orig`` (global paragraph indices)."""

    para: int
    orig: int
    kind: SpanKind
    long: bool  # the paragraph has at least min_paragraph_tokens tokens


@dataclass(slots=True)
class Block:
    """Copies ``first..last`` of paragraphs ``orig_first..orig_last`` (inclusive)."""

    kind: SpanKind
    first: int
    last: int
    orig_first: int
    orig_last: int
    long: bool


def merge_blocks(
    copies: list[Copy],
    para_doc: Callable[[int], int],
    max_gap: int,
    is_short: Callable[[int], bool] = lambda p: True,
) -> list[Block]:
    """Merge one document's copies (in paragraph order) into blocks.

    A block needs at least one long paragraph unless it is boilerplate:
    short lines ("اقرأ أيضا") may sit inside a repeated block but are not
    reported on their own.
    """
    blocks: list[Block] = []
    cur: Block | None = None
    for c in copies:
        if (
            cur is not None
            and c.para == cur.last + 1
            and c.kind == cur.kind
            and para_doc(c.orig) == para_doc(cur.orig_last)
            and cur.orig_last < c.orig <= cur.orig_last + 1 + max_gap
            and all(is_short(p) for p in range(cur.orig_last + 1, c.orig))
            and (c.kind != "within" or c.orig < cur.first)
        ):
            cur.last, cur.orig_last = c.para, c.orig
            cur.long = cur.long or c.long
            continue
        cur = Block(c.kind, c.para, c.para, c.orig, c.orig, c.long)
        blocks.append(cur)
    return [b for b in blocks if b.long or b.kind == "boilerplate"]
