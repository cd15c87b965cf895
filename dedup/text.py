"""Tokenize the original text and normalize each token on its own.

Tokens are maximal runs of Unicode word characters (``regex``'s ``\\w``:
letters, marks, digits, connector punctuation, joiners), so Arabic harakat and
tatweel stay inside their word and punctuation such as «» or quotes never
becomes a token. Each token keeps its ``[start, end)`` code-point span in the
original text; normalization works on one token at a time, so a normalized
token always points back at the characters it came from, whatever NFKC did to
its length (ﻻ -> لا).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import numpy as np
import regex

#: Bumped whenever normalize_token changes its output: signatures, keys and
#: persisted indexes made under another version are not comparable.
NORMALIZATION_VERSION = "1"
NORMALIZATION = (
    "NFKC, casefold, NFD and drop nonspacing marks (harakat, hamza above/below, "
    "accents) and tatweel, alef forms -> ا, ى/ی -> ي, ک -> ك, ة -> ه, "
    "every decimal digit script -> ASCII"
)

# The capture group makes split() return [gap, word, gap, word, ..., gap]:
# offsets then follow from the lengths alone, with no Python-level match objects.
_SPLIT = regex.compile(r"(\w+)")

_LETTERS = str.maketrans(
    {
        "\u0671": "\u0627",  # ٱ alef wasla (no decomposition) -> ا
        "\u0649": "\u064a",  # ى alef maksura -> ي
        "\u06cc": "\u064a",  # ی Farsi yeh -> ي
        "\u06a9": "\u0643",  # ک keheh -> ك
        "\u0629": "\u0647",  # ة ta marbuta -> ه
        "\u0640": None,  # tatweel (kashida) is elongation only
    }
)


# Tokens of plain Arabic letters, harakat, tatweel, Arabic or ASCII digits and
# ASCII letters (most of a corpus) take one str.translate that gives exactly
# what the full path gives (tests/test_text.py checks every token of the
# seeds and corpora, and random strings of these characters).
_SIMPLE = regex.compile(
    r"[\u0621-\u063a\u0640-\u065f\u0660-\u0669\u0670\u0671\u06a9\u06cc"
    r"\u06f0-\u06f9A-Za-z0-9_]+"
)
_SIMPLE_MAP = str.maketrans(
    {
        **{chr(c): None for c in range(0x064B, 0x0660)},  # harakat and hamza/madda marks
        "\u0670": None,  # superscript alef
        "\u0640": None,  # tatweel
        "\u0622": "\u0627",
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0671": "\u0627",
        "\u0624": "\u0648",
        "\u0626": "\u064a",  # ؤ -> و, ئ -> ي (their hamza is a mark)
        "\u0649": "\u064a",
        "\u06cc": "\u064a",
        "\u06a9": "\u0643",
        "\u0629": "\u0647",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
    }
)


def normalize_token(token: str) -> str:
    """Return the comparison key of one token.

    NFD splits أ إ آ ؤ ئ into base letter + hamza/madda mark, so dropping the
    nonspacing marks unifies the hamza forms together with the harakat.
    """
    if _SIMPLE.fullmatch(token):
        return token.translate(_SIMPLE_MAP)
    return normalize_token_full(token)


def normalize_token_full(token: str) -> str:
    """The reference normalization, character classes and all."""
    s = unicodedata.normalize("NFKC", token).casefold()
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    s = unicodedata.normalize("NFC", s).translate(_LETTERS)
    if not s.isascii():
        s = "".join(_ascii_digit(c) for c in s)
    return s


def _ascii_digit(c: str) -> str:
    d = unicodedata.decimal(c, None)
    return c if d is None else str(d)


def hash_key(key: str) -> int:
    """Stable 64-bit hash of a normalized token (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


class _TokenHashes(dict[str, int]):
    """Surface token -> hash of its normalized form, computed once per distinct token.

    Corpora repeat a small vocabulary; caching by surface form makes the
    normalization cost per vocabulary item instead of per token.
    """

    def __missing__(self, token: str) -> int:
        if len(self) >= 2_000_000:  # bound memory on huge vocabularies
            self.clear()
        h = self[token] = hash_key(normalize_token(token))
        return h


_token_hashes = _TokenHashes()


@dataclass(frozen=True, slots=True)
class Tokens:
    """The tokens of one text: surface strings, spans and normalized hashes."""

    words: list[str]
    starts: np.ndarray  # int64, code-point offsets into the original text
    ends: np.ndarray
    hashes: np.ndarray  # uint64, hash_key(normalize_token(word))

    def __len__(self) -> int:
        return len(self.words)


def tokenize(text: str) -> Tokens:
    """Split ``text`` into word tokens with their original spans."""
    parts = _SPLIT.split(text)
    words = parts[1::2]
    bounds = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    # parts[2i+1] is word i: it starts where parts[2i] ends.
    starts = bounds[0:-1:2]
    ends = bounds[1::2]
    hashes = np.fromiter(map(_token_hashes.__getitem__, words), dtype=np.uint64, count=len(words))
    return Tokens(words, starts, ends, hashes)
