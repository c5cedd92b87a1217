"""Interventions: the work list with SLA status, and every action, through pde.db.workflow.

Each action runs in its own unit of work as the signed-in user; the workflow services check
the role, the transition, the cool-down and the version, and append the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db import customers as db_customers
from pde.db import workflow
from pde.db.models import (
    InterventionCreate,
    InterventionOutcomeCreate,
    InterventionType,
    OutcomeKind,
    Priority,
)
from pde.db.policy import DEFAULT_POLICY, OPEN_STATUSES, WorkflowPolicy
from pde.db.types import utc_now
from pde.frontend.services.catalogue import DUE_SOON_HOURS
from pde.frontend.services.tables import IV, OUT, USERS

OPEN = tuple(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True)
class Actor:
    username: str
    role: str

    @property
    def manages(self) -> bool:
        return self.role in ("supervisor", "admin")


def sla_state(due: datetime, *, now: datetime) -> str:
    if due < now:
        return "overdue"
    if due - now < timedelta(hours=DUE_SOON_HOURS):
        return "due soon"
    return "within SLA"


def _scope(query: sa.Select[Any], actor: Actor) -> sa.Select[Any]:
    if actor.manages:
        return query
    return query.where((IV.c.assigned_to == actor.username) | (IV.c.created_by == actor.username))


def sla_counts(session: Session, actor: Actor) -> dict[str, int]:
    now = utc_now()
    state = sa.case(
        (IV.c.sla_due_at < now, "overdue"),
        (IV.c.sla_due_at < now + timedelta(hours=DUE_SOON_HOURS), "due soon"),
        else_="within SLA",
    )
    query = _scope(
        sa.select(state, sa.func.count()).where(IV.c.status.in_(OPEN)).group_by(state), actor
    )
    counts = {"overdue": 0, "due soon": 0, "within SLA": 0}
    for name, n in session.execute(query):
        counts[str(name)] = int(n)
    return counts


def work_page(
    session: Session,
    actor: Actor,
    *,
    page: int,
    page_size: int,
    statuses: tuple[str, ...] = OPEN,
    customer_id: str | None = None,
    kind: str | None = None,
    sla: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of interventions (open ones by default), most urgent SLA first."""
    now = utc_now()
    query = _scope(sa.select(IV).where(IV.c.status.in_(statuses)), actor)
    if customer_id:
        query = query.where(IV.c.customer_id == customer_id)
    if kind:
        query = query.where(IV.c.type == kind)
    if sla == "overdue":
        query = query.where(IV.c.sla_due_at < now)
    elif sla == "due soon":
        query = query.where(
            IV.c.sla_due_at >= now, IV.c.sla_due_at < now + timedelta(hours=DUE_SOON_HOURS)
        )
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(IV.c.sla_due_at, IV.c.id).offset(page * page_size).limit(page_size)
    ).all()
    records = []
    for row in rows:
        record = dict(row._mapping)
        record["sla"] = (
            sla_state(record["sla_due_at"], now=now) if record["status"] in OPEN else "closed"
        )
        record["age_hours"] = (now - record["created_at"]).total_seconds() / 3600
        records.append(record)
    return records, int(total)


def outcomes_of(session: Session, intervention_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not intervention_ids:
        return found
    for row in session.execute(
        sa.select(OUT).where(OUT.c.intervention_id.in_(intervention_ids)).order_by(OUT.c.id)
    ):
        found.setdefault(row.intervention_id, []).append(dict(row._mapping))
    return found


def assignable_officers(session: Session) -> list[tuple[str, str]]:
    """(username, full name) of active officers and supervisors."""
    return [
        (str(u), str(n))
        for u, n in session.execute(
            sa.select(USERS.c.username, USERS.c.full_name)
            .where(USERS.c.is_active.is_(True), USERS.c.role.in_(("officer", "supervisor")))
            .order_by(USERS.c.username)
        )
    ]


def create(
    session: Session,
    actor: Actor,
    *,
    customer_id: str,
    kind: str,
    priority: str,
    reason: str | None,
    probability: float | None,
    model_version: str | None,
    policy: WorkflowPolicy = DEFAULT_POLICY,
) -> int:
    row = workflow.create_intervention(
        session=session,
        policy=policy,
        data=InterventionCreate(
            customer_id=customer_id,
            type=InterventionType(kind),
            priority=Priority(priority),
            reason=reason or None,
            risk_probability=probability,
            model_version=model_version,
        ),
        actor=actor.username,
    )
    assert row.id is not None
    return row.id


def act(
    session: Session,
    actor: Actor,
    *,
    action: str,
    intervention_id: int,
    version: int | None,
    officer: str | None = None,
    reason: str | None = None,
) -> str:
    """Runs one workflow transition; returns a one-line confirmation."""
    common: dict[str, Any] = {
        "session": session,
        "intervention_id": intervention_id,
        "actor": actor.username,
        "expected_version": version,
    }
    if action == "approve":
        workflow.approve(**common)
    elif action == "assign":
        if not officer:
            raise ValueError("choose an officer to assign")
        workflow.assign(officer=officer, **common)
    elif action == "start":
        workflow.start(**common)
    elif action == "complete":
        workflow.complete(**common)
    elif action == "cancel":
        workflow.cancel(reason=reason or "", **common)
    else:
        raise ValueError(f"unknown action {action!r}")
    return f"intervention {intervention_id}: {action} done"


def record_outcome(
    session: Session,
    actor: Actor,
    *,
    intervention_id: int,
    outcome: str,
    amount: float | None,
    note: str | None,
) -> int:
    row = workflow.record_outcome(
        session=session,
        intervention_id=intervention_id,
        data=InterventionOutcomeCreate(
            outcome=OutcomeKind(outcome),
            amount=Decimal(str(round(amount, 2))) if amount is not None else None,
            note=note or None,
        ),
        actor=actor.username,
    )
    assert row.id is not None
    return row.id


def assign_customer(session: Session, actor: Actor, *, customer_id: str, officer: str) -> None:
    db_customers.assign_customer(
        session=session, customer_id=customer_id, officer=officer, actor=actor.username
    )
