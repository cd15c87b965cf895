from __future__ import annotations

import pytest

from dedup.repetition import repetition_stats, stat_names
from dedup.text import tokenize


def stats(text: str) -> dict[str, float]:
    return repetition_stats(text, tokenize(text).words)


def test_hand_computed_lines_and_ngrams() -> None:
    text = "a b c\na b c\nd e"  # 15 characters
    s = stats(text)
    assert s["dup_line_frac"] == pytest.approx(1 / 3)
    assert s["dup_line_char_frac"] == pytest.approx(5 / 15)
    assert s["dup_para_frac"] == 0.0  # one paragraph: no blank line in the text
    assert s["top_2_gram_char_frac"] == pytest.approx(2 * 3 / 15)  # "a b" twice
    assert s["top_3_gram_char_frac"] == pytest.approx(2 * 5 / 15)  # "a b c" twice
    assert s["dup_5_gram_char_frac"] == 0.0


def test_duplicate_ngrams_skip_ahead() -> None:
    words = "x y z w v " * 3  # the 5-gram "x y z w v" three times
    s = stats(words.strip())
    # after the first, each repeat counts once and jumps 5 words ahead
    assert s["dup_5_gram_char_frac"] == pytest.approx(2 * len("x y z w v") / len(words.strip()))


def test_paragraphs_split_on_blank_lines() -> None:
    text = "one two\n\none two\n\nthree"
    s = stats(text)
    assert s["dup_para_frac"] == pytest.approx(1 / 3)
    assert s["dup_para_char_frac"] == pytest.approx(len("one two") / len(text))


def test_seed_001_doubled_block(seed_texts: dict[str, str]) -> None:
    text = seed_texts["001_78ea9c6ae5c3d444.txt"]
    lines = text.split("\n")
    repeated = [line for i, line in enumerate(lines) if line in lines[:i]]
    s = stats(text)
    assert len(repeated) == 8
    assert s["dup_line_frac"] == pytest.approx(8 / len(lines))
    assert s["dup_line_char_frac"] == pytest.approx(sum(map(len, repeated)) / len(text))
    assert s["dup_10_gram_char_frac"] > 0.4


def test_empty_text_has_all_zero_stats() -> None:
    assert stats("") == {k: 0.0 for k in stat_names()}
