"""Risk Overview: distribution, trend, drivers, rising risk and segments, aggregated in SQL over
the current snapshot, with the KPIs (see `portfolio_kpis`). The figures that change only
when scores land are cached (`Services.cached`: shared by the app's processes with Redis)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.names import ALERT_TIERS
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.cache import Compute, no_cache
from pde.frontend.services.portfolio_kpis import (
    SEGMENT_DIMENSIONS,
    Kpis,
    Segment,
    kpis,
    score_figures,
)
from pde.frontend.services.snapshot import (
    Snapshot,
    current_scores,
    latest_snapshot,
    previous_scores,
)
from pde.frontend.services.tables import ASSIGNMENTS, CUSTOMERS, RISK_SCORES

log = logging.getLogger(__name__)

HISTOGRAM_BINS = 20
DRIVER_SAMPLE = 5000
TREND_DAYS = 30


@dataclass(frozen=True)
class RisingCustomer:
    customer_id: str
    probability: float
    tier: str
    delta: float  # rise in probability since the previous score date
    product: str


@dataclass(frozen=True)
class SegmentRisk:
    segment: str
    customers: int
    mean_risk: float
    high_risk: int  # customers in the alert tiers


@dataclass(frozen=True)
class Overview:
    snapshot: Snapshot | None
    kpis: Kpis
    histogram: tuple[tuple[int, str, int], ...] = ()  # (bin, tier, customers)
    trend: tuple[tuple[date, float, int], ...] = ()  # (as_of, mean risk, alert-tier customers)
    drivers: tuple[tuple[str, int], ...] = ()  # (feature, high-risk customers citing it)
    rising: tuple[RisingCustomer, ...] = ()
    segments: tuple[SegmentRisk, ...] = ()


def histogram(
    session: Session, snapshot: Snapshot, segment: Segment | None
) -> tuple[tuple[int, str, int], ...]:
    current = current_scores(snapshot)
    bucket: sa.ColumnElement[Any] = sa.func.min(
        sa.cast(current.c.probability * HISTOGRAM_BINS, sa.Integer), HISTOGRAM_BINS - 1
    )
    if session.get_bind().dialect.name == "postgresql":
        bucket = sa.func.least(
            sa.cast(sa.func.floor(current.c.probability * HISTOGRAM_BINS), sa.Integer),
            HISTOGRAM_BINS - 1,
        )
    query = sa.select(bucket.label("bin"), current.c.tier, sa.func.count()).group_by(
        bucket, current.c.tier
    )
    if segment is not None:  # the customers table is joined only when a segment filters
        query = query.select_from(
            current.join(CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id)
        ).where(segment.clause())
    return tuple((int(b), str(t), int(n)) for b, t, n in session.execute(query))


def trend(
    session: Session, snapshot: Snapshot, segment: Segment | None
) -> tuple[tuple[date, float, int], ...]:
    since = snapshot.as_of - timedelta(days=TREND_DAYS)
    query = (
        sa.select(
            RISK_SCORES.c.as_of,
            sa.func.avg(RISK_SCORES.c.probability),
            sa.func.sum(sa.case((RISK_SCORES.c.tier.in_(ALERT_TIERS), 1), else_=0)),
        )
        .where(RISK_SCORES.c.model_version == snapshot.model_version, RISK_SCORES.c.as_of >= since)
        .group_by(RISK_SCORES.c.as_of)
        .order_by(RISK_SCORES.c.as_of)
    )
    if segment is not None:
        query = query.join(CUSTOMERS, CUSTOMERS.c.customer_id == RISK_SCORES.c.customer_id).where(
            segment.clause()
        )
    return tuple((d, float(m), int(h or 0)) for d, m, h in session.execute(query))


def _reason_name(reason: Any) -> str | None:
    if isinstance(reason, dict):
        name = reason.get("feature") or reason.get("name")
        return str(name) if name else None
    return str(reason) if reason else None


def drivers(
    session: Session, snapshot: Snapshot, segment: Segment | None, *, top: int = 10
) -> tuple[tuple[str, int], ...]:
    """Most frequent reason codes among the riskiest customers (a bounded sample)."""
    current = current_scores(snapshot)
    query = (
        sa.select(current.c.top_reasons)
        .where(current.c.tier.in_(ALERT_TIERS))
        .order_by(current.c.probability.desc())
        .limit(DRIVER_SAMPLE)
    )
    if segment is not None:
        query = query.select_from(
            current.join(CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id)
        ).where(segment.clause())
    counts: Counter[str] = Counter()
    for (reasons,) in session.execute(query):
        for reason in reasons or []:
            name = _reason_name(reason)
            if name:
                counts[name] += 1
    return tuple(counts.most_common(top))


def rising(
    session: Session,
    snapshot: Snapshot,
    segment: Segment | None,
    *,
    top: int = 10,
    officer: str | None = None,
) -> tuple[RisingCustomer, ...]:
    """The customers whose risk rose most since the previous scoring date (only `officer`'s
    customers, when given)."""
    current, previous = current_scores(snapshot), previous_scores(snapshot)
    if previous is None:
        return ()
    delta = (current.c.probability - previous.c.prev_probability).label("delta")
    source = current.join(previous, previous.c.customer_id == current.c.customer_id).join(
        CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id
    )
    query = (
        sa.select(
            current.c.customer_id, current.c.probability, current.c.tier, delta, CUSTOMERS.c.product
        )
        .select_from(source)
        .where(delta > 0)
        .order_by(delta.desc())
        .limit(top)
    )
    if segment is not None:
        query = query.where(segment.clause())
    if officer is not None:
        query = query.join(
            ASSIGNMENTS,
            (ASSIGNMENTS.c.customer_id == current.c.customer_id) & ASSIGNMENTS.c.ended_at.is_(None),
        ).where(ASSIGNMENTS.c.officer == officer)
    return tuple(
        RisingCustomer(str(c), float(p), str(t), float(d), str(product))
        for c, p, t, d, product in session.execute(query)
    )


def segments(session: Session, snapshot: Snapshot, dimension: str) -> tuple[SegmentRisk, ...]:
    if dimension not in SEGMENT_DIMENSIONS:
        raise ValueError(f"unknown segment dimension {dimension!r}")
    current = current_scores(snapshot)
    column = CUSTOMERS.c[dimension]
    query = (
        sa.select(
            column,
            sa.func.count(),
            sa.func.avg(current.c.probability),
            sa.func.sum(sa.case((current.c.tier.in_(ALERT_TIERS), 1), else_=0)),
        )
        .select_from(current.join(CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id))
        .group_by(column)
        .order_by(sa.func.avg(current.c.probability).desc())
    )
    return tuple(
        SegmentRisk(str(value), int(n), float(mean or 0.0), int(high or 0))
        for value, n, mean, high in session.execute(query)
    )


def read_overview(
    session: Session,
    segment: Segment | None,
    dimension: str,
    *,
    cache: Compute = no_cache,
    officer: str | None = None,
) -> Overview:
    """Everything the page shows. Figures that change only when new scores land go through
    `cache` (keyed by the snapshot); the value of interventions, which actions change, is fresh. The
    portfolio figures are aggregates; the rising-risk list names customers, so an officer's
    shows only theirs."""
    snapshot = latest_snapshot(session)
    key = (snapshot, segment)
    scores = cache(("score-kpis", key), lambda: score_figures(session, snapshot, segment))
    figures = kpis(session, snapshot, segment, figures=scores)
    if snapshot is None:
        return Overview(snapshot=None, kpis=figures)
    return Overview(
        snapshot=snapshot,
        kpis=figures,
        histogram=cache(("histogram", key), lambda: histogram(session, snapshot, segment)),
        trend=cache(("trend", key), lambda: trend(session, snapshot, segment)),
        drivers=cache(("drivers", key), lambda: drivers(session, snapshot, segment)),
        rising=cache(
            ("rising", key, officer), lambda: rising(session, snapshot, segment, officer=officer)
        ),
        segments=cache(
            ("segments", snapshot, dimension), lambda: segments(session, snapshot, dimension)
        ),
    )


# Figures that change only when a scoring run lands (the cache key holds the snapshot).
CACHE_S = 600.0


def overview(
    services: Services, user: access.SignedIn | None, segment: Segment | None, dimension: str
) -> Overview:
    """The page's figures for the user (None: the unfiltered page, for the warm-up), through
    the app's cache (see `Services.cached`)."""
    with services.session() as session:
        return read_overview(
            session,
            segment,
            dimension,
            cache=lambda key, compute: services.cached(key, compute, ttl=CACHE_S),
            officer=None if user is None else access.officer_scope(user),
        )


def warm(services: Services) -> None:
    """Fills the cache for the unfiltered page, so the first visitor does not wait for it."""
    try:
        overview(services, None, None, "product")
    except Exception as exc:  # a warm-up failure only means a slower first visit
        log.warning("overview warm-up failed: %s", exc)
