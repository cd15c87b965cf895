"""Plain twins of the fast stages: the same signature, computed document by
document with the plain per-text functions, for tests/test_reference.py to
hold every fast path equal to (on hypothesis's text and on real news).

| fast (batched, compiled) | plain twin |
| --- | --- |
| ``features.featurize_batch`` | ``reference.featurize_batch``, built on: |
| ``kernels.tokenize`` (``text.tokenize_batch``) | ``text.tokenize`` |
| ``kernels.split_pieces``, ``span_hashes`` (unspaced scripts) | ``text.pieces``, ``hash_key`` |
| ``kernels.tokenize``'s normalization and hashes | ``text.normalize_token``, ``hash_key`` |
| ``kernels.paragraphs`` | ``segment.paragraphs`` |
| ``kernels.paragraph_keys`` | ``paragraph_keys`` |
| ``kernels.repetition`` | ``repetition.repetition_stats`` |
| ``kernels.paragraph_sets``, ``document_sets`` | ``shingle_sets``, ``MinHasher.signatures`` |
| ``kernels.follow``, ``trim``, ``chain``, ``align`` | ``follow``, ``trim``, ``chain``, ``align`` |
| ``kernels.repeats`` (inside one document) | ``repeats`` |
| ``kernels.find`` (``verify.Members``) | ``np.isin``, ``np.searchsorted`` |
| ``kernels.overlap`` (``verify.overlap``) | ``np.intersect1d`` |
| ``kernels.affixes``, ``affix_holders``, ``affix_hits`` | ``affixes``, ``affix_holders`` |
| ``kernels.holdings``, ``sketch_index`` + ``sketch_pairs`` | ``holdings``, ``sketch_pairs`` |
| ``kernels.set_bits``, ``may_reach`` | ``set_bits``, ``may_reach`` |
| ``kernels.edit_distances`` | ``edit_distance`` |
| ``kernels.new_passages`` (finders/passages.py) | ``new_passages`` |
| ``kernels.paragraph_copies``, ``copy_blocks`` | ``paragraph_copies``, ``merge_blocks`` |

Where upstream code exists, the tests call it instead of a twin:
datasketch's ``MinHash`` (tests/test_minhash.py), datatrove's Gopher
repetition functions (tests/test_repetition.py), and scipy's
``connected_components`` (``kernels.components``, tests/test_kernels.py)
and sparse transpose (``kernels.transpose``, tests/test_passages.py).
Candidate generation (LSH buckets: ``kernels.band_pairs``; containment
sketches, passage candidates) is held equal to brute force in
tests/test_lsh_verify.py and tests/test_passages.py, and the document
frequencies (``kernels.tally``) to a ``Counter``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dedup import kernels
from dedup.config import Config
from dedup.features import PREVIEW, BatchFeatures, fingerprint
from dedup.finders.paragraphs import Block
from dedup.lsh import band_keys, lsh_params
from dedup.minhash import MinHasher, fmix64, ranges, shingle_sets, window_hashes
from dedup.models import SpanKind
from dedup.repetition import repetition_stats, stat_names
from dedup.segment import paragraphs
from dedup.text import tokenize


def featurize_batch(texts: list[str], cfg: Config) -> BatchFeatures:
    """features.featurize_batch, document by document with the plain per-text
    functions."""
    k = cfg.shingle_size
    hasher = MinHasher(cfg.num_perm, cfg.seed)
    n = len(texts)
    stats = np.zeros((n, len(stat_names())))
    rows: dict[str, list[np.ndarray]] = defaultdict(list)
    para_sets: list[np.ndarray] = []
    doc_sets: list[np.ndarray] = []
    words: list[np.ndarray] = []
    previews: list[bytes] = []
    repeated: list[tuple[int, int, int, int, int, float]] = []
    for i, text in enumerate(texts):
        tokens = tokenize(text)
        paras = paragraphs(text, tokens)
        found = repetition_stats(text, tokens)
        stats[i] = [found[name] for name in stat_names()]
        rows["chars"].append(np.array([len(text)]))
        rows["tokens"].append(np.array([len(tokens)]))
        rows["paragraphs"].append(np.array([len(paras)]))
        rows["fingerprints"].append(np.array([fingerprint(text)], np.uint64))
        rows["para_starts"].append(paras.starts)
        rows["para_ends"].append(paras.ends)
        rows["para_ntok"].append(paras.tok_hi - paras.tok_lo)
        one_key = [
            paragraph_keys(tokens.hashes[a:b], np.array([0]), np.array([b - a]))[0]
            for a, b in zip(paras.tok_lo.tolist(), paras.tok_hi.tolist(), strict=True)
        ]
        rows["para_keys"].append(np.array(one_key, dtype=np.uint64))
        if cfg.finds("passages"):
            args = (k, cfg.passage_min_tokens, cfg.passage_gap, cfg.paragraph_threshold)
            twice = repeats(tokens.hashes, *args)
            if cfg.finds("paragraphs"):  # not those made of paragraphs said twice
                seen: set[int] = set()
                said: set[int] = set()
                bounds = zip(one_key, paras.tok_lo.tolist(), paras.tok_hi.tolist(), strict=True)
                for key, lo, hi in bounds:
                    if key in seen and hi - lo >= cfg.min_paragraph_tokens:
                        said.update(range(lo, hi))
                    seen.add(key)
                twice = [r for r in twice if not set(range(r[2], r[3])) <= said]
            repeated += [(i, *r) for r in twice]
        para_sets.extend(shingle_sets(tokens.hashes, paras.tok_lo, paras.tok_hi, k))
        previews.extend(
            text[s : min(e, s + PREVIEW)].encode("utf-8", "surrogatepass")
            for s, e in zip(paras.starts.tolist(), paras.ends.tolist(), strict=True)
        )
        doc_sets.append(np.unique(window_hashes(tokens.hashes, min(k, len(tokens)))))
        rows["token_hashes"].append(tokens.hashes)
        rows["token_spans"].append(np.stack((tokens.starts, tokens.ends), axis=1))
        words.append(np.unique(tokens.hashes))
    flat = {name: np.concatenate(parts) for name, parts in rows.items()}
    long = [s for s, t in zip(para_sets, flat["para_ntok"].tolist(), strict=True) if t >= k]
    doc_sigs = np.full((n, cfg.num_perm), np.iinfo(np.uint32).max, np.uint32)
    live = [i for i, s in enumerate(doc_sets) if len(s)]
    doc_sigs[live] = hasher.signatures([doc_sets[i] for i in live])

    def lengths(arrays: list[np.ndarray] | list[bytes]) -> np.ndarray:
        return np.array([len(a) for a in arrays], dtype=np.int64)

    return BatchFeatures(
        repetition=stats,
        doc_sigs=doc_sigs,
        doc_bands=band_keys(doc_sigs, *lsh_params(cfg.document_threshold, cfg.num_perm)),
        doc_sets=np.concatenate(doc_sets),
        doc_set_lengths=lengths(doc_sets),
        para_sets=np.concatenate(para_sets) if para_sets else np.empty(0, np.uint64),
        para_set_lengths=lengths(para_sets),
        para_bands=band_keys(
            hasher.signatures(long), *lsh_params(cfg.paragraph_threshold, cfg.num_perm)
        ),
        para_bits=set_bits(long),
        previews=np.frombuffer(b"".join(previews), np.uint8),
        preview_lengths=lengths(previews),
        doc_words=np.concatenate(words),
        doc_word_counts=lengths(words),
        repeats=np.array([r[:5] for r in repeated], np.int64).reshape(-1, 5),
        repeat_similarity=np.array([r[5] for r in repeated], np.float64),
        **flat,
    )


def follow(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    qa: int,
    qb: int,
    bridge: int,
    anchor: int,
    stop: np.ndarray,
) -> tuple[int, int]:
    """Where a copy that runs up to ``qa`` in a and ``qb`` in b (exclusive)
    ends: word for word, then across a difference of at most ``bridge``
    tokens on each side, as long as ``anchor`` tokens in a row (not all
    function words) match after it."""
    stop_words = set(stop.tolist())
    while True:
        qa, qb = _equal_run(ids_a, ids_b, qa, qb)
        ahead_a = ids_a[qa : qa + bridge + anchor].tolist()
        ahead_b = ids_b[qb : qb + bridge + anchor].tolist()
        starts: dict[tuple[int, ...], int] = {}
        for i in range(len(ahead_a) - anchor + 1):
            starts.setdefault(tuple(ahead_a[i : i + anchor]), i)
        best: tuple[int, int, int] | None = None
        for j in range(len(ahead_b) - anchor + 1):
            gram = tuple(ahead_b[j : j + anchor])
            i = starts.get(gram, -1)
            if i >= 0 and not stop_words.issuperset(gram) and (best is None or max(i, j) < best[0]):
                best = (max(i, j), i, j)
        if best is None:
            return qa, qb
        qa, qb = qa + best[1], qb + best[2]


def _equal_run(ids_a: np.ndarray, ids_b: np.ndarray, qa: int, qb: int) -> tuple[int, int]:
    """Past the tokens equal in a row from ``qa`` and ``qb``: compared a chunk
    at a time, doubling (a run is a few tokens, or a whole passage)."""
    step = 16
    while (n := min(step, len(ids_a) - qa, len(ids_b) - qb)) > 0:
        differ = np.flatnonzero(ids_a[qa : qa + n] != ids_b[qb : qb + n])
        if len(differ):
            return qa + int(differ[0]), qb + int(differ[0])
        qa, qb, step = qa + n, qb + n, 2 * step
    return qa, qb


def trim(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    a_lo: int,
    a_hi: int,
    b_lo: int,
    b_hi: int,
    window: int,
    dense: int,
    stop: np.ndarray,
) -> tuple[int, int, int, int]:
    """The passage without the unrelated text at its ends: a seed word that
    the two documents share by chance a sentence after the copy ends
    ("جماعي") chains the text between into the passage. Each side is cut
    against the other's words (``_dense``), in turns until neither changes."""
    words = set(stop.tolist())
    while True:
        b = _dense(ids_b, b_lo, b_hi, ids_a[a_lo:a_hi], words, window, dense)
        a = _dense(ids_a, a_lo, a_hi, ids_b[b[0] : b[1]], words, window, dense)
        if (*a, *b) == (a_lo, a_hi, b_lo, b_hi):
            return a_lo, a_hi, b_lo, b_hi
        (a_lo, a_hi), (b_lo, b_hi) = a, b


