"""The quality bars of the project, on real labelled data (default settings)."""

from __future__ import annotations

import pytest

from benchmarks.corpora import EXARAPLAGDET, SAUDINEWSNET
from tests.conftest import needs


def test_exaraplagdet_pan_scores() -> None:
    needs(EXARAPLAGDET)
    from benchmarks.quality.exaraplagdet import evaluate

    table, _ = evaluate()
    print(table)
    assert table["none"]["recall"] >= 0.95 and table["none"]["precision"] >= 0.95
    assert table["overall"]["plagdet"] >= 0.75
    assert table["overall"]["granularity"] <= 1.2
    assert table["word shuffling"]["plagdet"] >= 0.75


@pytest.mark.parametrize("seed", [0, 1])
def test_saudinewsnet_injections(seed: int) -> None:
    needs(SAUDINEWSNET)
    from benchmarks.corpora import saudinewsnet
    from benchmarks.quality.injection import build, pair_scores, span_scores
    from dedup import scan

    base = scan(list(saudinewsnet(3000)))
    docs, truth, republished = build(3000, seed, base)
    result = scan(docs)
    for kind, (precision, recall, n) in span_scores(result, truth, docs).items():
        assert n > 50, kind
        assert precision >= 0.95 and recall >= 0.95, (kind, precision, recall)
    _, _, f1 = pair_scores(result, base, republished)
    assert f1 >= 0.95
