"""The portfolio scoring job: features for every customer -> ScoreStream -> `risk_scores`.

The run id is derived from the as-of date and the model version, so running the job again
for the same date and model resumes a crashed run, or adds nothing to a finished one.
Alerts follow the alert policy (pde.decision, `PDE_*` settings): the customers of highest
expected net benefit, within the team's weekly capacity and never below break-even, so each
date is scored in full before it is written. With a model that has uplift models the scores
come with each action's expected effect, and the net benefit of the best action is the learned
one; otherwise the prior's (`PDE_ACTION_EFFECT`). Each alert then gets a stored recommendation
(`pde.jobs.recommendations`). Reason codes are fetched for every alerted
customer in one `ExplainStream` call (SHAP on whole batches); the app explains any other
customer live.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy.engine import Engine

from pde.client.results import ModelInfo, RowScore
from pde.client.sync import RiskClient
from pde.contracts.bundle import AlertPolicy
from pde.contracts.data.io import load_dataset
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.core.settings import get_settings
from pde.db.customers import customer_records, upsert_customers
from pde.db.engine import session_scope
from pde.db.scores import DEFAULT_CHUNK_ROWS, JOB_ACTOR, ScoreRow, resume_point, write_scores
from pde.decision import (
    policy_from_settings,
)
from pde.jobs.date_decisions import policy_alerts, settle_date
from pde.jobs.drift import DriftSummary, record_date_drift
from pde.jobs.recommendations import DateRecommendations
from pde.training.features import CATALOGUE_VERSION, compute_features
from pde.training.features.labels import event_span

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortfolioResult:
    run_id: str
    as_of: date
    model_version: str
    customers: int
    rows_written: int
    alerts: int  # alerts among the rows written by this call
    # The policy on the whole date: share alerted, capacity used, precision/recall/lift
    # when outcomes are known (pde.decision.alert_figures), and its warnings.
    policy: dict[str, float | int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Drift of the whole date against the bundle's reference (None: no reference to use).
    drift: DriftSummary | None = None
    # The shadow challenger whose scores of the date were stored apart (None: no shadow).
    challenger: str | None = None
    # The recommender on the date's alerts (pde.jobs.recommendations).
    recommendations: DateRecommendations | None = None
    # Partitioned runs (pde.jobs.partitions): partitions found already written and skipped.
    partitions_skipped: int = 0


def run_id_for(as_of: date, model_version: str) -> str:
    return f"portfolio-{as_of.isoformat()}-{model_version}"


def score_rows(
    client: RiskClient,
    frame: pl.DataFrame,
    scored: list[RowScore],
    alerted: list[bool],
    *,
    feature_names: list[str],
    as_of: date,
    model_version: str,
    top_reasons: int,
    alerts: list[str],
) -> Iterator[ScoreRow]:
    """The rows of `frame` with their scores and the policy's alerts; the reasons of every
    alerted row come from one `ExplainStream` call (batched SHAP on the server)."""
    matrix = frame.select(feature_names).to_numpy()
    chosen = [index for index, alert in enumerate(alerted) if alert]
    alerts.extend(scored[index].row_id for index in chosen)
    explained: dict[str, list[dict[str, object]]] = {}
    if top_reasons > 0 and chosen:
        pairs = ((scored[index].row_id, matrix[index]) for index in chosen)
        for chunk in client.explain_batches(pairs, top_k=top_reasons, model_version=model_version):
            for row_id, row_reasons in zip(chunk.row_ids, chunk.reasons, strict=True):
                # a missing feature value is null: JSON has no NaN (PostgreSQL refuses it)
                explained[row_id] = [
                    {
                        "feature": reason.feature,
                        "value": reason.value if math.isfinite(reason.value) else None,
                        "text": reason.text,
                        "code": reason.code,
                        "contribution": reason.contribution,
                    }
                    for reason in row_reasons
                ]
    for index, row in enumerate(scored):
        reasons = explained.get(row.row_id, []) if alerted[index] else []
        yield ScoreRow(
            customer_id=row.row_id,
            as_of=as_of,
            probability=row.probability,
            tier=row.tier,
            alert=alerted[index],
            model_version=row.model_version,
            top_reasons=reasons,
            miss_within_7d=None if row.miss is None else row.miss.within_7d,
            miss_within_14d=None if row.miss is None else row.miss.within_14d,
            miss_within_30d=None if row.miss is None else row.miss.within_30d,
            expected_days_to_miss=None if row.miss is None else row.miss.expected_days,
        )


def check_model(client: RiskClient) -> ModelInfo:
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
    policy: AlertPolicy | None = None,
    on_start: Callable[[date, int], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
    model_dir: Path | None = None,
) -> list[PortfolioResult]:
    """Scores every customer of the canonical data at `as_of` (default: the day after the
    data's last event) and at the `weeks - 1` weekly dates before it, oldest first, into
    `risk_scores`; each date is its own resumable, idempotent run. Alerts follow `policy`
    (default: the `PDE_*` settings'). Each date's drift against the served bundle's
    reference distributions (under `model_dir`, default PDE_MODEL_DIR) is stored with it."""
    policy = policy or policy_from_settings(get_settings())
    model_dir = model_dir or get_settings().model_dir
    info = check_model(client)
    data = load_dataset(data_dir)
    latest = as_of or event_span(data)[1] + timedelta(days=1)
    dates = [latest - timedelta(weeks=k) for k in reversed(range(weeks))]
    with session_scope(engine=engine) as session:
        # the scores refer to customers: bring their profile and exposure up to date first
        upsert_customers(session=session, records=customer_records(data.customers), actor=JOB_ACTOR)
    everything = compute_features(data, dates, lookback_days=lookback_days)
    products = dict(zip(data.customers["customer_id"], data.customers["product"], strict=True))
    results = []
    for when in dates:
        features = everything.filter(pl.col("as_of") == when).sort("customer_id")
        total = features.height
        run_id = run_id_for(when, info.version)
        with session_scope(engine=engine) as session:
            after = resume_point(session, run_id)
        # the whole date is scored (again, after a crash) to rank it; only the rest is written
        scored = list(
            client.score_many(
                features,
                id_column="customer_id",
                model_version=info.version,
                effects=bool(info.actions),  # learned effects for the alert policy
            )
        )
        chosen, figures, warnings = policy_alerts(data, features, scored, policy)
        whole = (features, [row.probability for row in scored])  # drift looks at the whole date
        everyone = scored
        todo = (features["customer_id"] > after).to_numpy() if after is not None else None
        flags = chosen.alerted.tolist()
        if todo is not None:
            features = features.filter(pl.Series(todo))
            scored = [row for row, keep in zip(scored, todo, strict=True) if keep]
            flags = [flag for flag, keep in zip(flags, todo, strict=True) if keep]
            log.info("resuming %s after customer %s: %d left", run_id, after, features.height)
        if on_start is not None:
            on_start(when, features.height)
        alerts: list[str] = []
        # reason codes for the newest date only: the earlier ones are history for trends
        rows = score_rows(
            client,
            features,
            scored,
            flags,
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
        drift = record_date_drift(
            bundle_dir=model_dir / info.version,
            features=whole[0],
            probabilities=whole[1],
            as_of=when,
            model_version=info.version,
            engine=engine,
        )
        shadow, recommended = settle_date(
            client=client,
            info=info,
            features=whole[0],
            scored=everyone,
            alerted=chosen.alerted,
            products=products,
            as_of=when,
            policy=policy,
            engine=engine,
        )
        results.append(
            PortfolioResult(
                run_id=run_id,
                as_of=when,
                model_version=info.version,
                customers=total,
                rows_written=state.rows_written,
                alerts=len(alerts),
                policy=figures,
                warnings=warnings,
                drift=drift,
                challenger=shadow,
                recommendations=recommended,
            )
        )
    return results