def _dense(
    ids: np.ndarray,
    lo: int,
    hi: int,
    other: np.ndarray,
    stop: set[int],
    window: int,
    dense: int,
) -> tuple[int, int]:
    """``[lo, hi)`` shrunk to its words in dense windows: content words found
    in ``other`` (the other side), in a window of ``window`` tokens holding
    ``dense`` such words. Such words more than ``window`` apart part the side
    into pieces. An end piece that fits in a window and whose words the
    other side has only in its other half goes too: a word the two share by
    chance after a gap (a Japanese line that ends on the word the copy's
    original opens with)."""
    other_words = set(other.tolist())
    found = [w in other_words and w not in stop for w in ids[lo:hi].tolist()]
    windows = [range(j, min(j + window, len(found))) for j in range(len(found))]
    in_dense: set[int] = set()
    for w in windows:
        if sum(found[i] for i in w) >= dense:
            in_dense.update(i for i in w if found[i])
    pieces: list[list[int]] = []
    for i in sorted(in_dense):
        if pieces and i - pieces[-1][-1] <= window:
            pieces[-1].append(i)
        else:
            pieces.append([i])
    if not pieces:
        return lo, lo

    def at(piece: list[int]) -> list[int]:
        """Where the other side has the piece's words."""
        words = {int(ids[lo + i]) for i in piece}
        return [j for j, w in enumerate(other.tolist()) if w in words]

    while len(pieces) > 1 and pieces[0][-1] - pieces[0][0] < window:
        if 2 * min(at(pieces[0])) < len(other):
            break
        pieces.pop(0)
    while len(pieces) > 1 and pieces[-1][-1] - pieces[-1][0] < window:
        if 2 * (max(at(pieces[-1])) + 1) > len(other):
            break
        pieces.pop()
    return lo + pieces[0][0], lo + pieces[-1][-1] + 1


