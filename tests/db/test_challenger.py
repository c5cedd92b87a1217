"""The shadow challenger's stored scores on each backend: replaced per date and challenger,
paired with the champion's scores and the matured outcomes of the same customers, and the
comparison computed from them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from pde.db import challenger, monitoring, scores

DATES = (date(2026, 10, 1), date(2026, 10, 8))
N = 300


@pytest.fixture
def shadowed(db, add_customer):
    rng = np.random.default_rng(3)
    ids = [f"C{i:05d}" for i in range(N)]
    with db.scope() as s:
        for cid in ids:
            add_customer(s, cid)
    truth = {}
    for when in DATES:
        p = rng.uniform(0.01, 0.9, N)
        truth[when] = p
        rows = [
            scores.ScoreRow(cid, when, float(v), "medium", bool(v > 0.7), "v1")
            for cid, v in zip(ids, p, strict=True)
        ]
        scores.write_scores(
            rows=iter(rows), run_id=f"run-{when}", as_of=when, model_version="v1", engine=db.engine
        )
        shadow = np.clip(p + rng.normal(0, 0.1, N), 0, 1)
        for _ in range(2):  # stored twice: replaced, not doubled
            with db.scope() as s:
                challenger.replace_scores(
                    session=s,
                    as_of=when,
                    challenger_version="v2",
                    champion_version="v1",
                    customer_ids=ids,
                    probability=shadow.tolist(),
                    threshold_alert=(shadow > 0.5).tolist(),
                    alert=(shadow > 0.7).tolist(),
                )
        truth[(when, "v2")] = shadow
    labels = (rng.random(N) < truth[DATES[0]]).astype(int)
    with db.scope() as s:
        monitoring.record_outcomes(
            session=s, as_of=DATES[0], labels=dict(zip(ids, labels, strict=True))
        )
    return db, truth, labels


def test_challenger_scores_pair_with_the_champions(shadowed) -> None:
    db, truth, labels = shadowed
    with db.scope() as s:
        assert challenger.shadow_pairs(s) == [("v2", "v1")]
        found = challenger.paired_scores(s, challenger="v2", champion="v1")
        latest = challenger.paired_scores(s, challenger="v2", champion="v1", as_of=DATES[1])
    assert found.as_of.shape[0] == 2 * N and latest.as_of.shape[0] == N
    np.testing.assert_allclose(found.champion[:N], truth[DATES[0]])
    np.testing.assert_allclose(found.challenger[N:], truth[(DATES[1], "v2")])
    assert (found.label[:N] == labels).all() and (found.label[N:] == -1).all()
    assert (latest.challenger_alert == (truth[(DATES[1], "v2")] > 0.7)).all()
    assert (latest.champion_alert == (truth[DATES[1]] > 0.7)).all()


def test_challenger_comparison_from_the_stored_scores(shadowed) -> None:
    from sklearn.metrics import roc_auc_score

    from pde.contracts.reference import Bins
    from pde.jobs.drift import binned_psi
    from pde.jobs.shadow import shadow_comparison

    db, truth, labels = shadowed
    found = shadow_comparison(engine=db.engine)
    assert found is not None
    assert found.dates == list(DATES) and found.customers == N
    new, old = truth[(DATES[1], "v2")] > 0.7, truth[DATES[1]] > 0.7
    assert found.alerts == (int(new.sum()), int(old.sum()))
    assert found.alerts_both == int((new & old).sum())
    assert found.matured_rows == N
    assert found.matured_auc == (
        pytest.approx(roc_auc_score(labels, truth[(DATES[0], "v2")])),
        pytest.approx(roc_auc_score(labels, truth[DATES[0]])),
    )
    psi = binned_psi(Bins.of(truth[DATES[1]]), truth[(DATES[1], "v2")])[0]
    assert found.score_psi == pytest.approx(psi)
    assert shadow_comparison(engine=db.engine, champion="v9") is None
