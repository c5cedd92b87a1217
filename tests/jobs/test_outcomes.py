"""Intervention outcomes into a real database: loaded once, counted with one definition of
success, each action against the control group; the holdout's outcomes recorded once their
window has closed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlmodel import func, select

from pde.contracts.data.io import load_dataset
from pde.core.errors import PdeError
from pde.db.models import TreatmentOutcome
from pde.db.models.recommendation import Recommendation, RecommendationCreate
from pde.db.models.treatment import TreatmentOutcomeCreate
from pde.db.outcomes import add_outcomes, arm_counts
from pde.db.recommendations import save_recommendations
from pde.jobs import outcomes
from pde.training.features.labels import compute_labels, event_span, weekly_as_of_dates


def test_outcomes_load_once_and_count_per_arm(db, canonical_dir: Path) -> None:
    history = pl.read_parquet(canonical_dir / "interventions.parquet")
    read, added = outcomes.load_outcomes(data_dir=canonical_dir, engine=db.engine)
    assert read == added == history.height > 0
    assert outcomes.load_outcomes(data_dir=canonical_dir, engine=db.engine) == (read, 0)
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(TreatmentOutcome)).one() == read
        counts = {c.arm: c for c in arm_counts(session=s)}
    expected = history.group_by("action").agg(
        pl.len().alias("n"), (pl.col("outcome") == "cured").sum().alias("cured")
    )
    for row in expected.iter_rows(named=True):
        assert counts[row["action"]].assigned == row["n"]
        assert counts[row["action"]].cured == row["cured"]


def test_outcomes_effects_subtract_the_control_group(db, canonical_dir: Path) -> None:
    outcomes.load_outcomes(data_dir=canonical_dir, engine=db.engine)
    effects = outcomes.action_effects(exposure=10_000, loss_given_default=0.5, engine=db.engine)
    assert effects
    history = pl.read_parquet(canonical_dir / "interventions.parquet")
    control = history.filter(pl.col("action") == "none")
    control_rate = (control["outcome"] == "cured").mean()
    for effect in effects:
        assert effect.control_cure_rate == pytest.approx(control_rate)
        mine = history.filter(pl.col("action") == effect.action)
        treated_rate = (mine["outcome"] == "cured").mean()
        assert effect.cure_rate == pytest.approx(treated_rate)
        assert effect.roi.incremental_cures == pytest.approx(
            mine.height * (treated_rate - control_rate)  # type: ignore[operator]
        )


def test_outcomes_without_a_history_file_say_so(tmp_path: Path) -> None:
    with pytest.raises(PdeError, match="no interventions"):
        outcomes.read_outcomes(tmp_path)


def _hold_out(db, rows: list[tuple[str, date]]) -> None:
    with db.scope() as s:
        for customer, day in rows:
            save_recommendations(
                session=s,
                as_of=day,
                rows=[
                    RecommendationCreate(
                        customer_id=customer,
                        as_of=day,
                        model_version="m1",
                        action="soft_reminder",
                        effect_basis="prior",
                        why="held out as control",
                        held_out=True,
                    )
                ],
            )


def test_holdout_outcomes_recorded_once_when_the_window_has_closed(db, canonical_dir: Path) -> None:
    data = load_dataset(canonical_dir)
    closed_day = weekly_as_of_dates(data, min_history_days=0)[-1]
    labels = compute_labels(data, [closed_day])
    missed = labels.filter(pl.col("label") == 1)["customer_id"][0]
    met = labels.filter(pl.col("label") == 0)["customer_id"][0]
    nothing_due = next(
        c for c in data.customers["customer_id"] if c not in set(labels["customer_id"])
    )
    open_day = event_span(data)[1] - timedelta(days=10)
    _hold_out(db, [(missed, closed_day), (met, closed_day), (nothing_due, closed_day)])
    _hold_out(db, [(met, open_day)])
    with db.scope() as s:  # a contacted customer is no control
        s.add(
            Recommendation(
                customer_id=missed,
                as_of=closed_day - timedelta(days=7),
                model_version="m1",
                action="soft_reminder",
                effect_basis="prior",
                why="contacted",
                held_out=False,
            )
        )

    done = outcomes.record_holdout_outcomes(data_dir=canonical_dir, engine=db.engine)
    assert (done.closed, done.added, done.nothing_due, done.pending) == (3, 2, 1, 1)
    with db.scope() as s:
        rows = {r.customer_id: r for r in s.exec(select(TreatmentOutcome)).all()}
    assert set(rows) == {missed, met}
    assert rows[missed].outcome == "no_response" and rows[met].outcome == "cured"
    for customer, row in rows.items():
        assert row.assignment_id == f"holdout-{closed_day:%Y%m%d}-{customer}"
        assert (row.action, row.assignment, row.reached, row.cost) == ("none", "holdout", False, 0)
        assert row.assigned_on == closed_day

    again = outcomes.record_holdout_outcomes(data_dir=canonical_dir, engine=db.engine)
    assert (again.closed, again.added, again.nothing_due, again.pending) == (3, 0, 1, 1)
    with db.scope() as s:
        [control] = arm_counts(session=s)
        assert (control.arm, control.assigned, control.cured) == ("none", 2, 1)
        treated = rows[met].model_dump(exclude={"recorded_at"}) | {
            "assignment_id": "app-1",
            "action": "soft_reminder",
            "assignment": "policy",
        }
        add_outcomes(session=s, rows=[TreatmentOutcomeCreate(**treated)])
    [effect] = outcomes.action_effects(exposure=10_000, loss_given_default=0.5, engine=db.engine)
    assert (effect.action, effect.cure_rate, effect.control_cure_rate) == ("soft_reminder", 1, 0.5)


def test_holdout_assignment_ids_fit_the_column() -> None:
    long_id = "C" * 64
    ident = outcomes.holdout_assignment_id(date(2026, 1, 5), long_id)
    assert len(ident) <= 64 and ident.startswith("holdout-20260105-")
    assert ident == outcomes.holdout_assignment_id(date(2026, 1, 5), long_id)
    assert ident != outcomes.holdout_assignment_id(date(2026, 1, 5), "C" * 63 + "D")
