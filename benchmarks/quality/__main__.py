"""Every quality number of the project, with default settings, in one command.

    python -m benchmarks.quality

1. ExAraPlagDet dev: PAN scores per obfuscation type.
2. SaudiNewsNet: recall of the exact-duplicate groups (full corpus).
3. SaudiNewsNet: the judged sample (benchmarks/quality/judged).
4. SaudiNewsNet injection benchmark.
5. The injection benchmark in Chinese, Japanese, Thai, Russian and English.
Each part says it is skipped when its data is absent.
"""

from __future__ import annotations

import time

from benchmarks.corpora import EXARAPLAGDET, SAUDINEWSNET, saudinewsnet
from benchmarks.quality import exaraplagdet, injection, judged, languages
from benchmarks.quality.exact import exact_groups, pair_recall
from dedup import scan
from dedup.reports.json import to_dict


def main() -> None:
    if EXARAPLAGDET.exists():
        exaraplagdet.main()
    else:
        print(f"ExAraPlagDet skipped: {EXARAPLAGDET} not found")
    print()
    if SAUDINEWSNET.exists():
        start = time.perf_counter()
        docs = list(saudinewsnet())
        result = scan(docs)
        pairs, recall = pair_recall(exact_groups(docs), result.clusters)
        empty = {d.id for d in docs if not d.text.strip()}
        clustered_empty = sum(1 for c in result.clusters for m in c.members if m in empty)
        print(
            f"SaudiNewsNet ({len(docs):,} articles, {time.perf_counter() - start:.0f} s): "
            f"exact-duplicate pairs {pairs:,}, recall {recall:.4f}; "
            f"empty articles {len(empty)}, clustered {clustered_empty}"
        )
        print()
        report = to_dict(result)
        for path in (judged.SAMPLE, judged.CHANGES):
            judged.print_score(judged.score(report, path), path)
        print()
        injection.main()
    else:
        print(f"SaudiNewsNet skipped: {SAUDINEWSNET} not found")
    print()
    languages.main()


if __name__ == "__main__":
    main()
