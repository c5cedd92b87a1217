"""Interventions as the signed-in user sees them: the work list with SLA status, SLA counts,
one intervention's detail with what the user may do next (changes: see `actions`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db import workflow
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import ACTIONS, DUE_SOON_HOURS, OPEN_STATUS_NAMES
from pde.frontend.services.customer import owner_of
from pde.frontend.services.tables import INTERVENTIONS, OUTCOMES, USERS

SLA_STATES = ("overdue", "due soon", "within SLA")


@dataclass(frozen=True)
class StaffMember:
    username: str
    full_name: str


@dataclass(frozen=True)
class SlaCounts:
    overdue: int
    due_soon: int
    within_sla: int


@dataclass(frozen=True)
class WorkRow:
    id: int
    customer_id: str
    type: str
    priority: str
    status: str
    created_by: str
    assigned_to: str | None
    sla_due_at: datetime
    sla: str  # overdue, due soon, within SLA, or closed
    age_hours: float


@dataclass(frozen=True)
class WorkPage:
    rows: tuple[WorkRow, ...]
    total: int


@dataclass(frozen=True)
class OutcomeLine:
    outcome: str
    recorded_by: str


@dataclass(frozen=True)
class InterventionDetail:
    """One intervention, and what the signed-in user may do with it now."""

    id: int
    version: int
    customer_id: str
    action_label: str
    status: str
    priority: str
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str | None
    assigned_to: str | None
    sla_due_at: datetime
    reason: str | None
    outcomes: tuple[OutcomeLine, ...]
    allowed_actions: frozenset[str]
    can_record_outcome: bool


def sla_state(due: datetime, *, now: datetime) -> str:
    if due < now:
        return "overdue"
    if due - now < timedelta(hours=DUE_SOON_HOURS):
        return "due soon"
    return "within SLA"


def in_scope(query: sa.Select[Any], user: access.SignedIn) -> sa.Select[Any]:
    """An officer sees the interventions they created or were given."""
    officer = access.officer_scope(user)
    if officer is None:
        return query
    work = INTERVENTIONS.c
    return query.where((work.assigned_to == officer) | (work.created_by == officer))


def assignable_officers(services: Services) -> list[StaffMember]:
    """Active users of the roles customers and interventions are given to."""
    with services.session() as session:
        rows = session.execute(
            sa.select(USERS.c.username, USERS.c.full_name)
            .where(
                USERS.c.is_active.is_(True),
                USERS.c.role.in_([r.value for r in access.ASSIGNABLE_ROLES]),
            )
            .order_by(USERS.c.username)
        )
        return [StaffMember(str(u), str(n)) for u, n in rows]


def sla_counts(services: Services, user: access.SignedIn) -> SlaCounts:
    """Open interventions the user sees, by SLA state."""
    now = utc_now()
    work = INTERVENTIONS.c
    state = sa.case(
        (work.sla_due_at < now, "overdue"),
        (work.sla_due_at < now + timedelta(hours=DUE_SOON_HOURS), "due soon"),
        else_="within SLA",
    )
    query = in_scope(
        sa.select(state, sa.func.count()).where(work.status.in_(OPEN_STATUS_NAMES)).group_by(state),
        user,
    )
    with services.session() as session:
        counts = {str(name): int(n) for name, n in session.execute(query)}
    return SlaCounts(
        overdue=counts.get("overdue", 0),
        due_soon=counts.get("due soon", 0),
        within_sla=counts.get("within SLA", 0),
    )


def work_page(
    services: Services,
    user: access.SignedIn,
    *,
    page: int,
    page_size: int,
    statuses: Sequence[str] = OPEN_STATUS_NAMES,
    kind: str | Sequence[str] | None = None,
) -> WorkPage:
    """One page of the interventions the user sees (open ones by default), most urgent SLA
    first."""
    now = utc_now()
    work = INTERVENTIONS.c
    query = in_scope(sa.select(INTERVENTIONS).where(work.status.in_(statuses)), user)
    if kind:  # one type, or several (the page's multi-select)
        query = query.where(work.type.in_([kind] if isinstance(kind, str) else kind))
    with services.session() as session:
        total = session.execute(
            sa.select(sa.func.count()).select_from(query.subquery())
        ).scalar_one()
        found = session.execute(
            query.order_by(work.sla_due_at, work.id).offset(page * page_size).limit(page_size)
        ).all()
    rows = tuple(
        WorkRow(
            id=int(row.id),
            customer_id=str(row.customer_id),
            type=str(row.type),
            priority=str(row.priority),
            status=str(row.status),
            created_by=str(row.created_by),
            assigned_to=row.assigned_to,
            sla_due_at=row.sla_due_at,
            sla=sla_state(row.sla_due_at, now=now) if row.status in OPEN_STATUS_NAMES else "closed",
            age_hours=(now - row.created_at).total_seconds() / 3600,
        )
        for row in found
    )
    return WorkPage(rows, int(total))


def intervention_state(row: Any) -> access.InterventionState:
    return access.InterventionState(
        status=row.status, created_by=row.created_by, assigned_to=row.assigned_to
    )


def check_intervention(session: Session, user: access.SignedIn, row: Any) -> None:
    """Raises AccessDeniedError unless the user may see the intervention."""
    owner = None if access.sees_whole_portfolio(user) else owner_of(session, row.customer_id)
    access.refuse_if(access.intervention_refusal(user, row.id, intervention_state(row), owner))


def intervention_detail(
    services: Services, user: access.SignedIn, intervention_id: int
) -> InterventionDetail:
    """The intervention's facts and outcomes; raises PdeError when it does not exist and
    AccessDeniedError when the user may not see it."""
    with services.session() as session:
        row = workflow.get_intervention(session, intervention_id)
        check_intervention(session, user, row)
        outcomes = session.execute(
            sa.select(OUTCOMES.c.outcome, OUTCOMES.c.recorded_by)
            .where(OUTCOMES.c.intervention_id == intervention_id)
            .order_by(OUTCOMES.c.id)
        ).all()
    assert row.id is not None
    state = intervention_state(row)
    return InterventionDetail(
        id=row.id,
        version=row.version,
        customer_id=row.customer_id,
        action_label=ACTIONS[row.type].label,
        status=row.status.value,
        priority=row.priority.value,
        created_at=row.created_at,
        created_by=row.created_by,
        approved_at=row.approved_at,
        approved_by=row.approved_by,
        assigned_to=row.assigned_to,
        sla_due_at=row.sla_due_at,
        reason=row.reason,
        outcomes=tuple(OutcomeLine(str(o), str(by)) for o, by in outcomes),
        allowed_actions=access.allowed_actions(user, state),
        can_record_outcome=access.can_record_outcome(user, state),
    )
