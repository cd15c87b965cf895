"""Every fast stage equals its plain twin (dedup/reference), on edge cases,
on random text of every script and kind of space, and on real news."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, reference
from dedup.features import BatchFeatures, featurize_batch
from tests.conftest import needs


def check_batch(docs: list[Document], cfg: Config | None = None) -> None:
    cfg = cfg or Config()
    texts = [d.text for d in docs]
    got, expected = featurize_batch(texts, cfg), reference.featurize_batch(texts, cfg)
    for field in fields(BatchFeatures):
        a, b = getattr(got, field.name), getattr(expected, field.name)
        assert a.shape == b.shape, field.name
        if a.dtype.kind == "f":
            assert np.allclose(a, b, rtol=0, atol=1e-12), field.name
        else:
            assert (a == b).all(), field.name


EDGE_CASES = [
    "",
    "   \n\n",
    "كلمة",
    "a b c d",
    "a b c d e",
    "a b\nc d e f g h\n\n!!\nx",
    "x\ry\r\n\r\nz w v u t s\u2028q r s t u v w\x1cend",
    "a b a b a b a b a b a b a b\n\na b a b a b a b a b a b a b",
    " «» 😀 \t",
    "lone \ud800 surrogate and 𝐀𝐁 astral",
    "ﻻ بد ﻟﻠﻪ ٢٠١٥ STRASSE",
]


# Repeats inside one line (kernels.repeats): doubled, three times, over and
# over, an edited copy, a copy with a word put in, a copy of a copy.
_WORDS = [f"w{i}" for i in range(60)]
REPEATS = [
    " ".join(_WORDS[:30] * 2),
    " ".join(_WORDS[:25] * 3 + _WORDS[40:]),
    " ".join(_WORDS[:7] * 20),
    " ".join(_WORDS[:40] + _WORDS[50:55] + _WORDS[:20] + ["x"] + _WORDS[21:40]),
    " ".join(_WORDS[:40] + _WORDS[:20] + ["x", "y"] + _WORDS[20:40] + _WORDS[10:35]),
]


def test_batch_equals_plain_on_seeds_and_edge_cases(seed_texts: dict[str, str]) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()]
    docs += [Document(f"e{i}", t) for i, t in enumerate(EDGE_CASES + REPEATS)]
    check_batch(docs)
    check_batch(docs, Config(shingle_size=3))
    check_batch([Document("e", "")])
    check_batch([Document("e", "ab cd")])


def test_batch_equals_plain_saudinewsnet() -> None:
    needs(SAUDINEWSNET)
    check_batch(list(saudinewsnet(1500)))


# Word characters of several scripts, marks, digits, every kind of white space
# and line break, punctuation, astral and lone surrogate characters.
ALPHABET = st.sampled_from(
    [
        *"ab Zé_١۲ قالﻻ\u0640\u064b\u200d«».,!?-",
        *("\n", "\r", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028"),
        *("\u3000", "😀", "𝐀", "\ud800", "\U000e0001"),
        # scripts written without spaces, their marks, and marks kept elsewhere
        *"東京タワーはがข่าไทยйё",
        *("\u3099", "\u0e48", "\u17d2", "\u0306"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(ALPHABET, max_size=80).map("".join), min_size=1, max_size=6))
def test_batch_equals_plain_on_random_text(texts: list[str]) -> None:
    docs = [Document(str(i), t) for i, t in enumerate(texts)]
    check_batch(docs, Config(shingle_size=2))
    # repeats of a few tokens, so that short random text has them
    check_batch(docs, Config(shingle_size=2, passage_min_tokens=3, passage_gap=2))
