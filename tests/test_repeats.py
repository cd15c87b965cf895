"""Repeats inside one document wherever its line breaks are (finders/repeats.py,
kernels.repeats): a doubled block inside one long line, on real text of
several scripts, with exact offsets; formulas told apart; clean removes
the repeat and nothing else."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, features, reference, scan
from dedup.clean import clean_documents
from dedup.features import featurize_batch
from dedup.text import tokenize
from tests.conftest import needs
from tests.test_languages import texts as language_texts


def one_line(text: str, chars: int) -> str:
    """About ``chars`` characters of ``text`` on one line, beginning and
    ending with a word (so a repeat's offsets are the line's own)."""
    line = " ".join(text.split())[:chars]
    return regex.sub(r"^\W+|\W+$", "", line)


def lines() -> dict[str, str]:
    found = {lang: one_line(text, 3000) for lang, text in language_texts().items()}
    needs(SAUDINEWSNET)
    news = [d.text for d in saudinewsnet(40)]
    found["ar"] = one_line(" ".join(news[20:30]), 3000)
    return found


@pytest.mark.parametrize("lang", ["ar", "zh", "ja", "th", "ru"])
def test_a_line_whose_second_half_repeats_its_first(lang: str) -> None:
    line = lines()[lang]
    text = f"{line} {line}"
    result = scan([Document("d", text)])
    # (the Thai messages repeat a phrase of their own: found too, in the first half)
    (span,) = [s for s in result.spans if s.end > len(line)]
    assert (span.kind, span.match, span.similarity) == ("within", "passage", 1.0)
    assert (span.start, span.end) == (len(line) + 1, len(text))
    assert (span.duplicate_of.start, span.duplicate_of.end) == (0, len(line))
    # clean takes the copy with the space before it, and leaves the line as it cleans it alone
    ((cleaned, removals),) = list(clean_documents([Document("d", text)], result=result))
    ((alone, _),) = list(clean_documents([Document("d", line)]))
    assert cleaned is not None and alone is not None and cleaned.text == alone.text
    assert (len(line), len(text)) in [(r.start, r.end) for r in removals]


def test_a_block_repeated_inside_a_line_between_other_text() -> None:
    line = lines()["ar"]
    words = line.split()
    block = " ".join(words[100:160])
    text = f"{' '.join(words[:300])} {block} {' '.join(words[300:])}"
    (span,) = scan([Document("d", text)]).spans
    at = text.index(block)
    again = text.index(block, at + 1)
    assert (span.start, span.end) == (again, again + len(block))
    assert (span.duplicate_of.start, span.duplicate_of.end) == (at, at + len(block))
    assert span.kind == "within"


# Two workers: the clusters are made in a thread while the formulas' holders
# are counted by tasks (pipeline: the alignment started early).
@pytest.mark.parametrize("workers", [1, 2])
def test_a_repeat_common_in_the_corpus_is_a_formula_unless_doubled_in_place(workers: int) -> None:
    needs(SAUDINEWSNET)
    news = [one_line(d.text, 600) for d in list(saudinewsnet(60))[40:] if len(d.text) > 700]
    phrase = one_line(news[0], 200)  # about 35 words
    away = f"{news[1]} {phrase} {news[2]} {phrase} {news[3]}"
    in_place = f"{news[4]} {phrase} {phrase} {news[5]}"
    docs = [Document("away", away), Document("in place", in_place)]
    docs += [Document(f"holder {i}", f"{news[6 + i]} {phrase}") for i in range(2)]
    result = scan(docs, workers=workers)
    kinds = {
        s.doc: s.kind for s in result.spans if s.doc == s.duplicate_of.doc and s.match == "passage"
    }
    assert kinds == {"away": "formula", "in place": "within"}
    # alone in its document, the same repeat away from its original is no formula
    (span,) = scan([Document("away", away)], workers=workers).spans
    assert span.kind == "within"
    # nor in an article republished twice: near-duplicates count once (and
    # clean, which drops the copies, finds it in what it writes)
    again = [Document(f"{i}", f"{away} ({i})") for i in range(3)]
    result_again = scan(again, workers=workers)
    assert [c.members for c in result_again.clusters] == [["0", "1", "2"]]
    assert [(s.doc, s.kind) for s in result_again.spans if s.match == "passage"] == [
        ("0", "within")
    ]
    for s in result.spans:
        text = {d.id: d.text for d in docs}
        assert text[s.doc][s.start : s.end] == phrase or s.doc != s.duplicate_of.doc


def test_restated_sentences_below_the_paragraph_threshold_are_not_repeats() -> None:
    # two 30-word stretches sharing 10 words in a row: no repeat
    rng = random.Random(0)
    words = [f"w{rng.randrange(10**9)}" for _ in range(200)]
    text = " ".join(words[:30] + words[5:15] + words[100:120])
    assert featurize_batch([text], Config()).repeats.size == 0


# Distinct made-up words, so the only repeat is the one inserted.
WORDS = st.lists(
    st.integers(0, 10**9).map(lambda i: f"w{i}"), min_size=40, max_size=200, unique=True
)


@settings(max_examples=200, deadline=None)
@given(WORDS, st.data())
def test_an_inserted_copy_is_found_exactly_as_its_twin_finds_it(
    words: list[str], data: st.DataObject
) -> None:
    lo = data.draw(st.integers(0, len(words) - 20))
    hi = data.draw(st.integers(lo + 20, len(words)))
    at = data.draw(st.integers(hi, len(words)))
    tokens = words[:at] + words[lo:hi] + words[at:]
    cfg = Config()
    f = featurize_batch([" ".join(tokens)], cfg)
    assert f.repeats.tolist() == [[0, lo, hi, at, at + hi - lo]]
    assert f.repeat_similarity.tolist() == [1.0]
    hashes = tokenize(" ".join(tokens)).hashes
    args = (cfg.shingle_size, cfg.passage_min_tokens, cfg.passage_gap, cfg.paragraph_threshold)
    assert reference.repeats(hashes, *args) == [(lo, hi, at, at + hi - lo, 1.0)]


def test_a_batch_scanned_against_an_index_reports_its_own_repeats(tmp_path: Path) -> None:
    line = lines()["ar"]
    first = [Document("a", f"{line} {line}"), Document("b", line[:1000])]
    words = one_line(" ".join(d.text for d in list(saudinewsnet(50))[40:]), 3000).split()
    second = [Document("c", " ".join(words + words[50:120]))]
    index = tmp_path / "news.db"
    assert scan(first, index=index).spans == scan(first).spans
    (span,) = scan(second, index=index).spans
    c = second[0].text
    assert (span.doc, span.kind) == ("c", "within")
    assert c[span.start : span.end] == c[span.duplicate_of.start : span.duplicate_of.end]
    assert c[span.start : span.end] == " ".join(words[50:120])


def test_repeats_the_paragraphs_report_are_left_to_them(
    monkeypatch: pytest.MonkeyPatch, seed_texts: dict[str, str]
) -> None:
    """features._repeats leaves out copies made of paragraphs said earlier in
    their document: the report is the same as with every repeat kept."""
    needs(SAUDINEWSNET)
    docs = [Document(k, v) for k, v in seed_texts.items()] + list(saudinewsnet(3000))
    texts = [d.text for d in docs]
    result = scan(docs)
    kept = featurize_batch(texts, Config()).repeats
    real = features._repeats

    def every(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        *rest, keys, cfg = args  # no paragraph key found twice: none left out
        return real(*rest, np.arange(len(keys), dtype=np.uint64), cfg)

    monkeypatch.setattr(features, "_repeats", every)
    assert len(featurize_batch(texts, Config()).repeats) > len(kept)  # (001's doubled block)
    assert scan(docs).spans == result.spans
