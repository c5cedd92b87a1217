"""Casework repositories: contact preferences and flags, promises to pay, trigger events.

Changes lock the audit chain, check who acts (the customer's officer or a manager) and append
an audit row in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from sqlmodel import Session, col, select

from pde.db import audit
from pde.db.batches import id_batches
from pde.db.customers import current_officer
from pde.db.errors import InvalidTransitionError, NotFoundError, PermissionDeniedError
from pde.db.models.casework import (
    BestTime,
    ContactChannel,
    ContactPreference,
    PromiseStatus,
    PromiseToPay,
    TriggerEvent,
    TriggerKind,
)
from pde.db.models.customer import Customer
from pde.db.models.enums import InterventionStatus, Role
from pde.db.models.intervention import Intervention
from pde.db.types import utc_now
from pde.db.users import require_role

PROMISE_CHECK_ACTOR = "system:promise-check"
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)
ANY_ROLE = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


def _require_owner_or_manager(
    session: Session, actor: str, customer_id: str, managers: tuple[Role, ...] = MANAGERS
) -> None:
    user = require_role(session, actor, *ANY_ROLE)
    if user.role not in managers and current_officer(session, customer_id) != actor:
        raise PermissionDeniedError(f"customer {customer_id} is not assigned to {actor}")


def contact_of(session: Session, customer_id: str) -> ContactPreference | None:
    return session.get(ContactPreference, customer_id)


def do_not_contact(*, session: Session, customer_ids: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Per customer (input order): whether they asked not to be contacted."""
    flagged: set[str] = set()
    for batch in id_batches(customer_ids):
        flagged.update(
            session.exec(
                select(ContactPreference.customer_id).where(
                    col(ContactPreference.customer_id).in_(batch),
                    col(ContactPreference.do_not_contact),
                )
            ).all()
        )
    return np.array([c in flagged for c in customer_ids], dtype=bool)


@dataclass(frozen=True)
class ContactChange:
    channel: ContactChannel
    best_time: BestTime
    do_not_contact: bool
    vulnerable: bool
    note: str | None = None


def set_contact(
    session: Session, *, customer_id: str, change: ContactChange, actor: str
) -> ContactPreference:
    """Records the customer's contact preferences and flags (the customer's officer or a
    supervisor); audited with the before and after images."""
    audit.lock_chain(session)
    _require_owner_or_manager(session, actor, customer_id, (Role.SUPERVISOR,))
    if session.get(Customer, customer_id) is None:
        raise NotFoundError(f"customer {customer_id!r} not found")
    row = session.get(ContactPreference, customer_id)
    before = None if row is None else audit.snapshot(row, exclude=frozenset({"updated_at"}))
    if row is None:
        row = ContactPreference(
            customer_id=customer_id,
            channel=change.channel,
            best_time=change.best_time,
            updated_by=actor,
        )
    row.channel = ContactChannel(change.channel)
    row.best_time = BestTime(change.best_time)
    row.do_not_contact = change.do_not_contact
    row.vulnerable = change.vulnerable
    row.note = (change.note or "").strip()[:1000] or None
    row.updated_by = actor
    row.updated_at = utc_now()
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="customer.contact_preferences",
        entity_type="customer",
        entity_id=customer_id,
        before=before,
        after=audit.snapshot(row, exclude=frozenset({"updated_at"})),
    )
    return row


def record_promise(
    session: Session,
    *,
    intervention_id: int,
    due_date: date,
    amount: Decimal,
    actor: str,
    today: date,
) -> PromiseToPay:
    """A promise to pay `amount` by `due_date`, made today on the intervention (its customer's
    officer, its assignee or a manager); audited."""
    audit.lock_chain(session)
    work = session.get(Intervention, intervention_id)
    if work is None:
        raise NotFoundError(f"intervention {intervention_id} not found")
    if work.status == InterventionStatus.CANCELLED:
        raise InvalidTransitionError(f"intervention {intervention_id} is cancelled")
    if work.assigned_to != actor:
        _require_owner_or_manager(session, actor, work.customer_id)
    if amount <= 0:
        raise InvalidTransitionError("a promise needs an amount above zero")
    if due_date < today:
        raise InvalidTransitionError(f"the promised date {due_date} is in the past")
    promise = PromiseToPay(
        intervention_id=intervention_id,
        customer_id=work.customer_id,
        made_on=today,
        due_date=due_date,
        amount=amount,
        recorded_by=actor,
    )
    session.add(promise)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="promise.record",
        entity_type="promise_to_pay",
        entity_id=str(promise.id),
        before=None,
        after=audit.snapshot(promise),
    )
    return promise


