"""Per-batch features: fast paths equal the plain computation."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import regex

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document
from dedup.features import featurize_batch
from dedup.lsh import band_keys, lsh_params
from dedup.minhash import MinHasher
from dedup.text import _char_tables, _kept, _piece_kinds, char_tables, piece_kinds, space_tables
from tests.conftest import needs


def check_signatures(docs: list[Document]) -> None:
    cfg = Config()
    f = featurize_batch([d.text for d in docs], cfg)
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


def test_word_table_is_regex_word() -> None:
    word, _ = char_tables()
    pattern = regex.compile(r"\w")
    chars = (c for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert np.flatnonzero(word).tolist() == [c for c in chars if pattern.match(chr(c))]


def test_space_table_is_str_isspace() -> None:
    space, breaks = space_tables()
    assert space.tolist() == [chr(c).isspace() for c in range(0x110000)]
    assert np.flatnonzero(breaks).tolist() == [
        c for c in range(0x110000) if len(f"a{chr(c)}b".splitlines()) == 2
    ]


def test_character_tables_come_back_from_a_file_as_they_were_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    built: list[int] = []

    def build() -> tuple[np.ndarray, np.ndarray]:
        built.append(1)
        return _char_tables()

    fresh = _kept("char_tables", build)
    (kept,) = (tmp_path / "dedup").glob("char_tables-*.npz")
    again = _kept("char_tables", build)
    assert built == [1]  # the second from the file
    for a, b, c in zip(fresh, again, char_tables(), strict=True):
        assert a.dtype == b.dtype and a.flags.writeable == b.flags.writeable
        assert np.array_equal(a, b) and np.array_equal(a, c)
    kept.write_bytes(kept.read_bytes()[:1000])  # cut short: built again, and kept whole
    rebuilt = _kept("char_tables", build)
    assert all(np.array_equal(a, b) for a, b in zip(rebuilt, fresh, strict=True))
    assert built == [1, 1]
    _kept("char_tables", build)
    assert built == [1, 1]


def test_character_tables_are_built_where_no_folder_can_keep_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "file"))  # no folder can be made in it
    (kinds,) = _kept("piece_kinds", _piece_kinds)
    assert np.array_equal(kinds, piece_kinds())
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