def chain(
    b_positions: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    a_positions: np.ndarray,
    gap: int,
) -> np.ndarray:
    """kernels.chain, seed by seed with Python lists (see there)."""
    chains: list[list[int]] = []  # a_lo, a_hi, b_lo, b_hi, seeds, first_a, first_b, last_a, last_b
    open_chains: list[int] = []
    done: list[int] = []
    occurrences_of = a_positions.tolist()
    for pb, start, end in zip(b_positions.tolist(), starts.tolist(), ends.tolist(), strict=True):
        occurrences = occurrences_of[start:end]
        still_open: list[int] = []
        for c in open_chains:
            (still_open if pb - chains[c][3] <= gap else done).append(c)
        open_chains = still_open
        best: tuple[int, int, int] | None = None
        for c in open_chains:
            for pa in occurrences:
                distance = max(chains[c][0] - pa, pa - chains[c][1], 0)
                if distance <= gap and (best is None or distance < best[0]):
                    best = (distance, c, pa)
        if best is None:
            pa = occurrences[0]
            chains.append([pa, pa, pb, pb, 1, pa, pb, pa, pb])
            open_chains.append(len(chains) - 1)
            continue
        _, c, pa = best
        row = chains[c]
        row[0], row[1], row[3] = min(row[0], pa), max(row[1], pa), pb
        row[4] += 1
        row[7], row[8] = pa, pb
    return np.array([chains[c] for c in done + open_chains], np.int64).reshape(-1, 9)


