from __future__ import annotations

import re

import pytest
from datatrove.pipeline.filters import gopher_repetition_filter as gopher
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup.repetition import DUP_NGRAMS, TOP_NGRAMS, repetition_stats, stat_names
from dedup.text import tokenize
from tests.conftest import needs


def stats(text: str) -> dict[str, float]:
    return repetition_stats(text, tokenize(text))


def reference_ngram_stats(text: str) -> dict[str, float]:
    """datatrove's own Gopher n-gram functions on our words (datatrove is a
    test-only dependency: the reference is its code, not a copy of it)."""
    words = tokenize(text).words
    out = {}
    for n in TOP_NGRAMS:
        grams = gopher.get_n_grams(words, n)
        out[f"top_{n}_gram_char_frac"] = (gopher.find_top_duplicate(grams) if grams else 0) / len(
            text
        )
    for n in DUP_NGRAMS:
        out[f"dup_{n}_gram_char_frac"] = gopher.find_all_duplicate(words, n) / len(text)
    return out


def reference_stats(text: str) -> dict[str, float]:
    """All thirteen statistics, as GopherRepetitionFilter.filter computes them."""
    paragraphs = re.split(r"\n{2,}", text.strip())
    lines = re.split("\n+", text)
    para, para_chars = gopher.find_duplicates(paragraphs)
    line, line_chars = gopher.find_duplicates(lines)
    return {
        "dup_para_frac": para / len(paragraphs),
        "dup_para_char_frac": para_chars / len(text),
        "dup_line_frac": line / len(lines),
        "dup_line_char_frac": line_chars / len(text),
        **reference_ngram_stats(text),
    }


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
    # after the first, each repeat counts once (its words, not the spaces
    # between them) and jumps 5 words ahead
    assert s["dup_5_gram_char_frac"] == pytest.approx(2 * len("xyzwv") / len(words.strip()))


def test_every_statistic_equals_datatrove_on_news() -> None:
    needs(SAUDINEWSNET)
    docs = [d for d in saudinewsnet(3000) if d.text]
    same = 0
    for d in docs:
        got, expected = stats(d.text), reference_stats(d.text)
        same += all(abs(got[k] - expected[k]) <= 1e-12 for k in stat_names())
    assert same / len(docs) >= 0.999, f"{same} of {len(docs)}"


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
    # the doubled block's words, without the spaces between them
    assert s["dup_10_gram_char_frac"] == pytest.approx(
        reference_stats(text)["dup_10_gram_char_frac"]
    )
    assert s["dup_10_gram_char_frac"] > 0.35


def test_empty_text_has_all_zero_stats() -> None:
    assert stats("") == {k: 0.0 for k in stat_names()}
