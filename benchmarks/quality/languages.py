"""Known duplicates injected into real text in five languages, and how many
``dedup scan`` finds.

    python -m benchmarks.quality.languages [--seed 0] [--cases 50]

The text is what this machine has in these languages (benchmarks/corpora.py):
the translations of the system's messages (gettext catalogs) into Chinese,
Japanese, Thai and Russian, and their English originals. A paragraph is
consecutive messages joined to about a news paragraph's length
(``MIN_TOKENS``); six paragraphs make a document.

Kinds of injection, each into its own documents, chosen among those in which
the unmodified text has no finding (so every reported character outside an
injection is a real false positive):

- doubled block: two consecutive paragraphs repeated at the document's end;
- copied paragraph: a paragraph of an earlier document, with one word
  replaced (for Chinese, Japanese and Thai, two letters: a short word),
  inserted into another;
- common phrase: the same short phrase opening a paragraph in many
  documents. It must NOT be reported: the score is the characters of the
  spans that touch it (0 is right).

Then whether French and Greek accents should be folded (``accents``).

Spans are scored on characters as in benchmarks/quality/injection.py.
"""

from __future__ import annotations

import argparse
import random
import unicodedata

import regex

from benchmarks.corpora import LOCALE, messages
from benchmarks.quality.injection import Truth, span_scores
from dedup import Document, scan
from dedup.text import tokenize

# A phrase each language opens many sentences with, in its own script.
PHRASES = {
    "zh": "请注意：",
    "ja": "注意してください：",
    "th": "โปรดทราบ: ",
    "ru": "Обратите внимание: ",
    "en": "Please note: ",
}
UNSPACED = ("zh", "ja", "th")
KINDS = ("doubled block", "copied paragraph")


# A paragraph's least length, in tokens: messages are short, so consecutive
# ones are joined until a paragraph is about as long as a news paragraph, 25
# words; in letter pairs (Chinese, Japanese and Thai tokens), 40 for Chinese
# and Japanese (1.6 letters a word) and 60 for Thai. Counted in characters,
# a paragraph of command lines ("git stash list [<选项>]") was 14 tokens.
MIN_TOKENS = {"zh": 40, "ja": 40, "th": 60, "ru": 25, "en": 25}


LOCALES = {"zh": "zh_CN", "ja": "ja", "th": "th", "ru": "ru", "en": "en"}


def paragraphs(lang: str) -> list[str]:
    seen: set[str] = set()
    out, joined = [], ""
    for message in messages(LOCALES[lang]):  # distinct messages, joined until long enough
        line = " ".join(message.split())
        if len(line) < 8 or line in seen or "%" in line:  # format strings are alike
            continue
        seen.add(line)
        joined = f"{joined} {line}" if joined else line
        if len(tokenize(joined)) >= MIN_TOKENS[lang]:
            out.append(joined)
            joined = ""
    return out


