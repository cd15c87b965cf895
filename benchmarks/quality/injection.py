"""Known duplicates injected into real SaudiNewsNet text, and how many ``dedup scan`` finds.

    python -m benchmarks.quality.injection [--articles 3000] [--seed 0]

Kinds of injection (each into its own articles, chosen at random among those
in which the unmodified corpus has no duplicate):

- doubled block: 2-4 consecutive paragraphs repeated later in the article;
- copied paragraph: a paragraph of an earlier article inserted into another,
  respelled the way another outlet would (hamza-less alef, ه for ة, ي for ى,
  harakat and tatweel added, other quotes and commas) and with 1-2 word
  edits;
- republished: an article appended again at the end of the corpus with a
  lead-in line added or its last paragraphs cut;
- boilerplate: one footer line appended to many articles.

Span kinds are scored on characters: recall is the share of injected copy
characters covered by a reported span that names the right original
document; precision is the share of characters of the spans overlapping an
injected copy that lie inside it. Republished articles are scored as
document pairs: recall of (original, copy) in one cluster, precision of the
copy's cluster pairs, counting a pair with an article that the unmodified
corpus already clustered with the original as correct.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from itertools import combinations

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet
from dedup import Document, ScanResult, scan
from dedup.text import normalize_token, tokenize

FOOTER = "تابعونا على تويتر وفيسبوك للحصول على آخر الأخبار أولاً بأول"
LEAD_INS = ["الرياض - واس:", "جدة - متابعات", "(المصدر: وكالة الأنباء السعودية)"]
N_BLOCK, N_COPY, N_REPUBLISH, N_BOILER = 150, 150, 150, 60


@dataclass
class Truth:
    kind: str
    doc: str
    start: int
    end: int
    orig_doc: str
    orig_text: str = ""


def _words(text: str) -> set[str]:
    return {normalize_token(w) for w in tokenize(text).words}


def names_original(t: Truth, doc: str, original: str) -> bool:
    """The right original: the source article, or an earlier article holding
    the same paragraph (SaudiNewsNet has natural copies; the first one wins)."""
    if t.kind == "boilerplate" or doc == t.orig_doc:
        return True
    want = _words(t.orig_text)
    return len(want & _words(original)) >= 0.8 * len(want)


def respell(text: str, rng: random.Random) -> str:
    """Another outlet's spelling of the same paragraph, plus 1-2 word edits."""
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < 0.3:
            w = w.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
        if w.endswith("ة") and rng.random() < 0.4:
            w = w[:-1] + "ه"
        if w.endswith("ى") and rng.random() < 0.5:
            w = w[:-1] + "ي"
        if len(w) > 3 and rng.random() < 0.08:
            w = w[:2] + "ـــ" + w[2:]  # tatweel
        if len(w) > 2 and rng.random() < 0.08:
            w = w[:-1] + "\u064b" + w[-1]  # tanween fath
        out.append(w)
    for _ in range(rng.choice([1, 2])):  # word edits: drop one, or replace one
        i = rng.randrange(len(out))
        if rng.random() < 0.5:
            del out[i]
        else:
            out[i] = rng.choice(["كذلك", "أيضاً", "حالياً", "رسمياً"])
    return " ".join(out).replace("«", '"').replace("»", '"').replace("،", ",")


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def build(
    n: int, seed: int, base_result: ScanResult
) -> tuple[list[Document], list[Truth], list[tuple[str, str]]]:
    """The first ``n`` articles with 5+ paragraphs, injected into.

    Injections go into articles the unmodified corpus (``base_result``) shows
    no duplicate in: there the ground truth is complete, so every reported
    character outside an injection is a real false positive.
    """
    rng = random.Random(seed)
    base = [d for d in saudinewsnet(n) if len(paragraphs(d.text)) >= 5]
    docs = {d.id: d.text for d in base}
    order = [d.id for d in base]
    touched = (
        {s.doc for s in base_result.spans}
        | {m for c in base_result.clusters for m in c.members}
        | {d for p in base_result.related for d in (p.a, p.b)}
    )
    clean = [i for i in range(1, len(order)) if order[i] not in touched]
    picks = rng.sample(clean, N_BLOCK + N_COPY + N_BOILER)
    truth: list[Truth] = []
    for i in picks[:N_BLOCK]:
        doc = order[i]
        paras = paragraphs(docs[doc])
        k = rng.randint(2, min(4, len(paras) - 1))
        first = rng.randrange(len(paras) - k + 1)
        block = "\n".join(paras[first : first + k])
        text = "\n".join(paras) + "\n" + block
        docs[doc] = text
        truth.append(Truth("doubled block", doc, len(text) - len(block), len(text), doc))
    for i in picks[N_BLOCK : N_BLOCK + N_COPY]:
        doc = order[i]
        source = order[rng.randrange(i)]  # an earlier article
        candidates = [p for p in paragraphs(docs[source]) if len(p.split()) >= 25]
        if not candidates:
            continue
        source_paragraph = rng.choice(candidates)
        copy = respell(source_paragraph, rng)
        paras = paragraphs(docs[doc])
        at = rng.randint(1, len(paras))
        before = "\n".join(paras[:at]) + "\n"
        docs[doc] = before + copy + "\n" + "\n".join(paras[at:])
        truth.append(
            Truth(
                "copied paragraph",
                doc,
                len(before),
                len(before) + len(copy),
                source,
                source_paragraph,
            )
        )
    for i in picks[N_BLOCK + N_COPY :]:
        doc = order[i]
        docs[doc] = docs[doc].rstrip() + "\n" + FOOTER
        truth.append(Truth("boilerplate", doc, len(docs[doc]) - len(FOOTER), len(docs[doc]), ""))
    republished: list[tuple[str, str]] = []
    for i in rng.sample(range(len(order)), N_REPUBLISH):
        orig = order[i]
        paras = paragraphs(docs[orig])
        if rng.random() < 0.5:
            text = rng.choice(LEAD_INS) + "\n" + "\n".join(paras)
        else:
            text = "\n".join(paras[: max(3, int(len(paras) * 0.8))])
        copy_id = f"republished/{orig}"
        docs[copy_id] = text
        order.append(copy_id)
        republished.append((orig, copy_id))
    return [Document(d, docs[d]) for d in order], truth, republished


