"""The portfolio scoring job: features for every customer -> ScoreStream -> `risk_scores`.

The run id is derived from the as-of date and the model version, so running the job again
for the same date and model resumes a crashed run, or adds nothing to a finished one.
Reason codes are fetched with `Explain` for the critical alerts (the customers an officer
acts on first); the app explains any other customer live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy.engine import Engine

from pde.client.results import ModelInfo
from pde.client.sync import RiskClient
from pde.contracts.data.io import load_dataset
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS, RiskTier
from pde.db.customers import customer_records, upsert_customers
from pde.db.engine import session_scope
from pde.db.scores import DEFAULT_CHUNK_ROWS, JOB_ACTOR, ScoreRow, resume_point, write_scores
from pde.training.features import CATALOGUE_VERSION, compute_features
from pde.training.features.labels import event_span

log = logging.getLogger(__name__)

REASON_TIERS = (RiskTier.CRITICAL.value,)


@dataclass(frozen=True)
class PortfolioResult:
    run_id: str
    as_of: date
    model_version: str
    customers: int
    rows_written: int
    alerts: int


def run_id_for(as_of: date, model_version: str) -> str:
    return f"portfolio-{as_of.isoformat()}-{model_version}"


def _score_rows(
    client: RiskClient,
    frame: pl.DataFrame,
    *,
    feature_names: list[str],
    as_of: date,
    model_version: str,
    top_reasons: int,
    alerts: list[str],
) -> Iterator[ScoreRow]:
    """Scores `frame` through the stream; rows come back in input order."""
    matrix = frame.select(feature_names).to_numpy()
    scored = client.score_many(frame, id_column="customer_id", model_version=model_version)
    for index, row in enumerate(scored):
        reasons: list[dict[str, object]] = []
        if row.alert:
            alerts.append(row.row_id)
            if top_reasons > 0 and row.tier in REASON_TIERS:
                explanation = client.explain(
                    row.row_id, matrix[index], top_k=top_reasons, model_version=model_version
                )
                reasons = [asdict(reason) for reason in explanation.reasons]
        yield ScoreRow(
            customer_id=row.row_id,
            as_of=as_of,
            probability=row.probability,
            tier=row.tier,
            alert=row.alert,
            model_version=row.model_version,
            top_reasons=reasons,
        )


def _check_model(client: RiskClient) -> ModelInfo:
    info = client.model_info()
    if info.feature_catalogue_version is None:
        raise PdeError(
            f"the served model {info.version} was trained on a feature table, not on canonical "
            "data: it cannot score the portfolio's activity"
        )
    if info.feature_catalogue_version != CATALOGUE_VERSION:
        raise PdeError(
            f"the served model {info.version} uses features {info.feature_catalogue_version}, "
            f"this engine computes {CATALOGUE_VERSION}: retrain or serve a matching bundle"
        )
    return info


def score_portfolio(
    *,
    data_dir: Path,
    client: RiskClient,
    as_of: date | None = None,
    weeks: int = 1,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    top_reasons: int = 3,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    engine: Engine | None = None,
    on_start: Callable[[date, int], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> list[PortfolioResult]:
    """Scores every customer of the canonical data at `as_of` (default: the day after the
    data's last event) and at the `weeks - 1` weekly dates before it, oldest first, into
    `risk_scores`; each date is its own resumable, idempotent run."""
    info = _check_model(client)
    data = load_dataset(data_dir)
    latest = as_of or event_span(data)[1] + timedelta(days=1)
    dates = [latest - timedelta(weeks=k) for k in reversed(range(weeks))]
    with session_scope(engine=engine) as session:
        # the scores refer to customers: bring their profile and exposure up to date first
        upsert_customers(session=session, records=customer_records(data.customers), actor=JOB_ACTOR)
    everything = compute_features(data, dates, lookback_days=lookback_days)
    results = []
    for when in dates:
        features = everything.filter(pl.col("as_of") == when).sort("customer_id")
        total = features.height
        run_id = run_id_for(when, info.version)
        with session_scope(engine=engine) as session:
            after = resume_point(session, run_id)
        if after is not None:
            features = features.filter(pl.col("customer_id") > after)
            log.info("resuming %s after customer %s: %d left", run_id, after, features.height)
        if on_start is not None:
            on_start(when, features.height)
        alerts: list[str] = []
        # reason codes for the newest date only: the earlier ones are history for trends
        rows = _score_rows(
            client,
            features,
            feature_names=info.feature_names,
            as_of=when,
            model_version=info.version,
            top_reasons=top_reasons if when == latest else 0,
            alerts=alerts,
        )
        state = write_scores(
            rows=rows,
            run_id=run_id,
            as_of=when,
            model_version=info.version,
            engine=engine,
            total_customers=total,
            chunk_rows=chunk_rows,
            on_chunk=on_chunk,
        )
        results.append(
            PortfolioResult(
                run_id=run_id,
                as_of=when,
                model_version=info.version,
                customers=total,
                rows_written=state.rows_written,
                alerts=len(alerts),
            )
        )
    return results