def promises_of(session: Session, customer_id: str) -> list[PromiseToPay]:
    return list(
        session.exec(
            select(PromiseToPay)
            .where(PromiseToPay.customer_id == customer_id)
            .order_by(col(PromiseToPay.due_date).desc(), col(PromiseToPay.id).desc())
        )
    )


def open_promises(
    session: Session, *, customers: Iterable[str] | None = None
) -> list[PromiseToPay]:
    query = select(PromiseToPay).where(PromiseToPay.status == PromiseStatus.OPEN)
    if customers is not None:
        query = query.where(col(PromiseToPay.customer_id).in_(list(customers)))
    return list(session.exec(query.order_by(col(PromiseToPay.id))))


Payment = tuple[date, Decimal]  # (paid on, amount paid)


def settle_promises(
    session: Session,
    *,
    payments: Mapping[str, Sequence[Payment]],
    today: date,
    now: datetime | None = None,
) -> dict[PromiseStatus, int]:
    """Resolves the open promises: kept when the customer's payments from the day it was made
    to its date cover the amount; broken when its date has passed without. Idempotent: only
    open promises change, each once (audited as the system)."""
    counts = {PromiseStatus.KEPT: 0, PromiseStatus.BROKEN: 0}
    promises = open_promises(session)
    if not promises:
        return counts
    audit.lock_chain(session)
    for promise in promises:
        paid = sum(
            (
                amount
                for day, amount in payments.get(promise.customer_id, ())
                if promise.made_on <= day <= promise.due_date
            ),
            Decimal(0),
        )
        if paid >= promise.amount:
            status = PromiseStatus.KEPT
        elif today > promise.due_date:
            status = PromiseStatus.BROKEN
        else:
            continue
        promise.status = status
        promise.paid_amount = paid
        promise.resolved_at = now or utc_now()
        session.add(promise)
        session.flush()
        audit.append(
            session,
            actor=PROMISE_CHECK_ACTOR,
            action=f"promise.{status.value}",
            entity_type="promise_to_pay",
            entity_id=str(promise.id),
            before={"status": PromiseStatus.OPEN.value},
            after={"status": status.value, "paid_amount": paid},
        )
        counts[status] += 1
    return counts


@dataclass(frozen=True)
class Trigger:
    customer_id: str
    day: date
    kind: TriggerKind
    detail: str


def raise_triggers(session: Session, triggers: Iterable[Trigger]) -> list[Trigger]:
    """Stores the triggers not raised yet (one per customer per day: the first given for a
    customer and day wins) and returns those newly raised."""
    wanted: dict[tuple[str, date], Trigger] = {}
    for trigger in triggers:
        wanted.setdefault((trigger.customer_id, trigger.day), trigger)
    if not wanted:
        return []
    days = {day for _, day in wanted}
    existing = {
        (row.customer_id, row.day)
        for row in session.exec(select(TriggerEvent).where(col(TriggerEvent.day).in_(days)))
    }
    new = [t for key, t in wanted.items() if key not in existing]
    for t in new:
        session.add(
            TriggerEvent(customer_id=t.customer_id, day=t.day, kind=t.kind, detail=t.detail[:200])
        )
    session.flush()
    return new


def recent_triggers(
    session: Session, *, since: date, customers: Iterable[str] | None = None, limit: int = 50
) -> list[TriggerEvent]:
    query = select(TriggerEvent).where(TriggerEvent.day >= since)
    if customers is not None:
        query = query.where(col(TriggerEvent.customer_id).in_(list(customers)))
    query = query.order_by(col(TriggerEvent.day).desc(), col(TriggerEvent.customer_id))
    return list(session.exec(query.limit(limit)))
