"""Shingles -> MinHash signatures, batched in numpy, bit-identical to datasketch.

Shingles are k consecutive normalized tokens inside one paragraph. Their
64-bit hashes combine the tokens' cached hashes with numpy (no shingle strings
are built). A paragraph shorter than k tokens is one shingle of all its tokens.

Signatures follow datasketch 2.x's default ``affine32`` scheme: the low 32
bits of each shingle hash are pre-mixed with the MurmurHash3 finalizer, then
permutation ``k`` maps ``h -> a_k * h + b_k (mod 2**32)``, and the signature
keeps the minimum per permutation. The ``(a, b)`` parameters are taken from
``datasketch.MinHash(num_perm, seed)`` itself, so
``datasketch.MinHash(num_perm, seed, hashfunc=lambda x: x)`` fed the same
32-bit values gives the same hash values (tests/test_minhash.py proves it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import datasketch

_U64 = np.uint64

# Odd 64-bit multipliers, one per shingle position, and one for the length, so
# that "a b c" and "c b a" and a 2-token shingle hash differently. Drawn once
# from a fixed seed: changing them changes every signature (and would need a
# NORMALIZATION_VERSION bump).
POSITION = np.random.RandomState(0x5EED).randint(0, 1 << 62, size=65, dtype=np.uint64)
POSITION = POSITION * _U64(2) + _U64(1)
# n * length multiplier for every window length n <= 64, as an array: numpy
# wraps array arithmetic silently but warns on scalar overflow.
_LENGTH = POSITION[64] * np.arange(65, dtype=np.uint64)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer: an avalanching bijection (wraps mod 2**64)."""
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    out: np.ndarray = h ^ (h >> _U64(33))
    return out


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch's ``_fmix(hv, 32)``."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    out: np.ndarray = h ^ (h >> np.uint32(16))
    return out


def window_hashes(values: np.ndarray, n: int) -> np.ndarray:
    """Hash of every run of ``n`` consecutive uint64 values (``len - n + 1`` of them)."""
    m = len(values) - n + 1
    if m <= 0 or n == 0:
        return np.empty(0, dtype=np.uint64)
    acc = np.zeros(m, dtype=np.uint64)
    for i in range(n):
        acc += values[i : i + m] * POSITION[i]
    return fmix64(acc + _LENGTH[n])


def ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The positions lo[0]..hi[0]-1, lo[1]..hi[1]-1, ... concatenated."""
    lengths = hi - lo
    offsets = np.cumsum(lengths) - lengths
    out: np.ndarray = np.repeat(lo - offsets, lengths) + np.arange(int(lengths.sum()))
    return out


def all_window_hashes(values: np.ndarray, n_max: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(n, window_hashes(values, n))`` for n = 1 .. n_max, each from the last
    one's accumulator: one multiply-add per n instead of n."""
    acc = np.zeros(len(values), dtype=np.uint64)
    for n in range(1, n_max + 1):
        m = len(values) - n + 1
        if m <= 0:
            return
        acc = acc[:m] + values[n - 1 : n - 1 + m] * POSITION[n - 1]
        yield n, fmix64(acc + _LENGTH[n])


def shingle_sets(
    token_hashes: np.ndarray, tok_lo: np.ndarray, tok_hi: np.ndarray, k: int
) -> list[np.ndarray]:
    """One sorted, duplicate-free uint64 array of shingle hashes per paragraph."""
    full = window_hashes(token_hashes, k)
    sets = []
    for lo, hi in zip(tok_lo.tolist(), tok_hi.tolist(), strict=True):
        if hi - lo >= k:
            sets.append(np.unique(full[lo : hi - k + 1]))
        else:
            sets.append(window_hashes(token_hashes[lo:hi], hi - lo))  # one shingle
    return sets


class MinHasher:
    """Batched MinHash over many shingle sets at once."""

    # Columns of the (permutations x shingles) matrix evaluated at once: 8k x
    # 128 uint32 is 4 MiB, which stays in cache between the multiply, the add
    # and the minimum; 64k columns were 2.5x slower on this 2-core machine.
    chunk = 1 << 13

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.seed = seed
        # datasketch.MinHash(num_perm, seed, scheme="affine32").permutations,
        # drawn as it draws them (tests/test_minhash.py holds them equal):
        # importing datasketch costs every process a quarter of a second (scipy).
        gen = np.random.RandomState(seed)
        self.a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        self.b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)

    def _permute(self, hashes64: np.ndarray) -> np.ndarray:
        """(num_perm, len(hashes64)) permuted values.

        Permutations run along rows so that each set's values are contiguous
        in memory: reduceat along rows is about 5x faster than down columns.
        """
        h = fmix32(hashes64.astype(np.uint32))  # astype keeps the low 32 bits
        result: np.ndarray = np.multiply(self.a[:, None], h[None, :])
        result += self.b[:, None]  # in place: one matrix, not two
        return result

    def signatures(self, sets: list[np.ndarray]) -> np.ndarray:
        """uint32 array (len(sets), num_perm); every set must be non-empty."""
        lengths = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
        values = np.concatenate(sets) if sets else np.empty(0, np.uint64)
        return self.signatures_flat(values, lengths)

    def signatures_flat(self, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """signatures() of sets given concatenated, with their lengths (all > 0)."""
        out = np.empty((len(lengths), self.num_perm), dtype=np.uint32)
        bounds = np.concatenate(([0], np.cumsum(lengths)))
        i = 0
        while i < len(lengths):
            # Sets i..j-1 fill one chunk (at least one set).
            j = max(i + 1, int(np.searchsorted(bounds, bounds[i] + self.chunk, side="right")) - 1)
            lo, hi = int(bounds[i]), int(bounds[j])
            if j > i + 1 or hi - lo <= self.chunk:
                phv = self._permute(values[lo:hi])
                out[i:j] = np.minimum.reduceat(phv, bounds[i:j] - lo, axis=1).T
            else:  # one huge set: a running minimum over slices bounds memory
                sig = np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
                for a in range(lo, hi, self.chunk):
                    part = self._permute(values[a : min(a + self.chunk, hi)])
                    sig = np.minimum(sig, part.min(axis=1))
                out[i] = sig
            i = j
        return out

    def to_datasketch(self, signature: np.ndarray) -> datasketch.LeanMinHash:
        """Wrap a signature for datasketch's MinHashLSH, LeanMinHash.jaccard, ..."""
        import datasketch

        m = datasketch.MinHash(
            num_perm=self.num_perm, seed=self.seed, hashvalues=signature, scheme="affine32"
        )
        return datasketch.LeanMinHash(m)


def estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """MinHash estimate of Jaccard similarity: the share of equal hash values."""
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)
