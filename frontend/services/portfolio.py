"""Risk Overview figures, aggregated in SQL over the current snapshot."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.frontend.services.catalogue import (
    ACTIONS,
    LOSS_GIVEN_DEFAULT,
    SUCCESS_OUTCOMES,
)
from pde.frontend.services.snapshot import (
    Snapshot,
    current_scores,
    latest_snapshot,
    previous_scores,
)
from pde.frontend.services.tables import CUST, IV, OUT, RS

log = logging.getLogger(__name__)

SEGMENT_DIMENSIONS = {
    "product": "Product",
    "region": "Region",
    "income_bracket": "Income bracket",
    "employment_type": "Employment",
}
HISTOGRAM_BINS = 20
DRIVER_SAMPLE = 5000
TREND_DAYS = 30


@dataclass(frozen=True)
class Segment:
    dimension: str
    value: str

    def clause(self) -> sa.ColumnElement[bool]:
        if self.dimension not in SEGMENT_DIMENSIONS:
            raise ValueError(f"unknown segment dimension {self.dimension!r}")
        return CUST.c[self.dimension] == self.value


@dataclass(frozen=True)
class Kpis:
    customers: int
    scored: int
    high_risk: int
    critical: int
    mean_risk: float
    total_exposure: float
    expected_loss: float
    prevented_defaults: int
    cost_saved: float
    success_rate: float | None


@dataclass
class Overview:
    snapshot: Snapshot | None
    kpis: Kpis
    histogram: list[tuple[int, str, int]] = field(default_factory=list)  # (bin, tier, n)
    trend: list[tuple[date, float, int]] = field(default_factory=list)  # (as_of, mean, high)
    drivers: list[tuple[str, int]] = field(default_factory=list)
    rising: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)


def _cost_case() -> sa.Case[Any]:
    return sa.case(
        *((IV.c.type == kind.value, spec.cost) for kind, spec in ACTIONS.items()), else_=0.0
    )


def intervention_value(session: Session, segment: Segment | None = None) -> tuple[int, float, int]:
    """(prevented defaults, cost saved, interventions with an outcome) over all time."""
    success = (
        sa.select(OUT.c.intervention_id)
        .where(OUT.c.outcome.in_(SUCCESS_OUTCOMES))
        .distinct()
        .subquery("ok")
    )
    any_outcome = sa.select(OUT.c.intervention_id).distinct().subquery("any_outcome")
    base = sa.select(
        sa.func.count(success.c.intervention_id),
        sa.func.coalesce(
            sa.func.sum(
                sa.case(
                    (
                        success.c.intervention_id.is_not(None),
                        CUST.c.outstanding_balance * LOSS_GIVEN_DEFAULT,
                    ),
                    else_=0,
                )
            ),
            0,
        ),
        sa.func.coalesce(sa.func.sum(_cost_case()), 0),
        sa.func.count(any_outcome.c.intervention_id),
    ).select_from(
        IV.join(CUST, CUST.c.customer_id == IV.c.customer_id)
        .join(success, success.c.intervention_id == IV.c.id, isouter=True)
        .join(any_outcome, any_outcome.c.intervention_id == IV.c.id, isouter=True)
    )
    base = base.where(IV.c.status == "completed")
    if segment is not None:
        base = base.where(segment.clause())
    prevented, avoided, cost, with_outcome = session.execute(base).one()
    return int(prevented), float(avoided) - float(cost), int(with_outcome)


def kpis(session: Session, snapshot: Snapshot | None, segment: Segment | None) -> Kpis:
    customers_q = sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(CUST.c.outstanding_balance), 0)
    )
    if segment is not None:
        customers_q = customers_q.where(segment.clause())
    customers, exposure = session.execute(customers_q).one()
    scored = high = critical = 0
    mean = loss = 0.0
    if snapshot is not None:
        cur = current_scores(snapshot)
        query = sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((cur.c.tier.in_(("high", "critical")), 1), else_=0)),
            sa.func.sum(sa.case((cur.c.tier == "critical", 1), else_=0)),
            sa.func.avg(cur.c.probability),
            sa.func.sum(cur.c.probability * CUST.c.outstanding_balance),
        ).select_from(cur.join(CUST, CUST.c.customer_id == cur.c.customer_id))
        if segment is not None:
            query = query.where(segment.clause())
        row = session.execute(query).one()
        scored, high, critical = int(row[0]), int(row[1] or 0), int(row[2] or 0)
        mean, loss = float(row[3] or 0.0), float(row[4] or 0.0) * LOSS_GIVEN_DEFAULT
    prevented, saved, with_outcome = intervention_value(session, segment)
    return Kpis(
        customers=int(customers),
        scored=scored,
        high_risk=high,
        critical=critical,
        mean_risk=mean,
        total_exposure=float(exposure),
        expected_loss=loss,
        prevented_defaults=prevented,
        cost_saved=saved,
        success_rate=prevented / with_outcome if with_outcome else None,
    )


def histogram(
    session: Session, snapshot: Snapshot, segment: Segment | None
) -> list[tuple[int, str, int]]:
    cur = current_scores(snapshot)
    bucket: sa.ColumnElement[Any] = sa.func.min(
        sa.cast(cur.c.probability * HISTOGRAM_BINS, sa.Integer), HISTOGRAM_BINS - 1
    )
    if session.get_bind().dialect.name == "postgresql":
        bucket = sa.func.least(
            sa.cast(sa.func.floor(cur.c.probability * HISTOGRAM_BINS), sa.Integer),
            HISTOGRAM_BINS - 1,
        )
    query = sa.select(bucket.label("bin"), cur.c.tier, sa.func.count()).group_by(bucket, cur.c.tier)
    if segment is not None:  # the customers table is joined only when a segment filters
        query = query.select_from(cur.join(CUST, CUST.c.customer_id == cur.c.customer_id)).where(
            segment.clause()
        )
    return [(int(b), str(t), int(n)) for b, t, n in session.execute(query)]


def trend(
    session: Session, snapshot: Snapshot, segment: Segment | None
) -> list[tuple[date, float, int]]:
    since = snapshot.as_of - timedelta(days=TREND_DAYS)
    query = (
        sa.select(
            RS.c.as_of,
            sa.func.avg(RS.c.probability),
            sa.func.sum(sa.case((RS.c.tier.in_(("high", "critical")), 1), else_=0)),
        )
        .where(RS.c.model_version == snapshot.model_version, RS.c.as_of >= since)
        .group_by(RS.c.as_of)
        .order_by(RS.c.as_of)
    )
    if segment is not None:
        query = query.join(CUST, CUST.c.customer_id == RS.c.customer_id).where(segment.clause())
    return [(d, float(m), int(h or 0)) for d, m, h in session.execute(query)]


def reason_name(reason: Any) -> str | None:
    if isinstance(reason, dict):
        name = reason.get("feature") or reason.get("name")
        return str(name) if name else None
    return str(reason) if reason else None


def drivers(
    session: Session, snapshot: Snapshot, segment: Segment | None, *, top: int = 10
) -> list[tuple[str, int]]:
    """Most frequent reason codes among the riskiest customers (a bounded sample)."""
    cur = current_scores(snapshot)
    query = (
        sa.select(cur.c.top_reasons)
        .where(cur.c.tier.in_(("high", "critical")))
        .order_by(cur.c.probability.desc())
        .limit(DRIVER_SAMPLE)
    )
    if segment is not None:
        query = query.select_from(cur.join(CUST, CUST.c.customer_id == cur.c.customer_id)).where(
            segment.clause()
        )
    counts: Counter[str] = Counter()
    for (reasons,) in session.execute(query):
        for reason in reasons or []:
            name = reason_name(reason)
            if name:
                counts[name] += 1
    return counts.most_common(top)


def rising(
    session: Session, snapshot: Snapshot, segment: Segment | None, *, top: int = 10
) -> list[dict[str, Any]]:
    cur, prev = current_scores(snapshot), previous_scores(snapshot)
    if prev is None:
        return []
    delta = (cur.c.probability - prev.c.prev_probability).label("delta")
    source = cur.join(prev, prev.c.customer_id == cur.c.customer_id)
    if segment is not None:
        source = source.join(CUST, CUST.c.customer_id == cur.c.customer_id)
    query = (
        sa.select(cur.c.customer_id, cur.c.probability, cur.c.tier, delta)
        .select_from(source)
        .where(delta > 0)
        .order_by(delta.desc())
        .limit(top)
    )
    if segment is not None:
        query = query.where(segment.clause())
    found = [dict(row._mapping) for row in session.execute(query)]
    products = dict(
        session.execute(
            sa.select(CUST.c.customer_id, CUST.c.product).where(
                CUST.c.customer_id.in_([r["customer_id"] for r in found])
            )
        ).all()
    )
    for row in found:
        row["product"] = products.get(row["customer_id"], "")
    return found


def segments(session: Session, snapshot: Snapshot, dimension: str) -> list[dict[str, Any]]:
    if dimension not in SEGMENT_DIMENSIONS:
        raise ValueError(f"unknown segment dimension {dimension!r}")
    cur = current_scores(snapshot)
    column = CUST.c[dimension]
    query = (
        sa.select(
            column.label("segment"),
            sa.func.count().label("customers"),
            sa.func.avg(cur.c.probability).label("mean_risk"),
            sa.func.sum(sa.case((cur.c.tier.in_(("high", "critical")), 1), else_=0)).label(
                "high_risk"
            ),
        )
        .select_from(cur.join(CUST, CUST.c.customer_id == cur.c.customer_id))
        .group_by(column)
        .order_by(sa.func.avg(cur.c.probability).desc())
    )
    return [dict(row._mapping) for row in session.execute(query)]


Cache = Callable[[Any, Callable[[], Any]], Any]


def _no_cache(key: Any, compute: Callable[[], Any]) -> Any:
    return compute()


def overview(
    session: Session, segment: Segment | None, dimension: str, *, cache: Cache = _no_cache
) -> Overview:
    """Everything the page shows. Figures that change only when new scores land go through
    `cache` (keyed by the snapshot); the KPIs, which actions change, are always fresh."""
    snapshot = latest_snapshot(session)
    result = Overview(snapshot=snapshot, kpis=kpis(session, snapshot, segment))
    if snapshot is None:
        return result
    key = (snapshot, segment)
    result.histogram = cache(("histogram", key), lambda: histogram(session, snapshot, segment))
    result.trend = cache(("trend", key), lambda: trend(session, snapshot, segment))
    result.drivers = cache(("drivers", key), lambda: drivers(session, snapshot, segment))
    result.rising = cache(("rising", key), lambda: rising(session, snapshot, segment))
    result.segments = cache(
        ("segments", snapshot, dimension), lambda: segments(session, snapshot, dimension)
    )
    return result


# Figures that change only when a scoring run lands (the cache key holds the snapshot).
CACHE_S = 600.0


def cached_overview(services: Any, segment: Segment | None, dimension: str) -> Overview:
    """`overview` through the app's cache (see `Services.cached`)."""
    with services.session() as session:
        return overview(
            session,
            segment,
            dimension,
            cache=lambda key, compute: services.cached(key, compute, ttl=CACHE_S),
        )


def warm(services: Any) -> None:
    """Fills the cache for the unfiltered page, so the first visitor does not wait for it."""
    try:
        cached_overview(services, None, "product")
    except Exception as exc:  # a warm-up failure only means a slower first visit
        log.warning("overview warm-up failed: %s", exc)
