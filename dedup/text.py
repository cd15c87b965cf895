"""Tokenize the original text and normalize each token on its own.

Tokens are maximal runs of Unicode word characters (``regex``'s ``\\w``:
letters, marks, digits, connector punctuation, joiners), so Arabic harakat and
tatweel stay inside their word and punctuation such as «» or quotes never
becomes a token. In scripts written without spaces (Han, kana, Thai, Lao,
Khmer, Myanmar) such a run is a whole clause: there, the tokens are
overlapping pairs of characters (``pieces``). Each token keeps its
``[start, end)`` code-point span in the original text; normalization works
on one token at a time, so a normalized token always points back at the
characters it came from, whatever NFKC did to its length (ﻻ -> لا).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import regex
from numba.misc.appdirs import user_cache_dir

from dedup import kernels

#: Bumped whenever the tokens or normalize_token change: signatures, keys and
#: persisted indexes made under another version are not comparable.
#: 2: tokens that normalize to nothing are dropped.
#: 3: hash_key is FNV-1a + fmix64 over code points (was BLAKE2b), so compiled
#: code computes it.
#: 4: nonspacing marks are dropped only after Arabic, Hebrew, Syriac, Latin,
#: Greek and Common letters; elsewhere they make another word (が, ข้าว, й);
#: letters of scripts written without spaces are tokens in overlapping pairs.
NORMALIZATION_VERSION = "4"
NORMALIZATION = (
    "NFKC, casefold, NFD and drop the nonspacing marks of Arabic, Hebrew, Syriac, "
    "Latin and Greek (harakat, hamza above/below, points, accents) and tatweel, "
    "alef forms -> ا, ى/ی -> ي, ک -> ك, ة -> ه, ё -> е, "
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
        "\u0451": "\u0435",  # ё -> е: Russian mostly writes ё as е
    }
)

# Scripts whose nonspacing marks are optional: vowel points (harakat, niqqud),
# the hamza written above or below alef, and Latin and Greek accents, which
# scraped text drops or keeps at random. A mark after a letter of any other
# script is part of its spelling: kana voicing (か/が), Thai tone and vowel
# marks (ข่าว/ข้าว/ขาว), Cyrillic breve (и/й), Indic vowel signs.
_FOLDS_MARKS = regex.compile(r"[\p{Arabic}\p{Hebrew}\p{Syriac}\p{Latin}\p{Greek}\p{Common}]")


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
    kept, folds = [], True  # a mark that starts the token goes, as before
    for c in s:
        if unicodedata.category(c) != "Mn":
            folds = _FOLDS_MARKS.match(c) is not None
        elif folds:
            continue
        kept.append(c)
    s = unicodedata.normalize("NFC", "".join(kept)).translate(_LETTERS)
    if not s.isascii():
        s = "".join(_ascii_digit(c) for c in s)
    return s


def _ascii_digit(c: str) -> str:
    d = unicodedata.decimal(c, None)
    return c if d is None else str(d)


_FNV_OFFSET, _FNV_PRIME, _MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def hash_key(key: str) -> int:
    """Stable 64-bit hash of a normalized token (the same in every process):
    FNV-1a over its code points, finished with MurmurHash3's fmix64, as
    kernels.tokenize computes it."""
    h = _FNV_OFFSET
    for c in key:
        h = ((h ^ ord(c)) * _FNV_PRIME) & _MASK
    h ^= len(key)
    for shift, multiplier in ((33, 0xFF51AFD7ED558CCD), (33, 0xC4CEB9FE1A85EC53)):
        h = ((h ^ (h >> shift)) * multiplier) & _MASK
    return h ^ (h >> 33)


# Scripts written without spaces between words. A run of their letters is
# cut into overlapping pairs of characters, each character with the marks
# that follow it (Thai vowels and tones, kana voicing), as Lucene's CJK
# analyzer does for Han and kana: one edited word then changes two tokens,
# not a whole clause, and a short paragraph has tokens enough for shingles.
# ー (the kana length mark) is of the Common script but written inside words.
_UNSPACED = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc\uff70\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
)


def pieces(word: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` of each token ``word`` (a run of \\w) makes:
    itself, or where it holds letters of a script written without spaces,
    their overlapping pairs (a lone letter alone) between the runs of other
    characters as they are."""
    kinds = piece_kinds()
    out: list[tuple[int, int]] = []
    units: list[int] = []  # where each letter of the unspaced run being read starts
    run = 0  # where the run being read starts
    for i, c in enumerate(word):
        kind = kinds[ord(c)]
        if units and kind == 2:
            continue  # a mark stays with its letter
        if kind == 1:
            if not units and i > run:
                out.append((run, i))
            units.append(i)
        elif units:
            _pairs(units, i, out)
            units, run = [], i
    if units:
        _pairs(units, len(word), out)
    elif run < len(word):
        out.append((run, len(word)))
    return out


