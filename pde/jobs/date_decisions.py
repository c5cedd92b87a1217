"""One scoring date's decisions, shared by the single-process portfolio job
(`pde.jobs.portfolio`) and the partitioned one (`pde.jobs.partitions`): the policy's alerts
on the whole date, its figures against the outcomes once known, and, once the date is written,
the shadow challenger's scores and the alerts' recommendations."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy.engine import Engine

from pde.client.results import ModelInfo, RowScore
from pde.client.sync import RiskClient
from pde.contracts.bundle import AlertPolicy
from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.schema import GRACE_DAYS, LABEL_HORIZON_DAYS
from pde.decision import AlertSet, alert_figures, exposures, policy_warnings, select_alerts
from pde.jobs.recommendations import DateRecommendations, learned_benefit, recommend_date
from pde.jobs.shadow import record_shadow_scores
from pde.training.features.labels import compute_labels, event_span

log = logging.getLogger(__name__)


def choose_alerts(
    features: pl.DataFrame,
    probabilities: list[float],
    policy: AlertPolicy,
    *,
    scored: list[RowScore] | None = None,
) -> AlertSet:
    """The policy's alerts on one date's scores (rows in `features` order), ranked by the
    learned net benefit of the best action when `scored` carries the served effects, by the
    prior's action effect otherwise."""
    source = policy.exposure_source
    column = features[source].to_numpy() if source in features.columns else None
    exposure = exposures(policy, column, len(probabilities))
    learned = learned_benefit(scored, exposure, policy) if scored is not None else None
    return select_alerts(probabilities, exposure, policy, capacity=policy.capacity, benefit=learned)


def date_labels(data: CanonicalData, features: pl.DataFrame, last_event: date) -> pl.Series | None:
    """The outcomes of one date's rows (in `features` order, null when unknown) once its label
    window has closed before `last_event`; None before."""
    when = features["as_of"][0] if features.height else None
    closed = timedelta(days=LABEL_HORIZON_DAYS + GRACE_DAYS)
    if when is None or when + closed > last_event:
        return None
    return features.select("customer_id").join(
        compute_labels(data, [when]), on="customer_id", how="left", maintain_order="left"
    )["label"]


def policy_outcome(
    chosen: AlertSet, labels: pl.Series | None, policy: AlertPolicy
) -> tuple[dict[str, float | int], list[str]]:
    """The figures of one date's alerts (with precision, recall and lift on the known
    outcomes) and the policy's warnings."""
    figures = alert_figures(chosen)
    known = labels.is_not_null().to_numpy() if labels is not None else None
    if labels is not None and known is not None and known.any():
        subset = AlertSet(
            chosen.alerted[known], chosen.eligible[known], chosen.capacity, chosen.benefit[known]
        )
        outcome = alert_figures(subset, labels.to_numpy()[known])
        keys = ("base_rate", "precision", "recall", "lift")
        figures.update({"labelled_rows": int(known.sum()), **{k: outcome[k] for k in keys}})
    warnings = policy_warnings(chosen, floor=policy.break_even())
    for warning in warnings:
        log.warning("alert policy: %s", warning)
    return figures, warnings


def policy_alerts(
    data: CanonicalData, features: pl.DataFrame, scored: list[RowScore], policy: AlertPolicy
) -> tuple[AlertSet, dict[str, float | int], list[str]]:
    """The policy on one date's scores, its figures (with outcomes once the date's label
    window has closed in the data) and its warnings."""
    chosen = choose_alerts(features, [row.probability for row in scored], policy, scored=scored)
    labels = date_labels(data, features, event_span(data)[1])
    return chosen, *policy_outcome(chosen, labels, policy)


def settle_date(
    *,
    client: RiskClient,
    info: ModelInfo,
    features: pl.DataFrame,
    scored: list[RowScore],
    alerted: npt.NDArray[np.bool_],
    products: dict[str, str],
    as_of: date,
    policy: AlertPolicy,
    engine: Engine | None = None,
) -> tuple[str | None, DateRecommendations]:
    """Once a whole date's scores are written (rows of `features`, `scored` and `alerted` in
    the same order): a challenger in the server's shadow has its scores of the date stored
    apart (its version, None without one), and the date's alerts get their recommendations.
    The single-process and the partitioned (pde.jobs.partitions) jobs both end a date here."""
    shadow = record_shadow_scores(
        features=features,
        scored=scored,
        as_of=as_of,
        champion_version=info.version,
        policy=policy,
        engine=engine,
    )
    recommended = recommend_date(
        client=client,
        info=info,
        features=features,
        scored=scored,
        alerted=alerted,
        products=products,
        as_of=as_of,
        policy=policy,
        engine=engine,
    )
    return shadow, recommended
