"""Scripts written without spaces (Chinese, Japanese, Thai) and marks that
make another word, on real text: Vim's tutor as translated and the system's
Thai messages (benchmarks/corpora.py)."""

from __future__ import annotations

import random

import pytest
import regex

from benchmarks.corpora import LOCALE, VIM_TUTOR, messages, vim_tutor
from dedup import Document, reference, scan
from dedup.text import normalize_token, pieces, tokenize
from tests.conftest import needs
from tests.test_reference import check_batch


def test_marks_that_make_another_word_are_kept() -> None:
    # kana voicing, Thai tone and vowel marks, Cyrillic breve, Devanagari vowel sign
    for a, b in [("が", "か"), ("パン", "バン"), ("ข่าว", "ข้าว"), ("ข้าว", "ขาว"), ("й", "и"),
                 ("किताब", "कताब")]:  # fmt: skip
        assert normalize_token(a) != normalize_token(b), (a, b)
    # optional marks still go: harakat, niqqud, Latin and Greek accents; ё is written е
    for a, b in [("أَحْمَد", "احمد"), ("שָׁלוֹם", "שלום"), ("café", "cafe"), ("Ἀθῆναι", "αθηναι"),
                 ("ёлка", "елка")]:  # fmt: skip
        assert normalize_token(a) == normalize_token(b), (a, b)


def test_pieces_are_overlapping_pairs_of_letters_with_their_marks() -> None:
    word = "データベース2024年"
    assert [word[a:b] for a, b in pieces(word)] == [
        "デー",
        "ータ",
        "タベ",
        "ベー",
        "ース",
        "2024",
        "年",
    ]
    word = "iPhone手机"
    assert [word[a:b] for a, b in pieces(word)] == ["iPhone", "手机"]
    word = "ข่าวไทย"  # ข with its tone mark is one letter
    assert [word[a:b] for a, b in pieces(word)] == ["ข่า", "าว", "วไ", "ไท", "ทย"]


def texts() -> dict[str, str]:
    needs(VIM_TUTOR / "tutor.ja.utf-8")
    needs(LOCALE / "th")
    return {
        "zh": vim_tutor("zh_cn"),
        "ja": vim_tutor("ja"),
        "ru": vim_tutor("ru"),
        "th": "\n".join(messages("th")),
    }


def test_tokens_of_real_text_point_at_their_characters() -> None:
    for lang, text in texts().items():
        toks = tokenize(text)
        for word, s, e in zip(toks.words, toks.starts.tolist(), toks.ends.tolist(), strict=True):
            assert text[s:e] == word
        if lang in ("zh", "ja"):  # most tokens are two letters
            two = sum(len(w) == 2 for w in toks.words)
            assert two > 0.7 * len(toks), lang


def test_batch_tokens_equal_the_plain_ones_on_real_text() -> None:
    """kernels.tokenize and text._split against text.tokenize, with every
    later kernel (shingles, MinHash, repetition) on top."""
    check_batch([Document(lang, text) for lang, text in texts().items()])


def paragraphs(lang: str, letters: int, rng: random.Random, n: int) -> list[str]:
    """``n`` real paragraphs of at least ``letters`` characters: lines of the
    text joined until they are that long (a tutor's lines are short)."""
    lines = [line.strip() for line in texts()[lang].splitlines() if len(line.strip()) > 8]
    out: list[str] = []
    while len(out) < n:  # each from its own place: neighbouring messages are alike
        start, joined = rng.randrange(len(lines) - 20), ""
        while len(joined) < letters:
            joined += lines[start]
            start += 1
        if joined not in out:
            out.append(joined)
    return out


@pytest.mark.parametrize("lang", ["zh", "ja", "th"])
def test_a_doubled_short_paragraph_is_found_with_exact_offsets(lang: str) -> None:
    rng = random.Random(lang)
    p = paragraphs(lang, 12, rng, 4)
    text = "\n".join([p[0], p[1], p[2], p[1], p[3]])
    result = scan([Document("d", text)])
    (span,) = [s for s in result.spans if s.kind in ("within", "formula")]
    first = text.index(p[1])
    second = text.index(p[1], first + 1)
    assert (span.start, span.end) == (second, second + len(p[1]))
    assert (span.duplicate_of.start, span.duplicate_of.end) == (first, first + len(p[1]))


