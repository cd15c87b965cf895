"""For any text, every reported span lies inside its document and cuts no token."""

from __future__ import annotations

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup import Config, Document, scan

_WORD_CHAR = regex.compile(r"\w")

# Pieces that stress the offset map: harakat, tatweel, presentation forms
# (NFKC changes their length), emoji (outside the BMP), digits of other
# scripts, Latin with accents, zero-width joiners.
WORDS = [
    "قال",
    "اقــرأ",
    "أيضاً",
    "مُحَمَّد",
    "ﻻ",
    "ﻟﻠﻪ",
    "إدلب",
    "٢٠٢٠",
    "۱۷",
    "café",
    "ÉTÉ",
    "x\u200cy",
    "token",
    "المسؤول",
    "مسئول",
    "ة",
    "ى",
]
SEPARATORS = [" ", "  ", "، ", " «", "» ", " 😀 ", "\t", ". "]
LINE_BREAKS = ["\n", "\r\n", "\n\n", "\r", "\u2028"]


@st.composite
def lines(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 9))
    parts = [draw(st.sampled_from(WORDS))]
    for _ in range(n - 1):
        parts += [draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(WORDS))]
    return (
        draw(st.sampled_from(["", " ", "«"]))
        + "".join(parts)
        + draw(st.sampled_from(["", ".", " ", "»"]))
    )


@st.composite
def documents(draw: st.DrawFn) -> list[str]:
    pool = draw(st.lists(lines(), min_size=1, max_size=6))
    docs = []
    for _ in range(draw(st.integers(1, 4))):
        # drawing lines from a small pool makes repeats within and across documents
        chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=10))
        text = ""
        for line in chosen:
            text += line + draw(st.sampled_from(LINE_BREAKS))
        docs.append(draw(st.sampled_from(["", "\ufeff", " "])) + text)
    return docs


def cuts_no_token(text: str, i: int) -> bool:
    inside = 0 < i < len(text)
    return not (inside and _WORD_CHAR.match(text[i - 1]) and _WORD_CHAR.match(text[i]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.integers(1, 5))
def test_spans_are_in_bounds_and_on_token_boundaries(texts: list[str], k: int) -> None:
    by_id = {f"d{i}": t for i, t in enumerate(texts)}
    result = scan(
        [Document(i, t) for i, t in by_id.items()],
        Config(shingle_size=k, min_paragraph_tokens=1, boilerplate_min_docs=3),
    )
    for s in result.spans:
        for doc, start, end in (
            (s.doc, s.start, s.end),
            (s.duplicate_of.doc, s.duplicate_of.start, s.duplicate_of.end),
        ):
            text = by_id[doc]
            assert 0 <= start < end <= len(text)
            assert cuts_no_token(text, start) and cuts_no_token(text, end)
            assert _WORD_CHAR.search(text[start:end])
            assert text[start:end] == text[start:end].strip()
        if s.doc == s.duplicate_of.doc:
            assert s.duplicate_of.end <= s.start  # an original precedes its copy
        assert 0 < s.similarity <= 1
