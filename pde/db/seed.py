"""`pde db seed-demo`: staff with one-time passwords, customers, owners and a work history.

Everything is written in one transaction (all or nothing) through the same services the app
uses, so the history obeys the workflow rules and is in the audit log. Interventions go to
the customers whose credit payments were most often late or missed (`late_payments`); the
job that reads both from the canonical data is `pde.jobs.seed`.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pde.db import audit, workflow
from pde.db.customers import upsert_customers
from pde.db.engine import get_engine, session_scope
from pde.db.errors import DatabaseError, MigrationError
from pde.db.migrate import current_revision, head_revision
from pde.db.models import (
    CustomerAssignment,
    InterventionCreate,
    InterventionOutcomeCreate,
    InterventionType,
    OutcomeKind,
    Priority,
    Role,
    User,
    UserCreate,
)
from pde.db.types import utc_now
from pde.db.users import create_user, generate_password

log = logging.getLogger(__name__)

SEED_ACTOR = "system:seed-demo"
DEMO_STAFF = (
    ("admin", "Demo Administrator", Role.ADMIN),
    ("sup.okafor", "Ada Okafor", Role.SUPERVISOR),
    ("sup.lindqvist", "Erik Lindqvist", Role.SUPERVISOR),
    ("off.haddad", "Rania Haddad", Role.OFFICER),
    ("off.moreau", "Luc Moreau", Role.OFFICER),
    ("off.tanaka", "Yui Tanaka", Role.OFFICER),
    ("off.silva", "Bruno Silva", Role.OFFICER),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    password: str


@dataclass
class SeedSummary:
    users: list[DemoUser] = field(default_factory=list)
    customers: int = 0
    assignments: int = 0
    outcomes: int = 0
    interventions: Counter[str] = field(default_factory=Counter)


def _assign_all(session: Session, customer_ids: list[str], officers: list[str], *, by: str) -> int:
    """Every customer gets an owner, round robin; one audit row for the whole allocation."""
    now = utc_now()
    rows = [
        {
            "customer_id": customer,
            "officer": officers[i % len(officers)],
            "assigned_by": by,
            "assigned_at": now,
            "ended_at": None,
        }
        for i, customer in enumerate(customer_ids)
    ]
    table = CustomerAssignment.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])
    audit.append(
        session,
        actor=SEED_ACTOR,
        action="customer.assign_bulk",
        entity_type="customer",
        entity_id="*",
        before=None,
        after=dict(Counter(str(r["officer"]) for r in rows)),
    )
    return len(rows)


def _history(
    session: Session,
    *,
    customer_id: str,
    rank: float,
    owner: str,
    supervisors: list[str],
    late: int,
    monthly: Decimal,
    rng: random.Random,
    now: datetime,
    summary: SeedSummary,
) -> None:
    """One intervention on the customer, walked through the life cycle as far as its age allows."""
    age = timedelta(days=0.2 + 90 * rng.random() ** 2.2)  # more recent than old work
    at = now - age
    if rank < 0.1:
        kind, priority = (
            rng.choice([InterventionType.RESTRUCTURING, InterventionType.AGENT_CALL]),
            Priority.CRITICAL,
        )
    elif rank < 0.4:
        kind, priority = (
            rng.choice([InterventionType.AGENT_CALL, InterventionType.PAYMENT_PLAN]),
            Priority.HIGH,
        )
    else:
        kind, priority = InterventionType.SOFT_REMINDER, rng.choice([Priority.MEDIUM, Priority.LOW])
    creator = owner if rng.random() < 0.7 else rng.choice(supervisors)
    reason = f"{late} late or missed credit payments" if late else "rising risk score"
    row = workflow.create_intervention(
        session=session,
        actor=creator,
        now=at,
        data=InterventionCreate(
            customer_id=customer_id, type=kind, priority=priority, reason=reason
        ),
    )
    intervention_id = int(row.id or 0)
    days = age.days
    target = (
        "recommended"
        if days < 1
        else "approved"
        if days < 3
        else "assigned"
        if days < 6
        else "in_progress"
        if days < 15
        else rng.choices(["completed", "cancelled"], [85, 15])[0]
    )
    if target == "cancelled":
        workflow.cancel(
            session=session,
            intervention_id=intervention_id,
            actor=rng.choice(supervisors),
            reason="customer paid before contact",
            now=at + timedelta(hours=rng.uniform(1, 20)),
        )
        summary.interventions[target] += 1
        return
    steps = ["approved", "assigned", "in_progress", "completed"]
    approver = rng.choice([s for s in supervisors if s != creator])
    for step in steps[: steps.index(target) + 1] if target != "recommended" else []:
        at += timedelta(hours=rng.uniform(1, 30))
        if step == "approved":
            workflow.approve(
                session=session, intervention_id=intervention_id, actor=approver, now=at
            )
        elif step == "assigned":
            workflow.assign(
                session=session,
                intervention_id=intervention_id,
                officer=owner,
                actor=approver,
                now=at,
            )
        elif step == "in_progress":
            workflow.start(session=session, intervention_id=intervention_id, actor=owner, now=at)
            summary.outcomes += _outcomes(
                session,
                intervention_id=intervention_id,
                owner=owner,
                late=late,
                monthly=monthly,
                rng=rng,
                at=at,
                target=target,
            )
        else:
            at += timedelta(days=rng.uniform(1, 8))
            workflow.complete(
                session=session, intervention_id=intervention_id, actor=owner, now=min(at, now)
            )
    summary.interventions[target] += 1


def _outcomes(
    session: Session,
    *,
    intervention_id: int,
    owner: str,
    late: int,
    monthly: Decimal,
    rng: random.Random,
    at: datetime,
    target: str,
) -> int:
    """What the customer did: mostly driven by how often they were late before."""
    struggling = late >= 2 or rng.random() < 0.3
    first = (
        OutcomeKind.PROMISE_TO_PAY
        if struggling
        else rng.choice([OutcomeKind.PAID, OutcomeKind.NO_RESPONSE])
    )
    written = [
        InterventionOutcomeCreate(
            outcome=first,
            amount=monthly if first != OutcomeKind.NO_RESPONSE else None,
            promised_date=(at + timedelta(days=7)).date()
            if first == OutcomeKind.PROMISE_TO_PAY
            else None,
            note="demo history",
        )
    ]
    if first == OutcomeKind.PROMISE_TO_PAY and target == "completed":
        follow = rng.choices(
            [OutcomeKind.PROMISE_KEPT, OutcomeKind.PROMISE_BROKEN, OutcomeKind.DEFAULTED],
            [55, 35, 10],
        )[0]
        written.append(InterventionOutcomeCreate(outcome=follow, note="demo history"))
    for n, outcome in enumerate(written):
        workflow.record_outcome(
            session=session,
            intervention_id=intervention_id,
            data=outcome,
            actor=owner,
            now=at + timedelta(hours=2 + 24 * 7 * n),
        )
    return len(written)


def seed_demo(
    *,
    customers: Sequence[dict[str, Any]],
    late_payments: Mapping[str, int],
    engine: Engine | None = None,
    interventions: int = 80,
    seed: int = 7,
) -> SeedSummary:
    """Seeds an empty, migrated database with `customers` (upsert records) and a work history
    for those with the most `late_payments`; returns the one-time passwords (shown once)."""
    engine = engine or get_engine()
    if current_revision(engine=engine) != head_revision():
        raise MigrationError(
            "the database is not at the latest migration: run pde db upgrade first"
        )
    rng = random.Random(seed)
    summary = SeedSummary()
    with session_scope(engine=engine) as session:
        if session.exec(select(func.count()).select_from(User)).one():
            raise DatabaseError("the database already has users: seed-demo fills an empty database")
        for username, full_name, role in DEMO_STAFF:
            password = generate_password()
            create_user(
                session=session,
                actor=SEED_ACTOR,
                data=UserCreate(
                    username=username, full_name=full_name, role=role, password=password
                ),
            )
            summary.users.append(DemoUser(username, role, password))
        summary.customers = upsert_customers(session=session, records=customers, actor=SEED_ACTOR)
        officers = [u.username for u in summary.users if u.role == Role.OFFICER]
        supervisors = [u.username for u in summary.users if u.role == Role.SUPERVISOR]
        ids = sorted(str(r["customer_id"]) for r in customers)
        summary.assignments = _assign_all(session, ids, officers, by=DEMO_STAFF[0][0])
        owner = {customer: officers[i % len(officers)] for i, customer in enumerate(ids)}
        monthly = {
            str(r["customer_id"]): Decimal(str(round(float(r["monthly_obligation"]), 2)))
            for r in customers
        }
        ranked = sorted(ids, key=lambda customer: (-late_payments.get(customer, 0), rng.random()))
        chosen = ranked[: min(interventions, len(ranked))]
        now = utc_now()
        for position, customer in enumerate(chosen):
            _history(
                session,
                customer_id=customer,
                rank=position / max(len(chosen), 1),
                owner=owner[customer],
                supervisors=supervisors,
                late=late_payments.get(customer, 0),
                monthly=monthly[customer],
                rng=rng,
                now=now,
                summary=summary,
            )
        log.info("seeded %d interventions", sum(summary.interventions.values()))
    return summary