@pytest.mark.parametrize("lang", ["zh", "ja", "th"])
def test_a_copied_paragraph_with_one_word_replaced_is_found(lang: str) -> None:
    rng = random.Random(lang)
    p = paragraphs(lang, 60, rng, 6)
    copied = p[1]
    mid = len(copied) // 2
    edited = copied[: mid - 1] + p[5][:2] + copied[mid + 1 :]  # two letters of another paragraph
    a = "\n".join(p[:3])
    b = "\n".join([p[3], edited, p[4]])
    result = scan([Document("a", a), Document("b", b)])
    found = [s for s in result.spans if s.doc == "b" and s.duplicate_of.doc == "a"]
    assert found, [(s.doc, s.kind) for s in result.spans]
    start = b.index(edited)
    assert any(s.start <= start + 2 and s.end >= start + len(edited) - 2 for s in found)
    original = a.index(copied)
    assert any(s.duplicate_of.start <= original + 2 for s in found)


# A letter of a script whose tokens are pairs of letters (text.pieces).
_PAIRED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}[\p{Thai}&&\p{L}]]", regex.V1)


def short_messages(
    lang: str, rng: random.Random, n: int, sizes: tuple[int, int] = (16, 22)
) -> list[str]:
    """``n`` of the system's messages in ``lang`` with 16-22 tokens (or
    ``sizes``), from far apart in the catalogs (neighbouring messages are
    alike)."""
    needs(LOCALE / {"zh": "zh_CN", "en": "ru"}.get(lang, lang))
    found = messages({"zh": "zh_CN"}.get(lang, lang))
    fit = [m for m in found if "%" not in m and sizes[0] <= len(tokenize(m)) <= sizes[1]]
    step = len(fit) // n
    return [" ".join(fit[rng.randrange(i * step, (i + 1) * step)].split()) for i in range(n)]


def replace_one(text: str, other: str, spaced: bool) -> str:
    """``text`` with its middle word replaced by ``other``'s longest (spaced
    scripts), or its middle letter by one of ``other``'s (the others: two
    of their tokens, pairs of letters, change)."""
    tokens = tokenize(text)
    i = len(tokens) // 2
    a, b = int(tokens.starts[i]), int(tokens.ends[i])
    if spaced:
        return text[:a] + max((w for w in other.split() if w.isalpha()), key=len) + text[b:]
    letter = next(c for c in other if c.isalpha() and c not in text[a:b])
    return text[:a] + letter + text[a + 1 :]


@pytest.mark.parametrize("lang", ["zh", "ja", "th", "ru", "en"])
def test_a_short_paragraph_copied_with_a_word_replaced_is_found(lang: str) -> None:
    """A paragraph of 16-22 tokens, too short for one edit to leave it at the
    paragraph threshold on shingles, copied into another document with a
    word (or a letter) replaced: found by its token edits, offsets exact,
    similarity 1 - edits / tokens."""
    p = short_messages(lang, random.Random(f"short {lang}"), 6)
    copied, edited = p[1], replace_one(p[1], p[5], lang in ("ru", "en"))
    a, b = "\n".join(p[:3]), "\n".join([p[3], edited, p[4]])
    ours, theirs = tokenize(edited).hashes, tokenize(copied).hashes
    grams = [{tuple(t[i : i + 5]) for i in range(len(t) - 4)} for t in (ours, theirs)]
    assert len(grams[0] & grams[1]) < 0.6 * len(grams[0] | grams[1])  # shingles alone miss it
    result = scan([Document("a", a), Document("b", b)])
    (span,) = [s for s in result.spans if s.doc == "b"]
    start, original = b.index(edited), a.index(copied)
    assert (span.kind, span.start, span.end) == ("across", start, start + len(edited))
    assert (span.duplicate_of.doc, span.duplicate_of.start) == ("a", original)
    assert span.duplicate_of.end == original + len(copied)
    edits = reference.edit_distance(ours.tolist(), theirs.tolist())
    assert 0 < edits <= 2
    assert span.similarity == round(1 - edits / max(len(ours), len(theirs)), 4)