def _pairs(units: list[int], end: int, out: list[tuple[int, int]]) -> None:
    bounds = [*units, end]
    if len(units) == 1:
        out.append((units[0], end))
    out.extend((bounds[k], bounds[k + 2]) for k in range(len(units) - 1))


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
    if _UNSPACED.search(text):
        cut = [(s + a, s + b) for w, s in zip(words, starts.tolist(), strict=True)
               for a, b in pieces(w)]  # fmt: skip
        words = [text[a:b] for a, b in cut]
        starts = np.array([a for a, _ in cut], dtype=np.int64)
        ends = np.array([b for _, b in cut], dtype=np.int64)
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
# points. kernels.tokenize finds the tokens with a table of word characters
# built from ``regex``'s own ``\w``, so the tokens are exactly tokenize()'s
# (tests/test_reference.py), and hashes each one normalized when all its
# characters are of normalize_token's simple kind. The others are normalized
# in Python, once per distinct surface form (a table keyed by the kernel's
# hash of the token as written, as _TokenHashes does).

_U64 = np.uint64
# Surface hashes of tokens longer than this are not trusted as cache keys: a
# 64-bit non-cryptographic hash has crafted collisions, so long tokens are
# normalized one by one.
_MAX_CACHED = 256


def _every_character() -> str:
    """Every character but the surrogates, in order."""
    codes = np.concatenate(
        (np.arange(0xD800, dtype=np.uint32), np.arange(0xE000, 0x110000, dtype=np.uint32))
    )
    return codes.tobytes().decode("utf-32-le")


@lru_cache(maxsize=1)
def char_tables() -> tuple[np.ndarray, np.ndarray]:
    """(is \\w, simple normalization) for every code point. The second is
    what normalize_token's fast path maps the character to: a code point, -1
    for nothing, or -2 where the character needs the full normalization (-3:
    and is a letter of a script written without spaces, see ``pieces``)."""
    word, simple = _kept("char_tables", _char_tables)
    return word, simple


def _char_tables() -> tuple[np.ndarray, np.ndarray]:
    chars = _every_character()
    word = np.zeros(0x110000, dtype=bool)
    word[np.frombuffer(regex.sub(r"\W+", "", chars).encode("utf-32-le"), np.uint32)] = True
    simple = np.full(0x110000, -2, dtype=np.int32)
    for m in _SIMPLE.finditer(chars[:0x800]):
        for c in m.group():
            mapped = c.translate(_SIMPLE_MAP)
            simple[ord(c)] = ord(mapped) if mapped else -1
    # the letters of those scripts (their marks go with the letter before);
    # isalpha is the letter categories, L*
    unspaced = regex.sub(f"[^{_UNSPACED.pattern[1:]}+", "", chars)  # findall: 100,000 strings
    letters = "".join(filter(str.isalpha, unspaced))
    simple[np.frombuffer(letters.encode("utf-32-le"), np.uint32)] = -3
    return word, simple


