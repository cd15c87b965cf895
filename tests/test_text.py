from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.text import normalize_token, normalize_token_full, tokenize


def keys(text: str) -> list[str]:
    return [normalize_token(w) for w in tokenize(text).words]


def test_tatweel_harakat_and_hamza_forms_normalize_alike() -> None:
    # 001 writes "اقــرأ أيضاً" (tatweel, tanween); 002 writes "اقرأ أيضًا".
    assert keys("اقــرأ أيضاً") == keys("اقرأ أيضًا") == ["اقرا", "ايضا"]


def test_quotes_are_not_tokens() -> None:
    # 004's two headlines differ only by «».
    assert keys("«تدابير عاجلة»") == keys("تدابير عاجلة") == ["تدابير", "عاجله"]


def test_alef_ya_ta_marbuta_forms() -> None:
    assert keys("أحمد إلى آخر ٱلكتاب") == keys("احمد الي اخر الكتاب")
    assert normalize_token("مدرسة") == normalize_token("مدرسه")
    assert normalize_token("مستشفى") == normalize_token("مستشفي")


def test_digit_scripts_map_to_ascii() -> None:
    assert keys("٢٠١٥ ۱۷ 17 １７") == ["2015", "17", "17", "17"]


def test_casefold_and_accents() -> None:
    assert keys("Éte STRASSE straße") == ["ete", "strasse", "strasse"]


def test_presentation_forms_map_and_offsets_point_at_original() -> None:
    text = "قال ﻻ بد ﻟﻠﻪ"  # ﻻ (U+FEFB) and ﻟﻠﻪ are presentation forms
    toks = tokenize(text)
    assert [normalize_token(w) for w in toks.words] == ["قال", "لا", "بد", "لله"]
    for word, s, e in zip(toks.words, toks.starts, toks.ends, strict=True):
        assert text[s:e] == word
    assert text[toks.starts[1] : toks.ends[1]] == "\ufefb"
    # NFKC lengthens ﻻ from one code point to two; the span still covers one.
    assert len(unicodedata.normalize("NFKC", "\ufefb")) == 2


def test_offsets_on_seed_text(seed_texts: dict[str, str]) -> None:
    for text in seed_texts.values():
        toks = tokenize(text)
        assert len(toks) > 100
        for word, s, e in zip(toks.words, toks.starts.tolist(), toks.ends.tolist(), strict=True):
            assert text[s:e] == word


def test_empty_and_wordless_text() -> None:
    assert len(tokenize("")) == 0
    assert len(tokenize(" «» 😀 \r\n ")) == 0


SIMPLE_ALPHABET = (
    [chr(c) for c in range(0x0621, 0x063B)]
    + [chr(c) for c in range(0x0640, 0x0672)]
    + ["\u06a9", "\u06cc"]
    + [chr(c) for c in range(0x06F0, 0x06FA)]
    + list("AZaz09_Qq")
)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=SIMPLE_ALPHABET, min_size=1, max_size=12))
def test_fast_path_equals_full_normalization(token: str) -> None:
    assert normalize_token(token) == normalize_token_full(token)


def test_fast_path_on_every_seed_token(seed_texts: dict[str, str]) -> None:
    for text in seed_texts.values():
        for word in tokenize(text).words:
            assert normalize_token(word) == normalize_token_full(word), word


def test_fast_path_on_every_corpus_token() -> None:
    from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
    from tests.conftest import needs

    needs(SAUDINEWSNET)
    vocabulary = {w for d in saudinewsnet(5000) for w in tokenize(d.text).words}
    assert len(vocabulary) > 50_000
    assert [w for w in vocabulary if normalize_token(w) != normalize_token_full(w)] == []