def edit(paragraph: str, other: str, lang: str, rng: random.Random) -> str:
    """``paragraph`` with one word replaced by one of ``other``'s: in
    Chinese, Japanese and Thai, two letters of the script by two of
    ``other``'s (a short word), where the middle half of the paragraph has
    such letters; not two letters inside a Latin name ("pstatus" ->
    "pstat定时" is two words edited, not one)."""
    if lang in UNSPACED:
        mine = _letter_pairs(paragraph, len(paragraph) // 4, 3 * len(paragraph) // 4)
        theirs = _letter_pairs(other, 0, len(other))
        if mine and theirs:
            i, j = rng.choice(mine), rng.choice(theirs)
            return paragraph[:i] + other[j : j + 2] + paragraph[i + 2 :]
    words, others = paragraph.split(" "), other.split(" ")
    words[rng.randrange(len(words) // 4, 3 * len(words) // 4 + 1)] = rng.choice(others)
    return " ".join(words)


_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}[\p{Thai}&&\p{L}]]{2}", regex.V1)


def _letter_pairs(text: str, lo: int, hi: int) -> list[int]:
    """Where two letters of a script written without spaces begin, in ``[lo, hi)``."""
    return [m.start() for m in _SCRIPT.finditer(text, lo, hi, overlapped=True)]


def build(
    lang: str, cases: int, seed: int
) -> tuple[list[Document], list[Truth], list[tuple[str, int, int]]]:
    rng = random.Random(f"{lang}{seed}")
    paras = paragraphs(lang)
    docs = {f"{lang}/{i:04d}": paras[i * 6 : i * 6 + 6] for i in range(len(paras) // 6)}
    order = list(docs)
    base = scan([Document(d, "\n".join(docs[d])) for d in order])
    touched = {s.doc for s in base.spans} | {m for c in base.clusters for m in c.members}
    clean = [i for i in range(1, len(order)) if order[i] not in touched]
    # Each kind its own hosts; where there are too few (apt's Thai messages
    # repeat phrases of their own), a third of them each.
    cases = min(cases, len(clean) // 3)
    picks = rng.sample(clean, 3 * cases)
    texts = {d: "\n".join(p) for d, p in docs.items()}
    truth: list[Truth] = []
    for i in picks[:cases]:
        doc = order[i]
        k = rng.randrange(len(docs[doc]) - 1)
        block = "\n".join(docs[doc][k : k + 2])
        texts[doc] = texts[doc] + "\n" + block
        truth.append(
            Truth("doubled block", doc, len(texts[doc]) - len(block), len(texts[doc]), doc)
        )
    for i in picks[cases : 2 * cases]:
        doc = order[i]
        sources = [order[j] for j in range(i) if order[j] not in touched]
        candidates = [(s, p) for s in sources for p in docs[s]]
        if not candidates:
            continue
        source, paragraph = rng.choice(candidates)
        copy = edit(paragraph, rng.choice(paras), lang, rng)
        before = texts[doc] + "\n"
        texts[doc] = before + copy
        truth.append(
            Truth("copied paragraph", doc, len(before), len(texts[doc]), source, paragraph)
        )
    phrase_at: list[tuple[str, int, int]] = []
    for i in picks[2 * cases : 3 * cases]:
        doc = order[i]
        k = rng.randrange(len(docs[doc]))
        lines = texts[doc].split("\n")
        start = sum(len(line) + 1 for line in lines[:k])
        lines[k] = PHRASES[lang] + lines[k]
        texts[doc] = "\n".join(lines)
        phrase_at.append((doc, start, start + len(PHRASES[lang])))
    return [Document(d, texts[d]) for d in order], truth, phrase_at


def accents(lang: str, sample: int = 500) -> tuple[int, int, int, int, int]:
    """Whether to fold a script's accents, measured: of ``sample`` paragraphs
    of 15+ words with accents, how many reach the paragraph threshold against
    their copy with every accent stripped (as scrapes often write), with the
    accents folded (normalization 4) and kept (NFKC and casefold only); then
    the distinct words, and the folded keys that join two or more spellings
    (the cost: à and a become one word)."""
    from collections import defaultdict

    from dedup.config import Config
    from dedup.text import normalize_token

    def strip(text: str) -> str:
        nfd = unicodedata.normalize("NFD", text)
        return unicodedata.normalize("NFC", "".join(c for c in nfd if not unicodedata.combining(c)))

    def shingles(text: str, fold: bool) -> set[tuple[str, ...]]:
        words = [
            normalize_token(w) if fold else unicodedata.normalize("NFKC", w).casefold()
            for w in tokenize(text).words
        ]
        k = Config.shingle_size
        return {tuple(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}

    found = messages(lang)
    accented = [m for m in (" ".join(m.split()) for m in found) if len(m.split()) >= 15]
    accented = [m for m in accented if strip(m) != m]
    picked = random.Random(0).sample(accented, min(sample, len(accented)))
    reach = [0, 0]
    for m in picked:
        for i, fold in enumerate((True, False)):
            a, b = shingles(m, fold), shingles(strip(m), fold)
            reach[i] += len(a & b) / len(a | b) >= Config.paragraph_threshold
    spellings: dict[str, set[str]] = defaultdict(set)
    for m in found:
        for w in tokenize(m).words:
            spellings[normalize_token(w)].add(unicodedata.normalize("NFKC", w).casefold())
    words = sum(len(v) for v in spellings.values())
    joined = sum(len(v) > 1 for v in spellings.values())
    return reach[0], reach[1], len(picked), words, joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=50, help="of each kind, each language")
    args = parser.parse_args()
    for locale in LOCALES.values():
        if locale != "en" and not (LOCALE / locale).exists():
            print(f"languages skipped: {LOCALE / locale} not found (the system's translations)")
            return
    print(f"languages benchmark, seed {args.seed}, dedup scan default settings")
    print(
        f"{'language':<9}{'documents':>10}{'injection':>18}{'cases':>7}"
        f"{'char precision':>16}{'char recall':>13}"
    )
    for lang in PHRASES:
        docs, truth, phrase_at = build(lang, args.cases, args.seed)
        result = scan(docs)
        for kind, (prec, rec, n) in span_scores(result, truth, docs, KINDS).items():
            print(f"{lang:<9}{len(docs):>10,}{kind:>18}{n:>7}{prec:>16.3f}{rec:>13.3f}")
        touching = sum(
            s.end - s.start
            for doc, a, b in phrase_at
            for s in result.spans
            if s.doc == doc and s.start < b and a < s.end
        )
        print(
            f"{lang:<9}{len(docs):>10,}{'common phrase':>18}{len(phrase_at):>7}"
            f"   characters of spans touching it: {touching}"
        )
    print("\naccents, measured: accent-stripped copies of paragraphs with accents that reach")
    print("the paragraph threshold, with accents folded (as now) and kept; the cost of folding")
    for lang in ("fr", "el"):
        if not (LOCALE / lang).exists():
            print(f"{lang}: skipped, {LOCALE / lang} not found")
            continue
        folded, kept, n, words, joined = accents(lang)
        print(
            f"{lang}: folded {folded}/{n}, kept {kept}/{n}; of {words:,} spellings, "
            f"{joined:,} folded keys join two or more"
        )


if __name__ == "__main__":
    main()
