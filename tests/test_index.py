"""The corpus index: sealed, opened again, it holds what it held."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Config, Document, InputError
from dedup.index import _PARAGRAPH_TABLES, MANIFEST, Index
from dedup.store import Column, Spill, Wanted
from tests.conftest import mapped_file, needs


def build(
    folder: Path, docs: list[Document], cfg: Config, batch: int = 100, seal: bool = True
) -> Index:
    """An index of ``docs``, sealed (else finished only)."""
    index = Index(folder, cfg)
    for i in range(0, len(docs), batch):
        part = docs[i : i + batch]
        index.append([d.id for d in part], *index.featurize([d.text for d in part]))
    if seal:
        index.seal()
    else:
        index.finish()
    return index


@pytest.fixture(scope="module")
def news() -> list[Document]:
    needs(SAUDINEWSNET)
    return list(saudinewsnet(500))


def test_an_opened_index_holds_what_was_sealed(
    tmp_path: Path, news: list[Document], seed_texts: dict[str, str]
) -> None:
    docs = [Document(k, v) for k, v in seed_texts.items()] + news
    cfg = Config()
    live = build(tmp_path, docs, cfg)
    opened = Index.open(tmp_path, cfg)
    assert opened.doc_ids == live.doc_ids == [d.id for d in docs]
    for name in (
        "doc_chars", "doc_ntok", "doc_paras", "repetition", "fingerprints", "doc_first_para",
        "para_start", "para_end", "para_ntok", "para_doc", "para_group", "group_first",
    ):  # fmt: skip
        assert np.array_equal(getattr(opened, name), getattr(live, name)), name
    stores_only = Index.open(tmp_path, cfg, tables=False)  # as a task opens it
    assert not hasattr(stores_only, "para_group")
    bare = Index.open(tmp_path, cfg, tables=False)
    mapped = bare.paragraph_tables()  # a spans task's: a copy, let go with the task
    assert mapped is not bare and not hasattr(bare, "para_group")
    assert live.paragraph_tables() is live
    for name in (
        "doc_ntok", "doc_first_para", "para_start", "para_end", "para_ntok", "para_doc",
        "para_group", "group_first",
    ):  # fmt: skip
        assert np.array_equal(getattr(mapped, name), getattr(live, name)), name
        assert getattr(mapped, name).dtype == getattr(live, name).dtype, name
    bare.close()
    for index in (opened, stores_only):
        for name, store in live._stores().items():
            other = index._stores()[name]
            assert len(other) == len(store) and np.array_equal(other.lengths(), store.lengths())
            assert np.array_equal(other.range(0, len(store)), store.range(0, len(store))), name
            assert all(np.array_equal(other[i], store[i]) for i in (0, 7, len(store) - 1))
        for name, mine in live._band_files().items():
            theirs = index._band_files()[name]
            assert all(np.array_equal(mine.column(b), theirs.column(b)) for b in range(mine.bands))
        assert index.fingerprint() == live.fingerprint()
        index.close()
    live.close()


def test_a_sealed_index_reads_its_columns_from_their_files_and_lets_go_of_them(
    tmp_path: Path, news: list[Document]
) -> None:
    """Sealed, the client's index holds its columns as the files it wrote,
    mapped (the pages it reads, which the system can take back), with the
    values it computed; closed, it maps none (Windows would not remove them)."""
    index = build(tmp_path, news, Config(), seal=False)
    names = [*_PARAGRAPH_TABLES, "doc_chars", "doc_paras", "repetition", "fingerprints", "para_key"]
    before = {name: getattr(index, name).copy() for name in names}
    lengths = {name: store.lengths() for name, store in index._stores().items()}
    index.seal()
    for name in names:
        column = getattr(index, name)
        assert np.array_equal(column, before[name]) and column.dtype == before[name].dtype, name
        assert Path(mapped_file(column)).parent == tmp_path / "columns", name
        assert column.flags.writeable and column.flags.c_contiguous, name  # the kernels' kind
    for name, store in index._stores().items():
        assert np.array_equal(store.lengths(), lengths[name]), name
        assert mapped_file(store.state()[1]), name
    index.close()

    def maps(value: object) -> str:
        if isinstance(value, Column):
            value = value.array()
        if isinstance(value, Spill):
            value = value.state()[1]
        return mapped_file(value)

    assert not [name for name, value in vars(index).items() if maps(value)]


def test_an_index_of_other_parameters_is_refused(tmp_path: Path, news: list[Document]) -> None:
    build(tmp_path, news[:50], Config()).close()
    with pytest.raises(InputError, match="built with shingle_size 5, not 7"):
        Index.open(tmp_path, Config(shingle_size=7))
    with pytest.raises(InputError, match="built with num_perm 128, not 256"):
        Index.open(tmp_path, Config(num_perm=256))
    Index.open(tmp_path, Config(boilerplate_min_docs=3)).close()  # no bearing on signatures


def test_what_is_not_an_index_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"manifest\.json: not a dedup index"):
        Index.open(tmp_path, Config())
    (tmp_path / MANIFEST).write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not a dedup index"):
        Index.open(tmp_path, Config())
    (tmp_path / MANIFEST).write_text(json.dumps({"schema": "other/1"}), encoding="utf-8")
    with pytest.raises(InputError, match=r"not a dedup\.index/1 index"):
        Index.open(tmp_path, Config())


def test_pair_agreements_read_together_give_the_estimates_one_by_one(
    tmp_path: Path, news: list[Document]
) -> None:
    """documents._agreements (signatures gathered, compared in chunks) over
    num_perm is minhash.estimate of each pair's two signatures."""
    from dedup.finders import encode
    from dedup.finders.documents import _agreements
    from dedup.minhash import estimate

    cfg = Config()
    index = build(tmp_path, news[:120], cfg)
    rng = np.random.default_rng(5)
    pairs = np.sort(rng.integers(0, 120, (300, 2)), axis=1)
    expected = [estimate(index.doc_sigs[a][0], index.doc_sigs[b][0]) for a, b in pairs.tolist()]
    got = _agreements(index.doc_sigs, encode(pairs), chunk=7) / cfg.num_perm
    assert got.tolist() == expected
    assert len(_agreements(index.doc_sigs, encode(pairs[:0]))) == 0
    index.close()


