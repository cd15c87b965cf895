"""Per-batch features: fast paths equal the plain computation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document
from dedup.features import PREVIEW, BatchFeatures, featurize_batch, fingerprint, paragraph_keys
from dedup.lsh import band_keys, lsh_params
from dedup.minhash import MinHasher, shingle_sets, window_hashes
from dedup.repetition import repetition_stats, stat_names
from dedup.segment import paragraphs
from dedup.text import space_tables, tokenize
from tests.conftest import needs


def check_signatures(docs: list[Document]) -> None:
    cfg = Config()
    f = featurize_batch(docs, cfg)
    hasher = MinHasher(cfg.num_perm, cfg.seed)
    bounds = np.concatenate(([0], np.cumsum(f.doc_set_lengths)))
    for i in range(len(docs)):
        doc_set = f.doc_sets[bounds[i] : bounds[i + 1]]
        if len(doc_set):  # signatures from paragraph signatures == from the whole set
            assert (f.doc_sigs[i] == hasher.signatures([doc_set])[0]).all(), docs[i].id
        else:
            assert (f.doc_sigs[i] == np.iinfo(np.uint32).max).all()
    para_bounds = np.concatenate(([0], np.cumsum(f.para_set_lengths)))
    sets = [f.para_sets[a:b] for a, b in pairwise(para_bounds.tolist())]
    long = [s for s, t in zip(sets, f.para_ntok.tolist(), strict=True) if t >= cfg.shingle_size]
    expected = band_keys(hasher.signatures(long), *lsh_params(cfg.paragraph_threshold, 128))
    assert (f.para_bands == expected).all()


def test_document_signatures_seeds(seed_texts: dict[str, str]) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()]
    edge_cases = ["", "كلمة", "a b c d", "a b c d e", "a b\nc d e f g h\n\n!!\nx"]
    check_signatures(docs + [Document(f"e{i}", t) for i, t in enumerate(edge_cases)])


def test_document_signatures_saudinewsnet() -> None:
    needs(SAUDINEWSNET)
    check_signatures(list(saudinewsnet(1500)))


def plain_features(docs: list[Document], cfg: Config) -> BatchFeatures:
    """featurize_batch, document by document with the plain per-text functions."""
    k = cfg.shingle_size
    hasher = MinHasher(cfg.num_perm, cfg.seed)
    n = len(docs)
    stats = np.zeros((n, len(stat_names())))
    rows: dict[str, list[np.ndarray]] = defaultdict(list)
    para_sets: list[np.ndarray] = []
    doc_sets: list[np.ndarray] = []
    words: list[np.ndarray] = []
    previews: list[bytes] = []
    for i, doc in enumerate(docs):
        tokens = tokenize(doc.text)
        paras = paragraphs(doc.text, tokens)
        found = repetition_stats(doc.text, tokens)
        stats[i] = [found[name] for name in stat_names()]
        rows["chars"].append(np.array([len(doc.text)]))
        rows["tokens"].append(np.array([len(tokens)]))
        rows["paragraphs"].append(np.array([len(paras)]))
        rows["fingerprints"].append(np.array([fingerprint(doc.text)], np.uint64))
        rows["para_starts"].append(paras.starts)
        rows["para_ends"].append(paras.ends)
        rows["para_ntok"].append(paras.tok_hi - paras.tok_lo)
        one_key = [
            paragraph_keys(tokens.hashes[a:b], np.array([0]), np.array([b - a]))[0]
            for a, b in zip(paras.tok_lo.tolist(), paras.tok_hi.tolist(), strict=True)
        ]
        rows["para_keys"].append(np.array(one_key, dtype=np.uint64))
        para_sets.extend(shingle_sets(tokens.hashes, paras.tok_lo, paras.tok_hi, k))
        previews.extend(
            doc.text[s : min(e, s + PREVIEW)].encode("utf-8", "surrogatepass")
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
        previews=np.frombuffer(b"".join(previews), np.uint8),
        preview_lengths=lengths(previews),
        doc_words=np.concatenate(words),
        doc_word_counts=lengths(words),
        **flat,
    )


def check_batch(docs: list[Document], cfg: Config | None = None) -> None:
    cfg = cfg or Config()
    got, expected = featurize_batch(docs, cfg), plain_features(docs, cfg)
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


def test_batch_equals_plain_on_seeds_and_edge_cases(seed_texts: dict[str, str]) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()]
    docs += [Document(f"e{i}", t) for i, t in enumerate(EDGE_CASES)]
    check_batch(docs)
    check_batch(docs, Config(passages=False, shingle_size=3))
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
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(ALPHABET, max_size=80).map("".join), min_size=1, max_size=6))
def test_batch_equals_plain_on_random_text(texts: list[str]) -> None:
    check_batch([Document(str(i), t) for i, t in enumerate(texts)], Config(shingle_size=2))


def test_space_table_is_str_isspace() -> None:
    space, breaks = space_tables()
    assert space.tolist() == [chr(c).isspace() for c in range(0x110000)]
    assert np.flatnonzero(breaks).tolist() == [
        c for c in range(0x110000) if len(f"a{chr(c)}b".splitlines()) == 2
    ]
