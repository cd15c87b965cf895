"""A synthetic crawl made of real SaudiNewsNet text, as big as wanted.

    python -m benchmarks.synth OUT.jsonl --documents 1000000 [--seed 0]

Each document is 3-8 paragraphs, each spliced from the first half of one
random SaudiNewsNet paragraph and the second half of another, a few words
dropped or replaced, so documents are new (a finite pool of whole paragraphs
would repeat at scale) but their language and vocabulary are real. One in ten documents re-publishes
an earlier synthetic document (a lead-in line added or its tail cut), and
one in twenty repeats one of its own paragraphs, so there is something to
find at every scale. About 3 KB per document: 1M documents is about 3 GB.
Written as it is generated (bounded memory), deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from benchmarks.corpora import SAUDINEWSNET, saudinewsnet

LEAD_INS = ["الرياض - واس:", "جدة - متابعات", "الدمام - خاص"]
FILLERS = ["كذلك", "أيضاً", "حالياً", "رسمياً", "اليوم"]


def paragraph_pool() -> list[str]:
    pool = [p.strip() for d in saudinewsnet() for p in d.text.split("\n")]
    return [p for p in pool if len(p.split()) >= 8]


def splice(pool: list[str], rng: random.Random) -> str:
    head, tail = rng.choice(pool).split(), rng.choice(pool).split()
    return " ".join(head[: len(head) // 2] + tail[len(tail) // 2 :])


def perturb(paragraph: str, rng: random.Random) -> str:
    words = paragraph.split()
    for _ in range(max(1, len(words) // 25)):
        i = rng.randrange(len(words))
        if rng.random() < 0.5:
            del words[i]
        else:
            words[i] = rng.choice(FILLERS)
    return " ".join(words)


def generate(path: Path, documents: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = paragraph_pool()
    recent: list[str] = []  # a window of earlier documents to re-publish from
    with path.open("w", encoding="utf-8") as fh:
        for n in range(documents):
            if recent and rng.random() < 0.1:
                paras = rng.choice(recent).split("\n")
                if rng.random() < 0.5:
                    text = rng.choice(LEAD_INS) + "\n" + "\n".join(paras)
                else:
                    text = "\n".join(paras[: max(2, len(paras) - 2)])
            else:
                paras = [perturb(splice(pool, rng), rng) for _ in range(rng.randint(3, 8))]
                if rng.random() < 0.05:
                    paras.append(rng.choice(paras))
                text = "\n".join(paras)
            recent.append(text)
            if len(recent) > 5000:
                recent.pop(rng.randrange(len(recent)))
            fh.write(json.dumps({"id": f"synth-{n:08d}", "text": text}, ensure_ascii=False))
            fh.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not SAUDINEWSNET.exists():
        sys.exit(f"skipped: {SAUDINEWSNET} not found (see ../shared/data/README.md)")
    generate(args.out, args.documents, args.seed)


if __name__ == "__main__":
    main()
