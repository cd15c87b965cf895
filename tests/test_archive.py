"""The persistent index (archive.py): batches scanned against every document
indexed before find what a scan of them all finds for the batch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet, write_jsonl
from dedup import Config, Document, InputError, ScanResult, kernels, read_documents, scan
from dedup.archive import DOC_WORDS, Archive, _band_rows, _insert, describe, may_cover
from dedup.cli import app
from dedup.cluster import Coverage
from dedup.features import BatchFeatures, featurize_batch
from dedup.index import Index
from dedup.models import Span
from dedup.text import normalize_token, tokenize
from tests.conftest import SEEDS, needs
from tests.test_kernels import BIG_SETS, SETS

runner = CliRunner()


@pytest.fixture(scope="module")
def news() -> list[Document]:
    needs(SAUDINEWSNET)
    return list(saudinewsnet(600))


def span_key(s: Span) -> tuple[object, ...]:
    o = s.duplicate_of
    return (s.doc, s.start, s.end, s.kind, s.match, s.similarity, o.doc, o.start, o.end)


def pairs(r: ScanResult, docs: set[str]) -> set[tuple[object, ...]]:
    found = [p for c in r.clusters for p in c.pairs] + r.related
    return {
        (p.a, p.b, p.a_shingles, p.b_shingles, p.shared, p.estimate)
        for p in found
        if p.a in docs or p.b in docs
    }


def words(text: str) -> list[str]:
    return [normalize_token(w) for w in tokenize(text).words]


def test_each_batch_finds_what_a_scan_of_everything_so_far_finds_for_it(
    tmp_path: Path, news: list[Document]
) -> None:
    """Three batches of 200 articles added one after another: each batch's
    report equals, span for span and pair for pair, what one scan of all
    articles up to the batch's last reports for the batch's articles (the
    originals of its copies are often in an earlier batch)."""
    index, text = tmp_path / "news.db", {d.id: d.text for d in news}
    across_batches = 0
    for lo in range(0, len(news), 200):
        batch = news[lo : lo + 200]
        mine = {d.id for d in batch}
        got = scan(batch, index=index, workers=2 if lo else 1, batch_name=f"day {lo}")
        whole = scan(news[: lo + 200])
        expected = sorted(span_key(s) for s in whole.spans if s.doc in mine)
        assert sorted(span_key(s) for s in got.spans) == expected
        assert pairs(got, mine) == pairs(whole, mine)
        assert [d.id for d in got.documents] == [d.id for d in batch]
        assert got.config["index"]["documents_before"] == lo
        # The indexed originals are in the result, their offsets inside them.
        indexed = {d.id: d.chars for d in got.indexed}
        for s in got.spans:
            o = s.duplicate_of
            if o.doc not in mine:
                assert o.doc in indexed and o.end <= indexed[o.doc] == len(text[o.doc])
                across_batches += 1
            if s.similarity == 1.0 and s.match == "paragraph":
                assert words(text[s.doc][s.start : s.end]) == words(text[o.doc][o.start : o.end])
    assert across_batches > 0  # the test means something: copies of earlier batches
    assert describe(index)["documents"] == len(news)


def test_features_read_back_and_packed_equal_the_computed_ones(
    tmp_path: Path, news: list[Document], seed_texts: dict[str, str]
) -> None:
    texts = list(seed_texts.values()) + [d.text for d in news[:300]] + [""]
    cfg = Config()
    computed = featurize_batch(texts, cfg)
    index = Index(tmp_path / "spill", cfg)
    (tmp_path / "spill").mkdir()
    index.add([str(i) for i in range(len(texts))], computed)
    index.finish()
    read = index.features(0, len(texts))
    with Archive(tmp_path / "x.db", cfg) as archive:
        packed = archive.unpack(archive.pack(read))
        some = archive.unpack(archive.pack(index.features(25, 60)))
    one = featurize_batch(texts[25:60], cfg)
    assert len(computed.repeats) and len(one.repeats)  # (a few articles repeat a sentence)
    scan_only = ("repeats", "repeat_similarity")  # an index keeps none: only a scan reports them
    for name in BatchFeatures.__dataclass_fields__:
        pairs = [(computed, read), (one, index.features(25, 60))]
        if name not in scan_only:
            pairs += [(computed, packed), (one, some)]
        for a, b in pairs:
            x, y = getattr(a, name), getattr(b, name)
            assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert not any(len(getattr(f, name)) for f in (packed, some) for name in scan_only)
    index.close()


def test_a_batch_scanned_again_is_left_out_and_an_id_of_another_text_refused(
    tmp_path: Path,
) -> None:
    index = tmp_path / "seeds.db"
    first = scan(read_documents(SEEDS), index=index)
    assert first.config["index"]["added"] == 5
    again = scan(read_documents(SEEDS), index=index)
    assert again.config["index"]["skipped"] == 5 and len(again.documents) == 0
    assert describe(index)["documents"] == 5
    other = Document("001_78ea9c6ae5c3d444.txt", "another text altogether")
    with pytest.raises(InputError, match=r"is in the index .* with another text"):
        scan([other], index=index)
    assert describe(index)["documents"] == 5


def test_foreign_damaged_and_mismatched_files_are_refused_untouched(tmp_path: Path) -> None:
    made = tmp_path / "made.db"
    scan(read_documents(SEEDS), Config(shingle_size=3), index=made)
    with pytest.raises(InputError, match="built with shingle_size 3, not 5"):
        scan(read_documents(SEEDS), index=made)
    text = tmp_path / "notes.txt"
    text.write_text("not an index\n", encoding="utf-8")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(made.read_bytes()[:100] + b"\0" * 4000)
    for path, why in (
        (text, "not an SQLite file"),
        (other, "no such table: meta"),
        (damaged, "not a dedup index"),
    ):
        before = path.read_bytes()
        with pytest.raises(InputError, match=why):
            scan(read_documents(SEEDS), index=path)
        with pytest.raises(InputError, match=why):
            describe(path)
        assert path.read_bytes() == before
    with pytest.raises(InputError, match="no such index"):
        scan(read_documents(SEEDS), index=tmp_path / "missing.db", read_only=True)


def test_a_reader_goes_on_while_a_writer_adds_and_a_second_writer_stops(
    tmp_path: Path,
) -> None:
    index = tmp_path / "seeds.db"
    docs = list(read_documents(SEEDS))
    scan(docs[:2], index=index)
    with Archive(index, Config()):  # a writer, between its open and its commit
        read = scan(docs[2:], index=index, read_only=True)
        assert read.config["index"]["added"] == 0 and len(read.documents) == 3
        with pytest.raises(InputError, match="another scan is adding to this index"):
            scan(docs[2:], index=index)
    assert describe(index)["documents"] == 2


def test_cli_scan_info_and_clean_with_an_index(tmp_path: Path, news: list[Document]) -> None:
    day1, day2 = tmp_path / "day1.jsonl", tmp_path / "day2.jsonl"
    write_jsonl(news[:300], day1)
    write_jsonl(news[300:600], day2)
    index = tmp_path / "news.db"
    assert runner.invoke(app, ["scan", str(day1), "--index", str(index), "-q"]).exit_code == 0
    # Cleaning the next day against the index (read only) equals cleaning
    # it with the report of a scan that adds it.
    by_index = tmp_path / "by_index.jsonl"
    args = ["clean", str(day2), "--index", str(index), "--out", str(by_index), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    assert describe(index)["documents"] == 300
    report = tmp_path / "day2.json"
    args = ["scan", str(day2), "--index", str(index), "--json", str(report), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    by_report = tmp_path / "by_report.jsonl"
    args = ["clean", str(day2), "--report", str(report), "--out", str(by_report), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    assert by_index.read_bytes() == by_report.read_bytes()
    assert len(by_index.read_text(encoding="utf-8").splitlines()) < 300  # it removed some
    info = runner.invoke(app, ["index", "info", str(index)])
    assert info.exit_code == 0 and "600 documents in 2 batches" in info.output
    # Once added, a batch cannot be cleaned against the index: it would match itself.
    again = runner.invoke(
        app, ["clean", str(day2), "--index", str(index), "--out", str(tmp_path / "x")]
    )
    assert again.exit_code == 1 and "in the index already" in again.output
    # The index is neither an input nor an output.
    bad = runner.invoke(app, ["scan", str(day1), "--index", str(day1)])
    assert bad.exit_code == 1 and "is an input" in bad.output
    bad = runner.invoke(app, ["scan", str(day1), "--read-only"])
    assert bad.exit_code == 1 and "--read-only applies to --index" in bad.output


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(SETS, BIG_SETS), min_size=2, max_size=10),
    st.sampled_from([(0.8, 0.8, 20), (0.5, 0.9, 3), (1.0, 0.3, 1)]),
)
def test_document_bit_maps_never_drop_a_pair_that_covers(
    sets: list[np.ndarray], thresholds: tuple[float, float, int]
) -> None:
    """The index drops a document candidate by the two sets' bit maps
    (archive.may_cover) only if the exact rule would drop it too; sets drawn
    from few values overlap a lot and fill their maps."""
    rule = Coverage(*thresholds)
    lengths = np.array([len(x) for x in sets], np.int64)
    bits = kernels.set_bits(np.concatenate(sets), lengths, DOC_WORDS)
    a, b = (x.reshape(-1) for x in np.triu_indices(len(sets), 1))
    maybe = may_cover(rule, lengths[a], bits[a], lengths[b], bits[b])
    for i, j, kept in zip(a.tolist(), b.tolist(), maybe.tolist(), strict=True):
        shared = len(np.intersect1d(sets[i], sets[j]))
        na, nb = len(sets[i]), len(sets[j])
        assert kept or not (rule.covered(na, nb, shared) or rule.covered(nb, na, shared))


def test_band_rows_hold_every_band_key_and_owner_in_table_order(news: list[Document]) -> None:
    """archive._band_rows of SaudiNewsNet's paragraph band keys: one row a
    paragraph and band, sorted by band, key, then owner (as SQLite stores
    them), where news repeats a paragraph's keys in several rows."""
    f = featurize_batch([d.text for d in news[:300]], Config())
    owners = np.arange(100, 100 + len(f.para_bands))
    signed = f.para_bands.view(np.int64)
    expected = sorted(
        (b, k, o) for o, row in zip(owners.tolist(), signed.tolist(), strict=True)
        for b, k in enumerate(row)
    )  # fmt: skip
    assert len(expected) > len({(b, k) for b, k, _ in expected})  # keys shared by owners
    assert _band_rows(f.para_bands, owners).tolist() == [list(r) for r in expected]


