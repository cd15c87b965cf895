from __future__ import annotations

import unicodedata

from dedup.text import normalize_token, tokenize


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
