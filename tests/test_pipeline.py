"""End-to-end behaviour of scan() on the seeds and on corpora built from them."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dedup import Config, Document, ScanResult, read_documents, scan
from dedup.heap import GLIBC
from dedup.text import normalize_token, tokenize
from tests.conftest import ROOT, SEEDS

S000, S001, S002, S003, S004 = (
    "000_612583348e3eef60.txt",
    "001_78ea9c6ae5c3d444.txt",
    "002_5fedb9670b56af32.txt",
    "003_3a1cb86beece7294.txt",
    "004_cfd70046b713ef0e.txt",
)


def keys(text: str) -> list[str]:
    return [normalize_token(w) for w in tokenize(text).words]


def test_001_doubled_block_is_one_within_span(
    seed_result: ScanResult, seed_texts: dict[str, str]
) -> None:
    text = seed_texts[S001]
    (span,) = [s for s in seed_result.spans if s.doc == S001]
    assert (span.kind, span.start, span.end) == ("within", 1835, 3390)
    assert span.end == len(text)
    assert text[span.start :].startswith("وكانت تركيا قد توصلت")
    orig = span.duplicate_of
    assert (orig.doc, orig.start, orig.end) == (S001, 266, 1834)
    assert text[orig.start :].startswith("وكانت تركيا قد توصلت") and text[orig.end] == "\n"
    # The copy is the original minus the short "اقــرأ أيضاً" line.
    original_lines = text[orig.start : orig.end].split("\n")
    assert "اقــرأ أيضاً" in original_lines
    original_lines.remove("اقــرأ أيضاً")
    assert text[span.start : span.end].split("\n") == original_lines
    assert 0.95 < span.similarity < 1.0


def test_004_second_headline_copies_the_first(
    seed_result: ScanResult, seed_texts: dict[str, str]
) -> None:
    text = seed_texts[S004]
    (span,) = [s for s in seed_result.spans if s.doc == S004]
    assert (span.kind, span.start, span.end) == ("within", 74, 131)
    assert (span.duplicate_of.doc, span.duplicate_of.start, span.duplicate_of.end) == (S004, 17, 72)
    assert "«تدابير عاجلة»" in text[74:131] and "«" not in text[17:72]
    assert keys(text[74:131]) == keys(text[17:72])
    assert span.similarity == 1.0


def test_seeds_have_no_clusters_and_no_other_within_spans(seed_result: ScanResult) -> None:
    assert seed_result.clusters == []
    assert {s.doc for s in seed_result.spans if s.kind == "within"} == {S001, S004}
    assert [d.id for d in seed_result.documents] == [S000, S001, S002, S003, S004]


def test_report_records_config(seed_result: ScanResult) -> None:
    cfg = seed_result.config
    assert cfg["normalization_version"] == "4"
    assert cfg["minhash_scheme"] == "datasketch-2 affine32"
    assert cfg["shingle_size"] == 5 and cfg["num_perm"] == 128
    assert cfg["lsh"]["document"]["bands"] * cfg["lsh"]["document"]["rows"] <= 128


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_paragraph_copied_across_documents_with_spelling_variants(
    seed_texts: dict[str, str],
) -> None:
    source = seed_texts[S000]
    para = _lines(source)[1]  # "وبحث الرئيس الروسي ..."
    # Another outlet's spelling: hamza-less alef, ه for ة, tatweel, «» dropped, kasra added.
    variant = (
        para.replace("أ", "ا")
        .replace("إ", "ا")
        .replace("ة", "ه")
        .replace("الرئيس", "الرئيـــس")
        .replace("«", "")
        .replace("»", "")
        .replace("بوتين", "بوتِين")
    )
    assert variant != para
    target = seed_texts[S003]
    cut = target.index("\n\n", 200) + 2
    copied = target[:cut] + variant + "\n\n" + target[cut:]
    result = scan([Document("src", source), Document("dst", copied)])
    (span,) = [s for s in result.spans if s.doc == "dst"]
    assert span.kind == "across"
    assert copied[span.start : span.end] == variant
    o = span.duplicate_of
    assert o.doc == "src" and source[o.start : o.end] == para
    assert span.similarity == 1.0  # every difference is normalized away
    assert result.clusters == []


def test_near_duplicate_paragraph_with_word_edits(seed_texts: dict[str, str]) -> None:
    para = max(_lines(seed_texts[S002]), key=len)
    words = para.split(" ")
    words[len(words) // 2] = "كلمة"  # one word replaced in the middle
    edited = " ".join(words)
    doc = "مقدمة قصيرة للخبر هنا\n" + edited + "\nخاتمة مختلفة تماما عن الأصل"
    result = scan([Document("a", seed_texts[S002]), Document("b", doc)])
    (span,) = [s for s in result.spans if s.doc == "b"]
    assert doc[span.start : span.end] == edited
    assert seed_texts[S002][span.duplicate_of.start : span.duplicate_of.end] == para
    assert 0.7 <= span.similarity < 1.0


def test_wire_copy_with_lead_in_is_a_contained_document(seed_texts: dict[str, str]) -> None:
    original = seed_texts[S002]
    republished = "الرياض - واس: نشرت الصحيفة اليوم التقرير التالي نقلا عن مصادرها\n" + original
    docs = [
        Document(S000, seed_texts[S000]),
        Document(S002, original),
        Document("copy", republished),
    ]
    result = scan(docs)
    (cluster,) = result.clusters
    assert cluster.members == [S002, "copy"] and cluster.representative == S002
    (pair,) = cluster.pairs
    assert pair.a_in_b == 1.0 and pair.jaccard > 0.9  # the original is all in the copy
    assert abs(pair.estimate - pair.jaccard) < 0.15
    longest = scan(docs, Config(representative="longest")).clusters[0]
    assert longest.representative == "copy"
    # every paragraph of the copy is an across span onto the original
    spans = [s for s in result.spans if s.doc == "copy"]
    assert len(spans) == 1 and spans[0].duplicate_of.doc == S002
    assert republished[spans[0].start : spans[0].end] == original.strip()


def test_exact_duplicate_documents_cluster_and_empty_ones_do_not(
    seed_texts: dict[str, str],
) -> None:
    docs = [Document(f"e{i}", "") for i in range(3)]
    docs += [Document(f"d{i}", seed_texts[S000]) for i in range(3)]
    docs += [Document("w", " \n «» \n")]
    result = scan(docs)
    (cluster,) = result.clusters
    assert cluster.members == ["d0", "d1", "d2"]
    assert all(p.jaccard == 1.0 and p.estimate == 1.0 for p in cluster.pairs)
    # each member against the kept first copy; the third pair is related evidence
    assert [(p.a, p.b) for p in cluster.pairs] == [("d0", "d1"), ("d0", "d2")]
    assert [(p.a, p.b) for p in result.related] == [("d1", "d2")]


def test_boilerplate_line_in_many_documents(seed_texts: dict[str, str]) -> None:
    footer = "اترك تعليقاً على هذا الخبر وشاركه مع أصدقائك"
    paras = [p for t in seed_texts.values() for p in _lines(t)][:30]
    docs = [
        Document(f"n{i}", "\n".join(paras[3 * i : 3 * i + 3]) + "\n" + footer) for i in range(10)
    ]
    result = scan(docs, Config(boilerplate_min_docs=10))
    spans = [s for s in result.spans if s.kind == "boilerplate"]
    assert [s.doc for s in spans] == [f"n{i}" for i in range(1, 10)]
    for s in spans:
        text = docs[int(s.doc[1:])].text
        assert text[s.start : s.end] == footer
        assert s.duplicate_of.doc == "n0"
        assert docs[0].text[s.duplicate_of.start : s.duplicate_of.end] == footer
    (b,) = result.boilerplate
    assert (b.documents, b.occurrences, b.preview) == (10, 10, footer)
    # below the document count it is an ordinary shared paragraph
    fewer = scan(docs, Config(boilerplate_min_docs=11))
    assert {s.kind for s in fewer.spans} == {"across"} and not fewer.boilerplate


def test_short_repeated_line_alone_is_not_reported() -> None:
    text = "اقرأ أيضا\nخبر أول عن الاقتصاد في المنطقة اليوم\nاقرأ أيضا\nخبر ثان مختلف عن الأول"
    assert scan([Document("x", text)]).spans == []
    assert scan([Document("x", text)], Config(min_paragraph_tokens=2)).spans != []


def test_repeated_paragraph_three_times_points_to_first() -> None:
    line = "هذه فقرة مكررة ثلاث مرات في نفس المقال"
    text = "\n".join([line, "فاصل اول بين الفقرات هنا", line, "فاصل ثان بين الفقرات هنا", line])
    spans = scan([Document("x", text)]).spans
    assert [(text[s.start : s.end], s.duplicate_of.start) for s in spans] == [(line, 0), (line, 0)]


def test_corpora_without_paragraphs() -> None:
    # No paragraph at all (empty and punctuation-only texts), or no document.
    result = scan([Document("a", ""), Document("b", "  \n!!\n")])
    assert [(d.id, d.chars, d.paragraphs) for d in result.documents] == [("a", 0, 0), ("b", 6, 0)]
    assert (result.spans, result.clusters, result.boilerplate) == ([], [], [])
    assert len(scan([]).documents) == 0


def test_verification_windows_check_each_pair_once_and_keep_every_pass() -> None:
    """Candidate bands gathered into windows of any size give the pairs a
    plain check of every distinct candidate gives, and a pair met in several
    bands of one window is checked once (a failed pair may be checked again
    in a later window: only passes are remembered)."""
    import numpy as np

    from dedup.engines import Engine
    from dedup.finders import Gathered, Stored, verify

    rng = np.random.default_rng(4)
    bands = [np.sort(rng.integers(0, 60, 40) << 32 | rng.integers(0, 60, 40)) for _ in range(9)]
    checked: list[int] = []
    sets = Stored(Path("nowhere"), Config(), "doc_sets")  # the checks here read no sets

    def even(item: tuple[Stored | Gathered, np.ndarray]) -> np.ndarray:
        given, pairs = item
        assert given is sets
        checked.extend(pairs.tolist())
        kept: np.ndarray = pairs[pairs % 2 == 0]
        return kept

    distinct = np.unique(np.concatenate(bands))
    for window in (1, 50, 10_000):
        checked.clear()
        assert verify(iter(bands), even, Engine(), sets, window).tolist() == [
            p for p in distinct.tolist() if p % 2 == 0
        ]
    assert sorted(checked) == distinct.tolist()  # one window: every distinct pair once

    def measured(item: tuple[Stored | Gathered, np.ndarray]) -> np.ndarray:
        kept = even(item)  # rows: the pair, then what was measured
        return np.stack((kept, kept % 7), axis=1)

    for window in (1, 50, 10_000):
        rows = verify(iter(bands), measured, Engine(), sets, window)
        assert rows.tolist() == [[p, p % 7] for p in distinct.tolist() if p % 2 == 0]


def test_a_scan_runs_the_collector_rarely_and_leaves_it_as_it_was() -> None:
    """Python's cyclic collector runs every 10,000 new objects during a scan
    (every 700, it walked a scan's spans again and again), and as the caller
    had it afterwards, even after an error."""
    before = gc.get_threshold()
    seen: list[int] = []
    try:
        gc.set_threshold(700, 7, 9)
        scan(read_documents(SEEDS), progress=lambda *_: seen.append(gc.get_threshold()[0]))
        assert seen and set(seen) == {10_000}
        assert gc.get_threshold() == (700, 7, 9)
        gc.set_threshold(50_000, 7, 9)  # rarer already: kept
        scan(read_documents(SEEDS), progress=lambda *_: seen.append(gc.get_threshold()[0]))
        assert seen[-1] == 50_000

        def fail(*_: object) -> None:
            raise RuntimeError("stopped")

        with pytest.raises(RuntimeError):
            scan(read_documents(SEEDS), progress=fail)
        assert gc.get_threshold() == (50_000, 7, 9)
    finally:
        gc.set_threshold(*before)


_FREED = """
import sys
import numpy as np
from dedup.cli import own_process
from dedup.heap import give_back

def resident() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096

own_process()
held = [np.ones(1 << 17) for _ in range(int(sys.argv[1]))]  # 1 MB each: on the heap
del held[:-1]  # the last stays: the heap's top is in use, so free() gives nothing back
before = resident()
give_back()
print(before - resident())
"""


@pytest.mark.skipif(not GLIBC, reason="not glibc: no malloc_trim to hand pages back with")
def test_a_stage_gives_back_the_memory_it_freed_only_where_it_is_much() -> None:
    """heap.give_back between stages: 200 MB freed go back to the
    system (they would count in later stages' memory); 40 MB stay, for the
    next stage to use without faulting them in again."""
    # (without malloc settings: importing dask.distributed sets one for its workers)
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES" and "MALLOC_" not in k}
    given = []
    for megabytes in (40, 200):
        done = subprocess.run(
            [sys.executable, "-c", _FREED, str(megabytes)], cwd=ROOT, env=env,
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        given.append(int(done.stdout.split()[-1]))
    assert given[0] < 8 << 20 and given[1] > 190 << 20, given
