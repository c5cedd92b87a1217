"""Supervisors' team view: each officer's open work, SLA ages and results, and bulk
assignment that spreads the chosen customers over the officers by remaining capacity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from pde.db import customers as db_customers
from pde.db.models.enums import OutcomeKind, Role
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import OPEN_STATUS_NAMES
from pde.frontend.services.snapshot import current_scores, latest_snapshot
from pde.frontend.services.tables import ASSIGNMENTS, INTERVENTIONS, OUTCOMES, PROMISES, USERS
from pde.frontend.services.work import assignable_officers

CURED = (OutcomeKind.PAID.value, OutcomeKind.PROMISE_KEPT.value)
MISSED = (OutcomeKind.PROMISE_BROKEN.value, OutcomeKind.DEFAULTED.value)
CHOICES = 300


@dataclass(frozen=True)
class OfficerLoad:
    username: str
    full_name: str
    customers: int  # customers they own now
    open_work: int  # open interventions assigned to them
    overdue: int  # of which past their SLA
    oldest_hours: float | None  # age of their oldest open work
    mean_hours: float | None
    capacity_left: int  # weekly contacts (PDE_CONTACTS_PER_OFFICER) minus open work
    cured: int  # interventions ending paid or with a promise kept
    missed: int  # interventions ending with a promise broken or a default


@dataclass(frozen=True)
class Choice:
    customer_id: str
    probability: float
    officer: str | None


def team(services: Services, user: access.SignedIn) -> tuple[OfficerLoad, ...]:
    """Every officer's load and results (for supervisors and admins)."""
    access.require(access.can_see_team(user), "see the team view")
    officers = [o for o in assignable_officers(services) if o.username in _officers(services)]
    now, weekly = utc_now(), services.settings.contacts_per_officer
    work = INTERVENTIONS.c
    with services.session() as session:
        owned = dict(
            session.execute(
                sa.select(ASSIGNMENTS.c.officer, sa.func.count())
                .where(ASSIGNMENTS.c.ended_at.is_(None))
                .group_by(ASSIGNMENTS.c.officer)
            ).all()
        )
        opened: dict[str, list[tuple[datetime, datetime]]] = {}
        for who, created, due in session.execute(
            sa.select(work.assigned_to, work.created_at, work.sla_due_at).where(
                work.status.in_(OPEN_STATUS_NAMES), work.assigned_to.is_not(None)
            )
        ):
            opened.setdefault(str(who), []).append((created, due))
        results = _results(session)
    loads = []
    for officer in officers:
        items = opened.get(officer.username, [])
        ages = [(now - created).total_seconds() / 3600 for created, _ in items]
        cured, missed = results.get(officer.username, (0, 0))
        loads.append(
            OfficerLoad(
                username=officer.username,
                full_name=officer.full_name,
                customers=int(owned.get(officer.username, 0)),
                open_work=len(items),
                overdue=sum(due < now for _, due in items),
                oldest_hours=max(ages) if ages else None,
                mean_hours=sum(ages) / len(ages) if ages else None,
                capacity_left=weekly - len(items),
                cured=cured,
                missed=missed,
            )
        )
    return tuple(loads)


def _officers(services: Services) -> set[str]:
    """The active users whose role is officer (the team the work is spread over)."""
    with services.session() as session:
        return {
            str(u)
            for (u,) in session.execute(
                sa.select(USERS.c.username).where(
                    USERS.c.is_active.is_(True), USERS.c.role == Role.OFFICER.value
                )
            )
        }


def _results(session: Session) -> dict[str, tuple[int, int]]:
    """{officer: (cured, missed)} over the interventions assigned to them: an intervention
    counts once, as missed when anything on it was (a broken promise, a default)."""
    work = INTERVENTIONS.c
    verdict: dict[int, tuple[str, bool]] = {}
    outcome_rows = session.execute(
        sa.select(work.id, work.assigned_to, OUTCOMES.c.outcome)
        .join(OUTCOMES, OUTCOMES.c.intervention_id == work.id)
        .where(work.assigned_to.is_not(None), OUTCOMES.c.outcome.in_(CURED + MISSED))
    ).all()
    promise_rows = session.execute(
        sa.select(work.id, work.assigned_to, PROMISES.c.status)
        .join(PROMISES, PROMISES.c.intervention_id == work.id)
        .where(work.assigned_to.is_not(None), PROMISES.c.status.in_(("kept", "broken")))
    ).all()
    for iid, who, what in [*outcome_rows, *promise_rows]:
        missed = str(what) in (*MISSED, "broken")
        previous = verdict.get(int(iid))
        verdict[int(iid)] = (str(who), missed or (previous is not None and previous[1]))
    counts: dict[str, tuple[int, int]] = {}
    for who, missed in verdict.values():
        cured_n, missed_n = counts.get(who, (0, 0))
        counts[who] = (cured_n + (not missed), missed_n + missed)
    return counts


def plan_assignment(customers: Sequence[str], capacity: Mapping[str, int]) -> dict[str, str]:
    """{customer: officer}: each customer in turn to the officer with the most capacity left
    (ties by name), so the load evens out; over capacity the spread stays even."""
    if not capacity:
        raise ValueError("there is no officer to assign to")
    left = dict(capacity)
    plan = {}
    for customer in dict.fromkeys(customers):
        officer = min(left, key=lambda name: (-left[name], name))
        plan[customer] = officer
        left[officer] -= 1
    return plan


def bulk_assign(
    services: Services, user: access.SignedIn, customers: Sequence[str]
) -> dict[str, str]:
    """Assigns the customers across the officers by remaining capacity, in one unit of work
    (each change audited); the plan."""
    access.require(access.can_assign_customers(user), "assign customers")
    if not customers:
        raise ValueError("choose the customers to assign")
    loads = team(services, user)
    plan = plan_assignment(customers, {o.username: o.capacity_left for o in loads})
    with services.session() as session:
        for customer_id, officer in plan.items():
            db_customers.assign_customer(
                session=session, customer_id=customer_id, officer=officer, actor=user.username
            )
    return plan


def choices(services: Services, user: access.SignedIn) -> tuple[Choice, ...]:
    """The riskiest alerted customers of the latest scores, with their officer (for bulk
    assignment)."""
    access.require(access.can_assign_customers(user), "assign customers")
    with services.session() as session:
        snapshot = latest_snapshot(session)
        if snapshot is None:
            return ()
        current = current_scores(snapshot)
        rows = session.execute(
            sa.select(current.c.customer_id, current.c.probability, ASSIGNMENTS.c.officer)
            .select_from(
                current.join(
                    ASSIGNMENTS,
                    (ASSIGNMENTS.c.customer_id == current.c.customer_id)
                    & ASSIGNMENTS.c.ended_at.is_(None),
                    isouter=True,
                )
            )
            .where(current.c.alert.is_(True))
            .order_by(current.c.probability.desc(), current.c.customer_id)
            .limit(CHOICES)
        ).all()
    return tuple(Choice(str(c), float(p), None if o is None else str(o)) for c, p, o in rows)
