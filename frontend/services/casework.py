"""The call panel of the Deep Dive: contact preferences and flags, promises to pay (settled
against the data's payments when read), and the money facts an agent needs on a call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from pde.core.errors import PdeError
from pde.db import casework, workflow
from pde.db.models.casework import BestTime, ContactChannel, PromiseStatus
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.activity import CallFacts, call_facts
from pde.frontend.services.base import Services, ServiceUnavailableError, database_errors
from pde.frontend.services.customer import check_customer, owner_of
from pde.frontend.services.work import check_intervention, intervention_state
from pde.jobs import casework as jobs_casework

log = logging.getLogger(__name__)

CHANNELS = tuple(c.value for c in ContactChannel)
BEST_TIMES = tuple(t.value for t in BestTime)
MAX_PROMISE = Decimal("100000000")


@dataclass(frozen=True)
class Contact:
    channel: str
    best_time: str
    do_not_contact: bool
    vulnerable: bool
    note: str | None
    updated_by: str | None  # None: nothing recorded yet
    updated_at: datetime | None
    editable: bool  # whether the signed-in user may change it


@dataclass(frozen=True)
class Promise:
    id: int
    intervention_id: int
    made_on: date
    due_date: date
    amount: float
    status: str
    paid_amount: float | None
    recorded_by: str


@dataclass(frozen=True)
class CallPanel:
    contact: Contact
    promises: tuple[Promise, ...]
    open_interventions: tuple[int, ...]  # where a promise can be recorded
    facts: CallFacts | None  # None: the data has nothing on the customer
    facts_note: str | None  # why there are no facts


def _today() -> date:
    return utc_now().date()


def call_panel(services: Services, user: access.SignedIn, customer_id: str) -> CallPanel:
    """What the agent needs on a call; settles the customer's open promises first."""
    with services.session() as session:
        check_customer(session, user, customer_id)
    settle_promises(services, customers=[customer_id])
    facts, note = None, None
    try:
        facts = call_facts(services.settings.data_dir, customer_id)
        if facts is None:
            note = f"The data at {services.settings.data_dir} has no activity for {customer_id}."
    except PdeError as exc:
        note = f"No payment data: {exc}."
    with services.session() as session:
        check_customer(session, user, customer_id)
        owner = owner_of(session, customer_id)
        row = casework.contact_of(session, customer_id)
        editable = access.contact_refusal(user, customer_id, owner) is None
        contact = (
            Contact("phone", "any", False, False, None, None, None, editable)
            if row is None
            else Contact(
                row.channel.value,
                row.best_time.value,
                row.do_not_contact,
                row.vulnerable,
                row.note,
                row.updated_by,
                row.updated_at,
                editable,
            )
        )
        promises = tuple(
            Promise(
                id=int(p.id or 0),
                intervention_id=p.intervention_id,
                made_on=p.made_on,
                due_date=p.due_date,
                amount=float(p.amount),
                status=p.status.value,
                paid_amount=None if p.paid_amount is None else float(p.paid_amount),
                recorded_by=p.recorded_by,
            )
            for p in casework.promises_of(session, customer_id)
        )
        work = tuple(
            int(w.id or 0)
            for w in workflow.open_interventions(session, customer_id=customer_id)
            if access.promise_refusal(user, int(w.id or 0), intervention_state(w), owner) is None
        )
    return CallPanel(contact, promises, work, facts, note)


def save_contact(
    services: Services,
    user: access.SignedIn,
    *,
    customer_id: str,
    channel: str,
    best_time: str,
    do_not_contact: bool,
    vulnerable: bool,
    note: str | None,
) -> None:
    """Stores the customer's contact preferences and flags (audited); ValueError on a value
    outside the lists, AccessDeniedError when the user may not."""
    if channel not in CHANNELS or best_time not in BEST_TIMES:
        raise ValueError("choose a channel and a best time from the lists")
    change = casework.ContactChange(
        ContactChannel(channel), BestTime(best_time), do_not_contact, vulnerable, note
    )
    with services.session() as session:
        check_customer(session, user, customer_id)
        access.refuse_if(access.contact_refusal(user, customer_id, owner_of(session, customer_id)))
        casework.set_contact(session, customer_id=customer_id, change=change, actor=user.username)


def parse_amount(text: str | float | None) -> Decimal:
    try:
        amount = Decimal(str(text).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("the amount must be a number, e.g. 250.00") from exc
    if not Decimal(0) < amount < MAX_PROMISE:
        raise ValueError("the amount must be above zero")
    return amount


def record_promise(
    services: Services,
    user: access.SignedIn,
    *,
    intervention_id: int,
    due_date: date | str | None,
    amount: str | float | None,
) -> int:
    """A promise to pay `amount` by `due_date` on the intervention; its id."""
    if not due_date:
        raise ValueError("choose the promised date")
    try:
        due = due_date if isinstance(due_date, date) else date.fromisoformat(str(due_date)[:10])
    except ValueError as exc:
        raise ValueError("the promised date must be a date, e.g. 2026-12-24") from exc
    value = parse_amount(amount)
    with services.session() as session:
        row = workflow.get_intervention(session, intervention_id)
        check_intervention(session, user, row)
        owner = owner_of(session, row.customer_id)
        access.refuse_if(
            access.promise_refusal(user, intervention_id, intervention_state(row), owner)
        )
        promise = casework.record_promise(
            session,
            intervention_id=intervention_id,
            due_date=due,
            amount=value,
            actor=user.username,
            today=_today(),
        )
        return int(promise.id or 0)


def settle_promises(
    services: Services, *, customers: list[str] | None = None, today: date | None = None
) -> dict[PromiseStatus, int]:
    """Marks open promises kept or broken from the data's payments (`pde.jobs.casework`;
    idempotent). Without data nothing changes (logged)."""
    try:
        with database_errors():
            return jobs_casework.settle_promises(
                services.engine, services.settings.data_dir, today=today, customers=customers
            )
    except PdeError as exc:
        if isinstance(exc, ServiceUnavailableError):
            raise
        log.warning("promises not settled: %s", exc)
        return {PromiseStatus.KEPT: 0, PromiseStatus.BROKEN: 0}