def test_a_workers_copy_reads_its_own_features_here_and_the_others_from_them(
    tmp_path: Path, news: list[Document]
) -> None:
    """Dask workers that share no disk with the client each keep the features
    they computed; the client seals the index (its manifest names each
    chunk's worker) and each worker opens a copy of it (``Mirror``). A copy
    reads its own chunks from its folder and fetches the others' (one call
    for a read), and holds what the index holds."""
    from dedup.engines.dask import _Keeper

    cfg = Config()
    owners = ["tcp://a:1", "tcp://b:2"]
    kept = {
        owner: Index(tmp_path / owner.replace("/", "").replace(":", ""), cfg) for owner in owners
    }
    for index in kept.values():
        index.path.mkdir()
    asked: list[set[str]] = []

    def fetch(wanted: Wanted) -> dict[str, np.ndarray]:
        asked.append(set(wanted))
        return {owner: _Keeper().read(*ranges) for owner, ranges in wanted.items()}

    (tmp_path / "client").mkdir()
    client = Index(tmp_path / "client", cfg, fetch)
    live = Index(tmp_path / "live", cfg)
    (tmp_path / "live").mkdir()
    for i in range(0, len(news), 100):  # batches alternate between the two workers
        part, owner = news[i : i + 100], owners[i // 100 % 2]
        small, written = kept[owner].featurize([d.text for d in part])
        client.append([d.id for d in part], small, written.owned(owner))
        live.append([d.id for d in part], *live.featurize([d.text for d in part]))
    assert client.owners() == set(owners)
    sealed = client.seal()
    live.finish()
    mine = kept[owners[0]].path
    for path in sealed:  # what DaskEngine.publish copies
        (mine / path.relative_to(client.path)).parent.mkdir(exist_ok=True)
        (mine / path.relative_to(client.path)).write_bytes(path.read_bytes())
    copy = Index.open(mine, cfg, tables=False, fetch=fetch, me=owners[0])
    asked.clear()
    for name, store in live._stores().items():
        assert np.array_equal(copy._stores()[name].range(0, len(news)), store.range(0, len(news)))
    assert all(wanted == {owners[1]} for wanted in asked) and asked
    assert all(Path(path).parent == mine for path in copy.folder._readers)
    items = np.arange(3, len(news), 7)
    assert np.array_equal(copy.doc_sets.gather(items), live.doc_sets.gather(items))
    for b in range(copy.para_bands.bands):
        assert np.array_equal(copy.para_bands.column(b), live.para_bands.column(b))
    # The paragraph tables a task maps are copied; what only the report reads is not.
    tables = copy.paragraph_tables()
    for name in _PARAGRAPH_TABLES:
        assert np.array_equal(getattr(tables, name), getattr(live, name))
    assert not (mine / "columns" / "repetition.npy").exists()
