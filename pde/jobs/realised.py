"""Realised and estimated performance per scoring date (`pde jobs run realised`).

For every stored scoring date: once its 30-day outcome window (and the grace period) has
closed in the payment data, the outcomes by the label rule are stored (`matured_outcomes`) and
the realised AUC, KS, calibration by tier and predicted against observed default rate of each
model that scored the date; before that, and beside it, the estimate from the calibrated
probabilities (CBPE). See docs/monitoring.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from pde.contracts.data.io import load_dataset
from pde.contracts.data.schema import GRACE_DAYS, LABEL_HORIZON_DAYS
from pde.db import monitoring
from pde.db.engine import session_scope
from pde.db.models import PerformanceByDate, PerformanceKind
from pde.jobs.performance import Figures, estimated, realised
from pde.training.features.labels import compute_labels, event_span

log = logging.getLogger(__name__)

MATURITY = timedelta(days=LABEL_HORIZON_DAYS + GRACE_DAYS)


@dataclass(frozen=True)
class DatePerformance:
    """What the job found for one scoring date of one model."""

    as_of: date
    model_version: str
    matured: bool
    realised: Figures | None
    estimated: Figures


def _row(as_of: date, version: str, kind: PerformanceKind, figures: Figures) -> PerformanceByDate:
    return PerformanceByDate(
        as_of=as_of,
        model_version=version,
        kind=kind,
        rows=figures.rows,
        labelled_rows=figures.labelled_rows,
        auc=figures.auc,
        auc_low=figures.auc_low,
        auc_high=figures.auc_high,
        ks=figures.ks,
        predicted_rate=figures.predicted_rate,
        predicted_rate_low=figures.predicted_rate_low,
        predicted_rate_high=figures.predicted_rate_high,
        observed_rate=figures.observed_rate,
        by_tier=figures.by_tier,
    )


def matured(as_of: date, data_end: date) -> bool:
    """True when the date's outcome window and grace period closed by the data's last event."""
    return as_of + MATURITY <= data_end


def record_outcomes(*, data_dir: Path, engine: Engine | None = None) -> dict[date, int]:
    """Stores the outcomes of the scored customers of every date that matured and has none
    stored yet; returns the rows stored per date."""
    with session_scope(engine=engine) as session:
        pairs = monitoring.scored_dates(session)
        known = monitoring.outcome_dates(session)
    scorer: dict[date, str] = {}
    for as_of, version in pairs:
        scorer.setdefault(as_of, version)  # any model that scored the date: same customers
    todo = [d for d in sorted(scorer) if d not in known]
    if not todo:
        return {}
    data = load_dataset(data_dir)
    end = event_span(data)[1]
    todo = [d for d in todo if matured(d, end)]
    labels = compute_labels(data, todo)
    stored: dict[date, int] = {}
    for as_of in todo:
        found = labels.filter(labels["as_of"] == as_of)
        with session_scope(engine=engine) as session:
            scored, _, _ = monitoring.scores_of(session, as_of=as_of, model_version=scorer[as_of])
            wanted = set(scored)
            outcome = {
                cid: int(label)
                for cid, label in zip(found["customer_id"], found["label"], strict=True)
                if cid in wanted
            }
            stored[as_of] = monitoring.record_outcomes(session=session, as_of=as_of, labels=outcome)
        log.info("outcomes of %s: %d customers", as_of, stored[as_of])
    return stored


def measure_performance(
    *, data_dir: Path, engine: Engine | None = None, seed: int = 0
) -> list[DatePerformance]:
    """Stores outcomes that matured, then the realised (matured dates) and estimated (every
    date) performance of every model on every scored date."""
    record_outcomes(data_dir=data_dir, engine=engine)
    return measure_stored(engine=engine, seed=seed)


def measure_stored(*, engine: Engine | None = None, seed: int = 0) -> list[DatePerformance]:
    """The realised (dates with stored outcomes) and estimated (every date) performance of
    every model on every scored date, from the stored scores and outcomes."""
    found = []
    with session_scope(engine=engine) as session:
        pairs = monitoring.scored_dates(session)
        with_outcomes = monitoring.outcome_dates(session)
    for as_of, version in pairs:
        with session_scope(engine=engine) as session:
            _, p, tiers = monitoring.scores_of(session, as_of=as_of, model_version=version)
            guess = estimated(p, tiers, seed=seed)
            monitoring.record_performance(
                session=session, row=_row(as_of, version, PerformanceKind.ESTIMATED, guess)
            )
            actual = None
            if as_of in with_outcomes:
                p_known, labels, known_tiers = monitoring.labelled_scores(
                    session, as_of=as_of, model_version=version
                )
                # rows: every customer scored that date; labelled_rows: those with an outcome
                actual = replace(realised(p_known, labels, known_tiers), rows=int(p.shape[0]))
                monitoring.record_performance(
                    session=session, row=_row(as_of, version, PerformanceKind.REALISED, actual)
                )
        found.append(DatePerformance(as_of, version, as_of in with_outcomes, actual, guess))
    return found