def _kept(name: str, build: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """``build()``, or what it built in an earlier run, read back from a file
    (0.07 s saved in every command and every worker started), named by all
    it depends on: this module's source, Python's Unicode data, and regex's.
    The file goes where numba keeps the kernels (NUMBA_CACHE_DIR, else
    beside this module, else the user's cache folder); where none can be
    written, it is built every time."""
    try:
        key = hashlib.sha256(Path(__file__).read_bytes())
    except OSError:  # no source to name them by (a zipped install)
        return build()
    key.update(f"{sys.version}|{unicodedata.unidata_version}|{regex.__version__}".encode())
    file = f"{name}-{key.hexdigest()[:16]}.npz"
    for folder in _cache_folders():
        try:
            with (folder / file).open("rb") as fh, np.load(fh) as kept:
                return tuple(kept[f"arr_{i}"] for i in range(len(kept.files)))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            continue  # not there (or unreadable): the next folder, or built
    built = build()
    for folder in _cache_folders():
        tmp = folder / f"{file}.{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as out:
                np.savez(out, *built)
            tmp.chmod(0o644)  # as numba's files: other users of an install read it
            os.replace(tmp, folder / file)  # whole or not at all: workers race
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            continue
        for old in folder.glob(f"{name}-*.npz"):  # built from an earlier source
            if old.name != file:
                with contextlib.suppress(OSError):
                    old.unlink()
        break
    return built


def _cache_folders() -> list[Path]:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return [Path(os.environ["NUMBA_CACHE_DIR"]) / "dedup"]
    user = user_cache_dir("dedup")  # type: ignore[no-untyped-call]  # (numba's copy of appdirs)
    return [Path(__file__).parent / "__pycache__", Path(user)]


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
    """The tokens of many documents at once; positions index ``codes``."""

    codes: np.ndarray  # uint32 code points of the documents joined by "\n"
    # int64 (docs + 1,): document i is codes[doc_starts[i]:doc_starts[i+1]-1]
    doc_starts: np.ndarray
    starts: np.ndarray  # int64 token spans in codes
    ends: np.ndarray
    surface: np.ndarray  # uint64 hash of each token as written
    hashes: np.ndarray  # uint64 hash_key(normalize_token(word)), as Tokens.hashes
    doc_tokens: np.ndarray  # int64 (docs + 1,): document i has tokens doc_tokens[i]:doc_tokens[i+1]


def tokenize_batch(texts: list[str]) -> TokenBatch:
    """tokenize() of every text, in arrays over the joined texts."""
    word, simple = char_tables()
    text = "\n".join([*texts, ""])  # (not join + "\n": a copy of a one-line document less)
    # surrogatepass: JSON "\ud800" escapes give lone surrogates; they are no \w.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    doc_starts = np.concatenate(([0], np.cumsum(lengths + 1)))
    starts, ends, surface, hashes, fallback, split = kernels.tokenize(codes, word, simple)
    at = np.flatnonzero(fallback & ~split)
    if len(at):
        hashes[at] = _normalized_hashes(text, starts[at], ends[at], surface[at])
    if split.any():
        starts, ends, surface, hashes = _split(text, codes, starts, ends, surface, hashes, split)
    kept = hashes != EMPTY  # as in tokenize() (the kernel left out the others)
    if not kept.all():
        starts, ends, surface, hashes = starts[kept], ends[kept], surface[kept], hashes[kept]
    return TokenBatch(
        codes=codes,
        doc_starts=doc_starts,
        starts=starts,
        ends=ends,
        surface=surface,
        hashes=hashes,
        doc_tokens=np.searchsorted(starts, doc_starts),
    )


def _split(
    text: str,
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    surface: np.ndarray,
    hashes: np.ndarray,
    split: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tokens with each ``split`` one replaced by its ``pieces``."""
    at = np.flatnonzero(split)
    found = kernels.split_pieces(codes, starts[at], ends[at], piece_kinds())
    first, last = found[:, 0].copy(), found[:, 1].copy()
    written = kernels.span_hashes(codes, first, last)
    normalized = _normalized_hashes(text, first, last, written)
    # each token's pieces take its place, in order
    kept = np.flatnonzero(~split)
    order = np.argsort(np.concatenate((kept, at[found[:, 2]])), kind="stable")
    return tuple(  # type: ignore[return-value]
        np.concatenate((mine[kept], theirs))[order]
        for mine, theirs in (
            (starts, first),
            (ends, last),
            (surface, written),
            (hashes, normalized),
        )
    )


@lru_cache(maxsize=1)
def piece_kinds() -> np.ndarray:
    """For kernels.split_pieces: 1 for the letters ``pieces`` pairs, 2 for a
    mark (of any script), 0 otherwise, for every code point."""
    (kinds,) = _kept("piece_kinds", _piece_kinds)
    return kinds


def _piece_kinds() -> tuple[np.ndarray]:
    _, simple = char_tables()
    kinds = np.zeros(0x110000, dtype=np.int8)
    marks = regex.sub(r"\P{M}+", "", _every_character()).encode("utf-32-le")
    kinds[np.frombuffer(marks, np.uint32)] = 2
    kinds[simple == -3] = 1
    return (kinds,)


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