@pytest.mark.parametrize("lang", ["zh", "ja", "th"])
def test_a_paragraph_of_25_to_31_pairs_with_a_two_letter_word_replaced_is_found(
    lang: str,
) -> None:
    """Two letters replaced inside a run of letter pairs change three pairs:
    a paragraph of 25-31 pairs keeps under 0.6 of its shingles, and is
    found by its token edits (three, one in eight or fewer)."""
    p = short_messages(lang, random.Random(f"word {lang}"), 6, (25, 31))
    copied = p[1]
    toks = tokenize(copied)
    # the middle pair whose two letters and both neighbours are one run's
    i = next(
        i
        for i in sorted(range(1, len(toks) - 1), key=lambda i: abs(i - len(toks) // 2))
        if toks.ends[i - 1] > toks.starts[i] and toks.ends[i] > toks.starts[i + 1]
        and toks.ends[i] - toks.starts[i] == 2
    )  # fmt: skip
    at = int(toks.starts[i])
    letters = [c for c in p[5] if _PAIRED.match(c) and c not in copied[at - 1 : at + 3]][:2]
    edited = copied[:at] + "".join(letters) + copied[at + 2 :]
    ours, theirs = tokenize(edited).hashes, tokenize(copied).hashes
    grams = [{tuple(t[i : i + 5]) for i in range(len(t) - 4)} for t in (ours, theirs)]
    assert len(grams[0] & grams[1]) < 0.6 * len(grams[0] | grams[1])  # shingles alone miss it
    assert reference.edit_distance(ours.tolist(), theirs.tolist()) == 3
    a, b = "\n".join(p[:3]), "\n".join([p[3], edited, p[4]])
    # (the paragraph span: in a corpus of two documents every letter pair
    # shared is a rare word, and Thai's make a passage of their own too)
    result = scan([Document("a", a), Document("b", b)])
    (span,) = [s for s in result.spans if s.doc == "b" and s.match == "paragraph"]
    start, original = b.index(edited), a.index(copied)
    assert (span.kind, span.start, span.end) == ("across", start, start + len(edited))
    assert (span.duplicate_of.start, span.duplicate_of.end) == (original, original + len(copied))
    assert span.similarity == round(1 - 3 / max(len(ours), len(theirs)), 4)


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_short_paragraphs_opening_alike_are_no_copies(lang: str) -> None:
    """Different short paragraphs opening with the same six tokens (a real
    message's), in many documents: their shared k-gram makes them
    candidates, their edits keep them apart."""
    p = short_messages(lang, random.Random(f"alike {lang}"), 25)
    opening = p[24][: int(tokenize(p[24]).ends[5])]
    docs = [Document(str(i), f"{p[2 * i]}\n{opening} {p[2 * i + 1]}") for i in range(12)]
    assert scan(docs).spans == []


def test_a_word_the_original_opens_with_is_no_copy_a_line_later() -> None:
    """Japanese messages of two programs (apt's, then another's): the
    second line is copied with a letter changed, and the later document's
    last line ends on "ファイルの", which opens the earlier one. That word,
    a line of other text after the copy, once made a passage run over the
    whole last line (text that exists nowhere else)."""
    a = (
        "statoverride ファイルの状態を取得できませんでした (fstat に失敗)\n"
        "レジスタモードの後にはコンマ (,) が予期されます\n"
        "このステータス・アイコンを表示する画面です"
    )
    b = (
        "サーバーバージョンを取得できませんでした\n"
        "レジスタモードの後Sはコンマ (,) が予期されます\n"
        "SSLサーバー証明書ファイルの場所です"
    )
    result = scan([Document("a", a), Document("b", b)])
    last_line = b.rindex("\n") + 1
    assert all(s.end <= last_line for s in result.spans)
    (span,) = [s for s in result.spans if s.match == "paragraph"]
    copied, line = a.splitlines()[1], b.splitlines()[1]
    assert (span.doc, span.start, span.end) == ("b", b.index(line), b.index(line) + len(line))
    assert (span.duplicate_of.start, span.duplicate_of.end) == (
        a.index(copied), a.index(copied) + len(copied),
    )  # fmt: skip
    assert all(s.duplicate_of.doc == "a" for s in result.spans)
