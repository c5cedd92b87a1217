"""Real-time Monitor: newest score changes, the activity log and alerts (bounded queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.names import RiskTier
from pde.db.models.enums import RunStatus
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import OPEN_STATUS_NAMES
from pde.frontend.services.snapshot import latest_snapshot
from pde.frontend.services.tables import (
    ASSIGNMENTS,
    AUDIT_LOG,
    INTERVENTIONS,
    RISK_SCORES,
    SCORING_RUNS,
)

FEED_ROWS = 15
CHANGES_TTL_S = 30.0
RUN_ROWS = 5
FAILED_RUNS_SHOWN = 3


@dataclass(frozen=True)
class ScoreChange:
    scored_at: datetime
    customer_id: str
    probability: float
    tier: str
    alert: bool
    previous: float | None  # the same model's probability at the date before; None if new


@dataclass(frozen=True)
class ActivityLine:
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str


@dataclass(frozen=True)
class Alert:
    level: str  # a Bootstrap colour: danger, warning
    text: str


@dataclass(frozen=True)
class RunLine:
    run_id: str
    status: str
    rows_written: int
    total_customers: int | None


@dataclass(frozen=True)
class MonitorFeed:
    changes: tuple[ScoreChange, ...]
    activity: tuple[ActivityLine, ...]
    alerts: tuple[Alert, ...]
    runs: tuple[RunLine, ...]


def feed(services: Services, user: access.SignedIn) -> MonitorFeed:
    """The live feed; an officer's names only their customers and their own actions."""
    officer = access.officer_scope(user)
    with services.session() as session:
        # The moves change only when a scoring run lands or ownership changes: remembered for
        # a short while per officer, runs and assignments, as every open Monitor refreshes.
        runs_seen = session.execute(
            sa.select(sa.func.max(SCORING_RUNS.c.updated_at), sa.func.count())
        ).one()
        owners_seen = session.execute(
            sa.select(sa.func.max(ASSIGNMENTS.c.assigned_at), sa.func.max(ASSIGNMENTS.c.ended_at))
        ).one()
        changes = services.cached(
            ("score_changes", officer, tuple(runs_seen), tuple(owners_seen)),
            lambda: score_changes(session, officer=officer),
            ttl=CHANGES_TTL_S,
        )
        return MonitorFeed(
            changes=changes,
            activity=activity(session, actor=officer),
            alerts=alerts(session),
            runs=runs(session),
        )


def score_changes(
    session: Session, *, limit: int = FEED_ROWS, officer: str | None = None
) -> tuple[ScoreChange, ...]:
    """The latest scores' largest moves: each customer against their own previous score by
    the same model (customers scored for the first time last), for `officer`'s customers
    when given."""
    snapshot = latest_snapshot(session)
    if snapshot is None:
        return ()
    scores = RISK_SCORES.c
    earlier = RISK_SCORES.alias("earlier_scores")
    previous = (
        sa.select(earlier.c.probability)
        .where(
            earlier.c.customer_id == scores.customer_id,
            earlier.c.model_version == snapshot.model_version,
            earlier.c.as_of < snapshot.as_of,
        )
        .order_by(earlier.c.as_of.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = sa.select(
        scores.scored_at,
        scores.customer_id,
        scores.probability,
        scores.tier,
        scores.alert,
        previous.label("previous"),
    ).where(scores.as_of == snapshot.as_of, scores.model_version == snapshot.model_version)
    if officer is not None:
        query = query.join(
            ASSIGNMENTS,
            (ASSIGNMENTS.c.customer_id == scores.customer_id) & ASSIGNMENTS.c.ended_at.is_(None),
        ).where(ASSIGNMENTS.c.officer == officer)
    moves = query.subquery("moves")
    move = sa.func.abs(moves.c.probability - moves.c.previous)
    rows = session.execute(
        sa.select(moves)
        .order_by(
            sa.case((moves.c.previous.is_(None), 1), else_=0),
            move.desc(),
            moves.c.customer_id,
        )
        .limit(limit)
    )
    return tuple(
        ScoreChange(at, str(c), float(p), str(t), bool(a), None if b is None else float(b))
        for at, c, p, t, a, b in rows
    )


def activity(
    session: Session, *, limit: int = FEED_ROWS, actor: str | None = None
) -> tuple[ActivityLine, ...]:
    log = AUDIT_LOG.c
    query = (
        sa.select(log.occurred_at, log.actor, log.action, log.entity_type, log.entity_id)
        .order_by(log.id.desc())
        .limit(limit)
    )
    if actor is not None:
        query = query.where(log.actor == actor)
    rows = session.execute(query)
    return tuple(ActivityLine(at, str(a), str(x), str(t), str(e)) for at, a, x, t, e in rows)


def alerts(session: Session) -> tuple[Alert, ...]:
    found: list[Alert] = []
    overdue = session.execute(
        sa.select(sa.func.count()).where(
            INTERVENTIONS.c.status.in_(OPEN_STATUS_NAMES), INTERVENTIONS.c.sla_due_at < utc_now()
        )
    ).scalar_one()
    if overdue:
        found.append(Alert("danger", f"{overdue} open intervention(s) past their SLA"))
    failed = session.execute(
        sa.select(SCORING_RUNS.c.run_id, SCORING_RUNS.c.error)
        .where(SCORING_RUNS.c.status == RunStatus.FAILED.value)
        .order_by(SCORING_RUNS.c.updated_at.desc())
        .limit(FAILED_RUNS_SHOWN)
    ).all()
    for run_id, error in failed:
        found.append(Alert("warning", f"scoring run {run_id} failed: {(error or '')[:120]}"))
    latest: date | None = session.execute(
        sa.select(sa.func.max(RISK_SCORES.c.as_of))
    ).scalar_one_or_none()
    if latest is not None:
        critical = session.execute(
            sa.select(sa.func.count()).where(
                RISK_SCORES.c.as_of == latest, RISK_SCORES.c.tier == RiskTier.CRITICAL.value
            )
        ).scalar_one()
        if critical:
            found.append(
                Alert("warning", f"{critical} customer(s) in the critical tier on {latest}")
            )
    return tuple(found)


def runs(session: Session, *, limit: int = RUN_ROWS) -> tuple[RunLine, ...]:
    run = SCORING_RUNS.c
    rows = session.execute(
        sa.select(run.run_id, run.status, run.rows_written, run.total_customers)
        .order_by(run.started_at.desc())
        .limit(limit)
    )
    return tuple(
        RunLine(str(i), str(s), int(w or 0), None if n is None else int(n)) for i, s, w, n in rows
    )