def span_scores(
    result: ScanResult,
    truth: list[Truth],
    docs: list[Document],
    kinds: tuple[str, ...] = ("doubled block", "copied paragraph", "boilerplate"),
) -> dict[str, tuple[float, float, int]]:
    text = {d.id: d.text for d in docs}
    by_doc: dict[str, list] = {}
    for s in result.spans:
        by_doc.setdefault(s.doc, []).append(s)
    footers = [t.doc for t in truth if t.kind == "boilerplate"]
    first_footer = min(footers, key=[d.id for d in result.documents].index) if footers else None
    out = {}
    for kind in kinds:
        cases = [
            t
            for t in truth
            if t.kind == kind and not (kind == "boilerplate" and t.doc == first_footer)
        ]
        covered = total = inside = reported = 0
        for t in cases:
            spans = [s for s in by_doc.get(t.doc, []) if s.start < t.end and t.start < s.end]
            right = [
                s
                for s in spans
                if names_original(
                    t,
                    s.duplicate_of.doc,
                    text[s.duplicate_of.doc][s.duplicate_of.start : s.duplicate_of.end],
                )
            ]
            marks = bytearray(t.end - t.start)
            for s in right:
                marks[max(s.start, t.start) - t.start : min(s.end, t.end) - t.start] = b"\x01" * (
                    min(s.end, t.end) - max(s.start, t.start)
                )
            covered += sum(marks)
            total += t.end - t.start
            for s in spans:
                reported += s.end - s.start
                inside += max(0, min(s.end, t.end) - max(s.start, t.start))
        out[kind] = (inside / reported if reported else 0.0, covered / total, len(cases))
    return out


def pair_scores(
    result: ScanResult, base: ScanResult, republished: list[tuple[str, str]]
) -> tuple[float, float, float]:
    cluster_of = {m: c.id for c in result.clusters for m in c.members}
    base_cluster = {m: c.id for c in base.clusters for m in c.members}
    found = sum(1 for o, c in republished if c in cluster_of and cluster_of.get(o) == cluster_of[c])
    recall = found / len(republished)
    orig_of = dict((c, o) for o, c in republished)
    good = bad = 0
    for cl in result.clusters:
        for a, b in combinations(cl.members, 2):
            copy = b if b in orig_of else a if a in orig_of else None
            if copy is None:
                continue
            # the other member is right when it is (a copy of) the original or
            # of an article the unmodified corpus clustered with the original
            orig, other = orig_of[copy], orig_of.get(a if copy == b else b, a if copy == b else b)
            same = other == orig or (
                orig in base_cluster and base_cluster.get(other) == base_cluster[orig]
            )
            good, bad = good + same, bad + (not same)
    precision = good / (good + bad) if good + bad else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    base = scan(list(saudinewsnet(args.articles)))
    docs, truth, republished = build(args.articles, args.seed, base)
    result = scan(docs)
    print(
        f"injection benchmark: {len(docs):,} documents from the first {args.articles:,} "
        f"SaudiNewsNet articles, seed {args.seed}, dedup scan default settings"
    )
    print(f"{'injection':<20}{'cases':>7}{'char precision':>16}{'char recall':>13}")
    for kind, (prec, rec, n) in span_scores(result, truth, docs).items():
        print(f"{kind:<20}{n:>7}{prec:>16.3f}{rec:>13.3f}")
    p, r, f = pair_scores(result, base, republished)
    print(
        f"{'republished':<20}{len(republished):>7}  pair precision {p:.3f}  recall {r:.3f}  "
        f"F1 {f:.3f}"
    )


if __name__ == "__main__":
    main()
