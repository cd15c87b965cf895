from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.repetition import DUP_NGRAMS, TOP_NGRAMS, repetition_stats, stat_names
from dedup.text import tokenize


def stats(text: str) -> dict[str, float]:
    return repetition_stats(text, tokenize(text))


def reference_ngram_stats(text: str) -> dict[str, float]:
    """datatrove's string-based n-gram definitions, written plainly."""
    words = tokenize(text).words
    out = {}
    for n in TOP_NGRAMS:
        grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        top = 0
        if grams:
            gram, count = Counter(grams).most_common(1)[0]
            top = len(gram) * count
        out[f"top_{n}_gram_char_frac"] = top / len(text)
    for n in DUP_NGRAMS:
        seen: set[str] = set()
        chars = i = 0
        while i < len(words) - n + 1:
            gram = " ".join(words[i : i + n])
            if gram in seen:
                chars += len(gram)
                i += n
            else:
                seen.add(gram)
                i += 1
        out[f"dup_{n}_gram_char_frac"] = chars / len(text)
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "bb", "ccc", "قال", "اقــرأ", "x"]), min_size=1, max_size=60),
    st.lists(st.sampled_from([" ", "\n", ", ", "\n\n"]), min_size=1, max_size=3),
)
def test_hashed_ngram_stats_equal_string_reference(words: list[str], seps: list[str]) -> None:
    text = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    got = stats(text)
    for name, value in reference_ngram_stats(text).items():
        assert got[name] == pytest.approx(value, abs=1e-12), name


def test_seed_ngram_stats_equal_string_reference(seed_texts: dict[str, str]) -> None:
    for text in seed_texts.values():
        got = stats(text)
        for name, value in reference_ngram_stats(text).items():
            assert got[name] == pytest.approx(value, abs=1e-12), name


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
