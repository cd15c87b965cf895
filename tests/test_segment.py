from __future__ import annotations

from dedup.segment import paragraphs
from dedup.text import tokenize


def spans(text: str) -> list[str]:
    paras = paragraphs(text, tokenize(text))
    return [text[s:e] for s, e in zip(paras.starts.tolist(), paras.ends.tolist(), strict=True)]


def test_lines_are_paragraphs_without_surrounding_space() -> None:
    text = "  first line.\r\n\r\n\tsecond «line»  \n***\n\n \u00a0\nthird"
    assert spans(text) == ["first line.", "second «line»", "third"]


def test_token_ranges_cover_each_paragraph(seed_texts: dict[str, str]) -> None:
    text = seed_texts["004_cfd70046b713ef0e.txt"]
    toks = tokenize(text)
    paras = paragraphs(text, toks)
    for s, e, lo, hi in zip(paras.starts, paras.ends, paras.tok_lo, paras.tok_hi, strict=True):
        assert hi > lo
        assert s <= toks.starts[lo] and toks.ends[hi - 1] <= e
    # 004's headlines as the issue gives them
    assert text[paras.starts[1] : paras.ends[1]] == text[17:72]
    assert (paras.starts[2], paras.ends[2]) == (74, 131)
