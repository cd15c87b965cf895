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
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex

#: Bumped whenever the tokens or normalize_token change: signatures, keys and
#: persisted indexes made under another version are not comparable.
#: 2: tokens that normalize to nothing are dropped.
NORMALIZATION_VERSION = "2"
NORMALIZATION = (
    "NFKC, casefold, NFD and drop nonspacing marks (harakat, hamza above/below, "
    "accents) and tatweel, alef forms -> ا, ى/ی -> ي, ک -> ك, ة -> ه, "
    "every decimal digit script -> ASCII; a token left empty is dropped"
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
# A token that normalizes to nothing (harakat or tatweel alone) is dropped:
# otherwise every such token would be the same word, and a line of harakat
# would "copy" a line of tatweel.
EMPTY = np.uint64(hash_key(""))


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
    kept = hashes != EMPTY
    if not kept.all():  # a word of marks or tatweel only is no word
        words = [w for w, k in zip(words, kept.tolist(), strict=True) if k]
        starts, ends, hashes = starts[kept], ends[kept], hashes[kept]
    return Tokens(words, starts, ends, hashes)


# --- Batch tokenization: the fast path --------------------------------------
#
# A batch of documents is joined with "\n" (a non-word character and a line
# break, so nothing spans two documents) and looked at as an array of code
# points. Word characters come from a lookup table built from ``regex``'s own
# ``\w``, so the tokens are exactly tokenize()'s (tests/test_text.py). Every
# token gets a 64-bit polynomial hash of its surface characters, from prefix
# sums, with no Python string per token; a table keyed by that hash gives the
# normalized token's hash_key, computed in Python once per distinct surface
# form, as _TokenHashes does.

_U64 = np.uint64
_BASE = _U64(0x9E3779B97F4A7C15)  # odd, so invertible mod 2**64
_BASE_INV = _U64(pow(int(_BASE), -1, 1 << 64))
# Surface hashes of tokens longer than this are not trusted as cache keys:
# polynomial hashes mod 2**64 have crafted collisions (Thue-Morse strings of
# 2,048 characters), so long tokens are normalized one by one.
_MAX_CACHED = 256


@lru_cache(maxsize=1)
def char_tables() -> tuple[np.ndarray, np.ndarray]:
    """(is \\w, random odd 64-bit value) for every code point."""
    chars = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    word = np.zeros(0x110000, dtype=bool)
    word[np.fromiter((ord(m.group()) for m in regex.finditer(r"\w", chars)), dtype=np.int64)] = True
    rng = np.random.RandomState(0x70C)
    values = rng.randint(0, 1 << 62, size=0x110000, dtype=np.uint64) * _U64(2) + _U64(1)
    return word, values


@lru_cache(maxsize=1)
def space_tables() -> tuple[np.ndarray, np.ndarray]:
    """(str.isspace, line break of str.splitlines) for every code point."""
    # re's \s is str.isspace for str patterns; all such characters are below U+3001.
    space = np.zeros(0x110000, dtype=bool)
    space[[m.start() for m in re.finditer(r"\s", "".join(map(chr, range(0x3001))))]] = True
    breaks = np.zeros(0x110000, dtype=bool)
    for c in np.flatnonzero(space).tolist():
        breaks[c] = len(f"a{chr(c)}b".splitlines()) == 2
    return space, breaks


class _Powers:
    """BASE**i and BASE**-i mod 2**64, grown on demand (shared by all batches)."""

    def __init__(self) -> None:
        self.up = self.down = np.ones(1, dtype=np.uint64)

    def get(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.up) < n:
            size = max(n, 2 * len(self.up))
            self.up = np.cumprod(np.full(size, _BASE), dtype=np.uint64) * _BASE_INV
            self.down = np.cumprod(np.full(size, _BASE_INV), dtype=np.uint64) * _BASE
        return self.up[:n], self.down[:n]


_powers = _Powers()


class _HashTable:
    """uint64 -> uint64, open addressing with linear probing, all in numpy.

    Key 0 marks an empty slot, so callers pass keys with the low bit set.
    Cleared (not grown) past ``max_items``, to bound memory on huge
    vocabularies, as _TokenHashes is.
    """

    def __init__(self, bits: int = 16, max_items: int = 2_000_000) -> None:
        self.max_items = max_items
        self._reset(bits)

    def _reset(self, bits: int) -> None:
        self.bits, self.count = bits, 0
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.values = np.zeros(1 << bits, dtype=np.uint64)

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return (keys >> _U64(64 - self.bits)).astype(np.int64)

    def get(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, found) for each key."""
        values = np.zeros(len(keys), dtype=np.uint64)
        found = np.zeros(len(keys), dtype=bool)
        todo = np.arange(len(keys))
        slots = self._slots(keys)
        mask = (1 << self.bits) - 1
        while len(todo):
            at = self.keys[slots]
            hit = at == keys[todo]
            values[todo[hit]] = self.values[slots[hit]]
            found[todo[hit]] = True
            going = ~hit & (at != 0)  # an occupied slot of another key: probe on
            todo, slots = todo[going], (slots[going] + 1) & mask
        return values, found

    def put(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Insert keys that are distinct and not in the table."""
        if self.count + len(keys) > self.max_items:
            self._reset(self.bits)
        while 2 * (self.count + len(keys)) > len(self.keys):
            old = self.keys != 0
            old_keys, old_values = self.keys[old], self.values[old]
            self._reset(self.bits + 1)
            self._place(old_keys, old_values)
        self._place(keys, values)

    def _place(self, keys: np.ndarray, values: np.ndarray) -> None:
        slots = self._slots(keys)
        mask = (1 << self.bits) - 1
        self.count += len(keys)
        while len(keys):
            # One key wins each free slot; the others probe on.
            free = self.keys[slots] == 0
            _, first = np.unique(slots[free], return_index=True)
            won = np.flatnonzero(free)[first]
            self.keys[slots[won]] = keys[won]
            self.values[slots[won]] = values[won]
            rest = np.ones(len(keys), dtype=bool)
            rest[won] = False
            keys, values, slots = keys[rest], values[rest], slots[rest]
            slots = np.where(self.keys[slots] == 0, slots, (slots + 1) & mask)


_normalized = _HashTable()


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """The tokens of many documents at once; positions index ``text``."""

    text: str  # the documents joined by "\n"
    codes: np.ndarray  # uint32 code points of text
    doc_starts: np.ndarray  # int64 (docs + 1,): document i is text[doc_starts[i]:doc_starts[i+1]-1]
    starts: np.ndarray  # int64 token spans in text
    ends: np.ndarray
    surface: np.ndarray  # uint64 hash of each token as written
    hashes: np.ndarray  # uint64 hash_key(normalize_token(word)), as Tokens.hashes
    doc_tokens: np.ndarray  # int64 (docs + 1,): document i has tokens doc_tokens[i]:doc_tokens[i+1]
    token_docs: np.ndarray  # int64: each token's document
    solid: np.ndarray  # int64 positions of the characters that are not white space
    prefix: np.ndarray  # uint64 (len(text) + 1,): for span_hashes

    def span_hashes(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Polynomial hash of each ``text[start:end]``: equal strings, equal hashes."""
        return _span_hashes(self.prefix, starts, ends)


def _span_hashes(prefix: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    _, down = _powers.get(len(prefix))
    out: np.ndarray = (prefix[ends] - prefix[starts]) * down[starts]
    return out


def tokenize_batch(texts: list[str]) -> TokenBatch:
    """tokenize() of every text, in arrays over the joined texts."""
    word, values = char_tables()
    text = "\n".join(texts) + "\n"
    # surrogatepass: JSON "\ud800" escapes give lone surrogates; they are no \w.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    doc_starts = np.concatenate(([0], np.cumsum(lengths + 1)))
    edges = np.diff(word[codes].view(np.int8), prepend=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # the text ends in "\n", so every token ends
    up, _ = _powers.get(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(values[codes] * up[1:], out=prefix[1:])
    surface = _span_hashes(prefix, starts, ends)
    hashes = _normalized_hashes(text, starts, ends, surface)
    kept = hashes != EMPTY  # as in tokenize()
    if not kept.all():
        starts, ends, surface, hashes = starts[kept], ends[kept], surface[kept], hashes[kept]
    doc_tokens = np.searchsorted(starts, doc_starts)
    space, _ = space_tables()
    return TokenBatch(
        text=text,
        codes=codes,
        doc_starts=doc_starts,
        starts=starts,
        ends=ends,
        surface=surface,
        hashes=hashes,
        doc_tokens=doc_tokens,
        token_docs=np.repeat(np.arange(len(texts)), np.diff(doc_tokens)),
        solid=np.flatnonzero(~space[codes]),
        prefix=prefix,
    )


def _normalized_hashes(
    text: str, starts: np.ndarray, ends: np.ndarray, surface: np.ndarray
) -> np.ndarray:
    keys = surface | _U64(1)  # 0 marks an empty slot
    hashes, found = _normalized.get(keys)
    long = ends - starts > _MAX_CACHED
    found &= ~long
    missing = np.flatnonzero(~found & ~long)
    if len(missing):
        new, first, inverse = np.unique(keys[missing], return_index=True, return_inverse=True)
        at = missing[first]
        words = map(text.__getitem__, map(slice, starts[at].tolist(), ends[at].tolist()))
        computed = np.fromiter(
            (hash_key(normalize_token(w)) for w in words), dtype=np.uint64, count=len(at)
        )
        _normalized.put(new, computed)
        hashes[missing] = computed[inverse]
    for i in np.flatnonzero(long).tolist():
        hashes[i] = hash_key(normalize_token(text[starts[i] : ends[i]]))
    return hashes