def align(
    ids_a: np.ndarray,
    ids_b: np.ndarray,
    seeds_b: np.ndarray,
    words_b: np.ndarray,
    by_word_a: np.ndarray,
    by_word_positions_a: np.ndarray,
    gap: int,
    min_seeds: int,
    min_tokens: int,
    threshold: float,
    bridge: int,
    anchor: int,
    window: int,
    dense: int,
    stop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """kernels.align, step by step with Python lists and sets: seeds chained
    (chain), chains merged, grown (_extend), joined (_merge_ranges), trimmed
    (trim) and verified by the Jaccard similarity of their word sets."""
    lo = np.searchsorted(by_word_a, words_b)
    hi = np.searchsorted(by_word_a, words_b, side="right")
    hit = hi > lo
    rows = chain(seeds_b[hit], lo[hit], hi[hit], by_word_positions_a, gap).tolist()
    chains = [r for r in rows if r[4] > 1]  # lone seeds are noise
    chains = [c for c in _merge(chains, gap) if c[4] >= min_seeds]
    ends = [_extend(ids_a, ids_b, c, bridge, anchor, stop) for c in chains]
    out, similarities = [], []
    for merged in _merge_ranges(ends, gap):
        a_lo, a_hi, b_lo, b_hi = trim(ids_a, ids_b, *merged, window, dense, stop)
        if min(a_hi - a_lo, b_hi - b_lo) < min_tokens:
            continue
        similarity = _set_jaccard(ids_a[a_lo:a_hi].tolist(), ids_b[b_lo:b_hi].tolist())
        if similarity < threshold:
            continue
        if counted_jaccard(ids_a[a_lo:a_hi], ids_b[b_lo:b_hi]) < threshold:
            # A side says the other's words over and over: cut to once, verified again.
            b_hi = once(ids_b, b_lo, b_hi, ids_a[a_lo:a_hi], stop)
            a_hi = once(ids_a, a_lo, a_hi, ids_b[b_lo:b_hi], stop)
            if min(a_hi - a_lo, b_hi - b_lo) < min_tokens:
                continue
            similarity = _set_jaccard(ids_a[a_lo:a_hi].tolist(), ids_b[b_lo:b_hi].tolist())
            if min(similarity, counted_jaccard(ids_a[a_lo:a_hi], ids_b[b_lo:b_hi])) < threshold:
                continue
        out.append([a_lo, a_hi, b_lo, b_hi])
        similarities.append(similarity)
    return np.array(out, np.int64).reshape(-1, 4), np.array(similarities, np.float64)


def _set_jaccard(a: list[int], b: list[int]) -> float:
    """The Jaccard similarity of the sets of ``a`` and of ``b`` (1 if both are empty)."""
    words_a, words_b = set(a), set(b)
    union = len(words_a | words_b)
    return len(words_a & words_b) / union if union else 1.0


def counted_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """kernels.counted_jaccard by collections.Counter: shared words counted
    as often as both sides say them, over as often as either does."""
    ca, cb = Counter(a.tolist()), Counter(b.tolist())
    union = sum((ca | cb).values())
    return sum((ca & cb).values()) / union if union else 1.0


def without_template(
    words_a: np.ndarray,
    lo_a: int,
    hi_a: int,
    cut_a: np.ndarray,
    words_b: np.ndarray,
    lo_b: int,
    hi_b: int,
    cut_b: np.ndarray,
    min_tokens: int,
) -> tuple[int, int, int, int, float, float]:
    """kernels.without_template with sets of positions and of words."""
    sides = []
    for words, lo, hi, cut in ((words_a, lo_a, hi_a, cut_a), (words_b, lo_b, hi_b, cut_b)):
        gone = {t for first, last in cut.tolist() for t in range(first, last)}
        kept = [t for t in range(lo, hi) if t not in gone]
        if len(kept) < min_tokens:
            return -1, -1, -1, -1, 0.0, 0.0
        sides.append((kept[0], kept[-1] + 1, words[kept]))
    (a_lo, a_hi, a), (b_lo, b_hi, b) = sides
    set_a, set_b = set(a.tolist()), set(b.tolist())
    union = len(set_a | set_b)
    similarity = len(set_a & set_b) / union if union else 1.0
    return a_lo, a_hi, b_lo, b_hi, similarity, counted_jaccard(a, b)


def once(ids: np.ndarray, lo: int, hi: int, other: np.ndarray, stop: np.ndarray) -> int:
    """kernels.once with a Counter of the words ``other`` has left to give."""
    left, stop_words = Counter(other.tolist()), set(stop.tolist())
    end = lo
    for i, w in enumerate(ids[lo:hi].tolist(), lo):
        if w not in left:
            continue
        if left[w] == 0:
            if w not in stop_words:
                return end
            continue
        left[w] -= 1
        if w not in stop_words:
            end = i + 1
    return hi


def _merge(chains: list[list[int]], gap: int) -> list[list[int]]:
    """Join chains close in both documents (a passage whose phrases were
    moved). A chain: a_lo, a_hi, b_lo, b_hi, seeds, first_a, first_b,
    last_a, last_b."""
    merged: list[list[int]] = []
    for c in sorted(chains, key=lambda c: c[2]):
        for m in merged:
            near_b = c[2] - m[3] <= 2 * gap
            near_a = c[0] - m[1] <= 2 * gap and m[0] - c[1] <= 2 * gap
            if near_b and near_a:
                m[0], m[1], m[3] = min(m[0], c[0]), max(m[1], c[1]), max(m[3], c[3])
                m[4] += c[4]
                if c[8] > m[8]:
                    m[7], m[8] = c[7], c[8]
                break
        else:
            merged.append(list(c))
    return merged


def _merge_ranges(
    ranges: list[tuple[int, int, int, int]], gap: int
) -> list[tuple[int, int, int, int]]:
    """Join passages that touch in b and whose originals lie within the joined
    passage's length of each other in a: one passage whose phrases were moved
    far apart, or a sub-passage found twice."""
    merged: list[list[int]] = []
    for a_lo, a_hi, b_lo, b_hi in sorted(ranges, key=lambda r: r[2]):
        if merged:
            m = merged[-1]
            span = max(m[3], b_hi) - m[2]
            if b_lo - m[3] <= gap and max(a_lo - m[1], m[0] - a_hi) <= span:
                m[0], m[1], m[3] = min(m[0], a_lo), max(m[1], a_hi), max(m[3], b_hi)
                continue
        merged.append([a_lo, a_hi, b_lo, b_hi])
    return [(m[0], m[1], m[2], m[3]) for m in merged]


def _extend(
    ids_a: np.ndarray, ids_b: np.ndarray, c: list[int], bridge: int, anchor: int, stop: np.ndarray
) -> tuple[int, int, int, int]:
    """Grow a chain's seed ranges to the passage boundaries (half-open ranges).

    Verbatim text first: word-for-word from the outermost seeds, across
    small differences (``follow``). Then, unless the copy runs in order
    from its first seed past its last, by bag of words, for shuffled text:
    while the next token occurs near the other side's range, stopping at two
    misses in a row. (In ordered text the bag of words only adds topic words
    that both articles use before and after the copy.)
    """
    pa, pb, qa, qb = c[5], c[6], c[7], c[8]
    fa, fb = follow(ids_a, ids_b, pa + 1, pb + 1, bridge, anchor, stop)
    in_order = fa > c[1] and fb > c[3]  # from the first seed past the last
    qa, qb = follow(ids_a, ids_b, qa + 1, qb + 1, bridge, anchor, stop)
    ra, rb = follow(
        ids_a[::-1], ids_b[::-1], len(ids_a) - pa, len(ids_b) - pb, bridge, anchor, stop
    )
    pa, pb = len(ids_a) - ra, len(ids_b) - rb
    a_lo, a_hi = min(c[0], pa), max(c[1] + 1, qa)
    b_lo, b_hi = min(c[2], pb), max(c[3] + 1, qb)
    if in_order:
        return a_lo, a_hi, b_lo, b_hi
    near_a = set(ids_a[a_lo:a_hi].tolist())
    near_b = set(ids_b[b_lo:b_hi].tolist())
    stop_words = set(stop.tolist())
    b_lo, b_hi = _grow(ids_b.tolist(), b_lo, b_hi, near_a, stop_words)
    a_lo, a_hi = _grow(ids_a.tolist(), a_lo, a_hi, near_b, stop_words)
    return a_lo, a_hi, b_lo, b_hi


def _grow(ids: list[int], lo: int, hi: int, words: set[int], stop: set[int]) -> tuple[int, int]:
    """Extend [lo, hi) over tokens found in ``words``, across single misses.

    The new edge is always a content word: a function word found on the other
    side ("في") says nothing about where a passage ends.
    """
    edge, i = lo, lo
    while i > 0 and (ids[i - 1] in words or (i > 1 and ids[i - 2] in words)):
        i -= 1 if ids[i - 1] in words else 2  # step over one stray word
        if ids[i] not in stop:
            edge = i
    lo, edge, i = edge, hi, hi
    while i < len(ids) and (ids[i] in words or (i + 1 < len(ids) and ids[i + 1] in words)):
        i += 1 if ids[i] in words else 2
        if ids[i - 1] not in stop:
            edge = i
    return lo, edge


def repeats(
    hashes: np.ndarray, k: int, min_tokens: int, gap: int, threshold: float
) -> list[tuple[int, int, int, int, float]]:
    """kernels.repeats of one document's token hashes: ``(a_lo, a_hi, b_lo,
    b_hi, similarity)``, each window's first occurrence from a dict, the open
    blocks in a list."""
    windows = window_hashes(hashes, k).tolist()
    if len(hashes) < 2 * min_tokens or len(windows) < 2:
        return []
    seen: dict[int, int] = {}
    first = [seen.setdefault(w, j) for j, w in enumerate(windows)]
    opened: list[list[int]] = []  # b_lo, b_hi, a_lo, a_hi, repeated, distance
    blocks = []
    for j, f in enumerate(first):
        blocks += [o for o in opened if j - o[1] >= gap]
        opened = [o for o in opened if j - o[1] < gap]
        if f == j:
            continue
        kept = [o for o in opened if windows[j - o[5]] == windows[j]]
        near = [
            (abs(i - j + o[5]), -o[1], i, o)
            for o in opened
            for i in range(max(0, j - o[5] - gap), min(o[0], j - o[5] + gap + 1))
            if windows[i] == windows[j]
        ]
        if kept:
            o = max(kept, key=lambda o: o[1])
            at = j - o[5]
        elif near:
            _, _, at, o = min(near, key=lambda x: x[:3])
        else:
            opened.append([j, j + 1, f, f + 1, 1, j - f])
            continue
        o[1], o[2], o[3], o[4], o[5] = j + 1, min(o[2], at), max(o[3], at + 1), o[4] + 1, j - at
    found = []
    end = 0
    for b_lo, b_hi, a_lo, a_hi, repeated, _ in sorted(blocks + opened):
        if 2 * repeated < b_hi - b_lo:
            continue
        b_hi, a_hi = b_hi + k - 1, a_hi + k - 1
        period = b_lo - a_lo if a_hi > b_lo else b_hi - b_lo
        for lo in range(b_lo, b_hi, period):
            hi, o_lo, o_hi = min(lo + period, b_hi), a_lo, a_hi
            if a_hi > b_lo:
                o_hi = a_lo + hi - lo
            if end > lo:
                o_lo, lo = o_lo + end - lo, end
            if min(o_hi - o_lo, hi - lo) < min_tokens:
                continue
            end = hi
            # (a side shorter than k has no window)
            similarity = _set_jaccard(windows[o_lo : o_hi - k + 1], windows[lo : hi - k + 1])
            if similarity >= threshold:
                found.append((o_lo, o_hi, lo, hi, similarity))
    return found


def affixes(
    tokens: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
    frame: int,
    prefix: np.uint64,
    suffix: np.uint64,
    mix: np.uint64,
) -> tuple[np.ndarray, np.ndarray]:
    """kernels.affixes, a paragraph at a time with Python integers."""
    tables = np.zeros((2, len(first), frame), np.uint64)
    for p, (lo, n) in enumerate(zip(first.tolist(), count.tolist(), strict=True)):
        words = tokens[lo : lo + n].tolist()
        for side, (h, ordered) in enumerate(((int(prefix), words), (int(suffix), words[::-1]))):
            for j, w in enumerate(ordered[:frame]):
                h = (h * int(mix) + w) % 2**64
                tables[side, p, j] = h
    return tables[0], tables[1]


def affix_holders(
    tokens: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
    owners: np.ndarray,
    frame: int,
    seeds: tuple[np.uint64, np.uint64, np.uint64],
    wanted: np.ndarray,
) -> np.ndarray:
    """kernels.affix_holders in one call: for each of ``wanted``, how many
    documents hold it as a prefix plus how many as a suffix, every affix of
    every paragraph looked up."""
    index = {v: i for i, v in enumerate(wanted.tolist())}
    counts = np.zeros(len(wanted), np.int64)
    for table in affixes(tokens, first, count, frame, *seeds):
        held = {
            (index[v], d)
            for row, n, d in zip(table.tolist(), count.tolist(), owners.tolist(), strict=True)
            for v in row[:n]
            if v in index
        }
        for w, _ in held:
            counts[w] += 1
    return counts


def paragraph_copies(
    docs: np.ndarray,
    doc_first_para: np.ndarray,
    para_group: np.ndarray,
    group_first: np.ndarray,
    boiler: np.ndarray,
    long: np.ndarray,
    near_starts: np.ndarray,
    near: np.ndarray,
) -> np.ndarray:
    """kernels.paragraph_copies, paragraph by paragraph with a dict of the
    groups seen in the document."""
    kinds = {"within": kernels.WITHIN, "across": kernels.ACROSS, "boilerplate": kernels.BOILERPLATE}
    rows = []
    for d in docs.tolist():
        seen: dict[int, int] = {}  # group -> its first paragraph in this document
        for p in range(int(doc_first_para[d]), int(doc_first_para[d + 1])):
            g = int(para_group[p])
            adjacent = near[near_starts[g] : near_starts[g + 1]].tolist()
            kind = "within"
            orig = seen.get(g)
            if orig is None:
                orig = min((seen[h] for h in adjacent if h in seen), default=None)
            if orig is None:
                kind = "boilerplate" if boiler[p] else "across"
                orig = int(group_first[g]) if group_first[g] < p else None
                if orig is None:
                    orig = min(
                        (f for h in adjacent if (f := int(group_first[h])) < p), default=None
                    )
            seen.setdefault(g, p)
            if orig is not None:
                rows.append((p, orig, kinds[kind], int(long[p])))
    return np.array(rows, np.int64).reshape(-1, 4)


@dataclass(frozen=True, slots=True)
class Copy:
    """Paragraph ``para`` copies paragraph ``orig`` (global paragraph indices)."""

    para: int
    orig: int
    kind: SpanKind
    long: bool  # the paragraph has at least min_paragraph_tokens tokens


def merge_blocks(
    copies: list[Copy],
    para_doc: Callable[[int], int],
    max_gap: int,
    is_short: Callable[[int], bool] = lambda p: True,
) -> list[Block]:
    """kernels.copy_blocks of one document's copies (in paragraph order), a
    Copy object and a Block object each."""
    blocks: list[Block] = []
    cur: Block | None = None
    for c in copies:
        if (
            cur is not None
            and c.para == cur.last + 1
            and c.kind == cur.kind
            and para_doc(c.orig) == para_doc(cur.orig_last)
            and cur.orig_last < c.orig <= cur.orig_last + 1 + max_gap
            and all(is_short(p) for p in range(cur.orig_last + 1, c.orig))
            and (c.kind != "within" or c.orig < cur.first)
        ):
            cur.last, cur.orig_last = c.para, c.orig
            cur.long = cur.long or c.long
            continue
        cur = Block(c.kind, c.para, c.para, c.orig, c.orig, c.long)
        blocks.append(cur)
    return [b for b in blocks if b.long or b.kind == "boilerplate"]


def new_passages(held: np.ndarray, asked: np.ndarray, min_tokens: int) -> np.ndarray:
    """kernels.new_passages with sets of token positions, a document at a time."""
    keep = []
    for doc in dict.fromkeys(asked[:, 0].tolist()):
        rows = [(a, lo, hi, False) for d, a, lo, hi in held.tolist() if d == doc]
        for a, lo, hi in asked[asked[:, 0] == doc][:, 1:].tolist():
            said: set[int] = set()
            again: set[int] = set()
            for x, first, last, passage in rows:
                if x <= a:
                    inside = set(range(max(first, lo), min(last, hi)))
                    said |= inside
                    if x == a and passage:
                        again |= inside
            new = hi - lo - len(said) >= min_tokens and 2 * len(again) < hi - lo
            if new:
                rows.append((a, lo, hi, True))
            keep.append(new)
    return np.array(keep, bool)


def holdings(
    values: np.ndarray,
    lengths: np.ndarray,
    first: int,
    ordered: np.ndarray,
    own_size: int,
    counts: np.ndarray,
    most: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """kernels.holdings with whole-array numpy."""
    held = np.isin(values, ordered)
    rank = np.arange(len(values)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    owners = np.repeat(np.arange(first, first + len(lengths)), lengths)
    keys = np.searchsorted(ordered, values[held])
    # The how-manieth holder of its value each hit is, over the calls.
    order = np.argsort(keys, kind="stable")
    group_start = np.searchsorted(keys[order], keys[order])
    nth = np.empty(len(keys), np.int64)
    nth[order] = np.arange(len(keys)) - group_start
    nth += counts[keys] + 1
    np.add.at(counts, keys, 1)
    keep = nth <= most
    return keys[keep], owners[held][keep], (rank[held] < own_size)[keep]


def sketch_pairs(
    keys: np.ndarray,
    owners: np.ndarray,
    own: np.ndarray,
    max_owners: int,
    share: float,
    chunk: int = 1 << 22,
) -> np.ndarray:
    """kernels.sketch_pairs of every owner (its index by kernels.sketch_index),
    distinct, with whole-array numpy, about ``chunk`` lookups at a time."""
    order = np.argsort(keys, kind="stable")
    keys, owners, own = keys[order], owners[order].astype(np.int64), own[order]
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate(([0], change))
    sizes = np.diff(np.concatenate((starts, [len(keys)])))
    bucket = np.repeat(np.arange(len(starts)), sizes)  # each holding's key group
    counted = np.flatnonzero(own & (sizes[bucket] <= max_owners))
    counted = counted[np.argsort(owners[counted], kind="stable")]  # owner by owner
    sketch_sizes = np.bincount(owners[counted], minlength=int(owners.max(initial=-1)) + 1)
    looked = sizes[bucket[counted]]  # holders of each sketch key, the owner among them
    found = [np.empty(0, np.int64)]
    lo = 0
    while lo < len(counted):
        # whole owners only: an owner's count needs all its keys at once
        hi = int(np.searchsorted(np.cumsum(looked[lo:]), chunk, side="right")) + lo
        hi = max(hi, lo + 1)
        while hi < len(counted) and owners[counted[hi]] == owners[counted[hi - 1]]:
            hi += 1
        part = counted[lo:hi]
        first = starts[bucket[part]]
        holder = owners[ranges(first, first + sizes[bucket[part]])]
        x = np.repeat(owners[part], sizes[bucket[part]])
        pair, count = np.unique(x[holder != x] << 32 | holder[holder != x], return_counts=True)
        mine = pair >> 32
        kept = pair[count >= share * sketch_sizes[mine]]
        a, b = kept >> 32, kept & 0xFFFFFFFF
        found.append(np.minimum(a, b) << 32 | np.maximum(a, b))
        lo = hi
    result: np.ndarray = np.unique(np.concatenate(found))
    return result


def set_bits(sets: list[np.ndarray], words: int = kernels.BIT_WORDS) -> np.ndarray:
    """kernels.set_bits, a Python int a set."""
    top = 64 - (64 * words).bit_length() + 1
    maps = []
    for values in sets:
        bits = 0
        for v in values.tolist():
            bits |= 1 << ((v * 0x9E3779B97F4A7C15) % 2**64 >> top)
        maps.append([bits >> (64 * w) & (2**64 - 1) for w in range(words)])
    return np.array(maps, np.uint64).reshape(-1, words)


def may_reach(
    pairs: np.ndarray, bits: np.ndarray, sizes: np.ndarray, threshold: float
) -> np.ndarray:
    """kernels.may_reach, with Python ints."""
    keep = []
    for i, j in pairs.tolist():
        differ = sum(bin(int(x) ^ int(y)).count("1") for x, y in zip(bits[i], bits[j], strict=True))
        total = int(sizes[i] + sizes[j])
        most = (total - differ) // 2
        keep.append(total == most or most / (total - most) >= threshold)
    return np.array(keep, bool)


def paragraph_keys(hashes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """An exact key of each token sequence hashes[lo:hi] (non-empty): a sum of
    tokens mixed with their position, mixed with the length."""
    at = ranges(lo, hi)
    position = (at - np.repeat(lo, hi - lo)).astype(np.uint64)
    terms = fmix64(hashes[at] ^ fmix64(position + np.uint64(1)))
    sums = np.add.reduceat(terms, np.cumsum(hi - lo) - (hi - lo)) if len(lo) else terms
    return fmix64(sums + (hi - lo).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))


def edit_distance(a: list[int], b: list[int]) -> int:
    """Tokens to insert, delete or replace to turn ``a`` into ``b``
    (Levenshtein's distance, every cell of the table)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            diagonal, row[j] = row[j], min(diagonal + (x != y), row[j] + 1, row[j - 1] + 1)
    return row[-1]