def test_rows_inserted_as_one_json_text_are_those_executemany_inserts(
    news: list[Document],
) -> None:
    """archive._insert of SaudiNewsNet's paragraph band rows, the ends of
    SQLite's 64-bit integers and an upsert's counts: the table holds what
    sqlite3's executemany of the same rows leaves, in the same order."""
    f = featurize_batch([d.text for d in news[:100]], Config())
    rows = _band_rows(f.para_bands, np.arange(len(f.para_bands)))
    ends = np.array([[-(2**63), 2**63 - 1, 0], [-1, 1, 2**32]], np.int64)
    db = sqlite3.connect(":memory:")
    for name in ("ours", "theirs"):
        db.execute(f"CREATE TABLE {name} (band, key, owner)")
        db.execute(f"CREATE TABLE {name}_counts (key INTEGER PRIMARY KEY, docs INTEGER)")
    upsert = "ON CONFLICT (key) DO UPDATE SET docs = docs + excluded.docs"
    counts = np.column_stack((rows[:50, 1], np.arange(50)))
    for part in (rows, ends):
        _insert(db, "ours", part)
        db.executemany("INSERT INTO theirs VALUES (?, ?, ?)", part.tolist())
    for part in (counts, counts[::2]):
        _insert(db, "ours_counts", part, upsert)
        db.executemany(f"INSERT INTO theirs_counts VALUES (?, ?) {upsert}", part.tolist())
    for table in ("{}", "{}_counts"):
        ours, theirs = (
            db.execute(f"SELECT *, typeof(key) FROM {table.format(name)} ORDER BY rowid").fetchall()
            for name in ("ours", "theirs")
        )
        assert ours == theirs and len(ours) >= 50
    assert db.execute("SELECT max(docs) FROM ours_counts").fetchone()[0] == 2 * 48
