"""Real-time Monitor: newest score changes, the activity log and alerts (bounded queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db.policy import OPEN_STATUSES
from pde.db.types import utc_now
from pde.frontend.services.tables import AUDIT, IV, RS, RUNS

FEED_ROWS = 15


@dataclass
class MonitorFeed:
    changes: list[dict[str, Any]] = field(default_factory=list)
    activity: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    runs: list[dict[str, Any]] = field(default_factory=list)


def score_changes(session: Session, *, limit: int = FEED_ROWS) -> list[dict[str, Any]]:
    prev = RS.alias("prev")
    previous = (
        sa.select(prev.c.probability)
        .where(
            prev.c.customer_id == RS.c.customer_id,
            prev.c.model_version == RS.c.model_version,
            prev.c.as_of < RS.c.as_of,
        )
        .order_by(prev.c.as_of.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            RS.c.scored_at,
            RS.c.customer_id,
            RS.c.probability,
            RS.c.tier,
            RS.c.alert,
            previous.label("previous"),
        )
        .where(RS.c.as_of == sa.select(sa.func.max(RS.c.as_of)).scalar_subquery())
        .order_by(RS.c.scored_at.desc(), RS.c.customer_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def activity(session: Session, *, limit: int = FEED_ROWS) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(
            AUDIT.c.id,
            AUDIT.c.occurred_at,
            AUDIT.c.actor,
            AUDIT.c.action,
            AUDIT.c.entity_type,
            AUDIT.c.entity_id,
        )
        .order_by(AUDIT.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def alerts(session: Session) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    now = utc_now()
    overdue = session.execute(
        sa.select(sa.func.count()).where(
            IV.c.status.in_([s.value for s in OPEN_STATUSES]), IV.c.sla_due_at < now
        )
    ).scalar_one()
    if overdue:
        found.append(("danger", f"{overdue} open intervention(s) past their SLA"))
    failed = session.execute(
        sa.select(RUNS.c.run_id, RUNS.c.error)
        .where(RUNS.c.status == "failed")
        .order_by(RUNS.c.updated_at.desc())
        .limit(3)
    ).all()
    for run_id, error in failed:
        found.append(("warning", f"scoring run {run_id} failed: {(error or '')[:120]}"))
    latest = session.execute(sa.select(sa.func.max(RS.c.as_of))).scalar_one_or_none()
    if latest is not None:
        critical = session.execute(
            sa.select(sa.func.count()).where(RS.c.as_of == latest, RS.c.tier == "critical")
        ).scalar_one()
        if critical:
            found.append(("warning", f"{critical} customer(s) in the critical tier on {latest}"))
    return found


def runs(session: Session, *, limit: int = 5) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(
            RUNS.c.run_id,
            RUNS.c.status,
            RUNS.c.rows_written,
            RUNS.c.total_customers,
            RUNS.c.updated_at,
        )
        .order_by(RUNS.c.started_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def feed(session: Session) -> MonitorFeed:
    return MonitorFeed(
        changes=score_changes(session),
        activity=activity(session),
        alerts=alerts(session),
        runs=runs(session),
    )
