"""Contact preferences, promises to pay (kept and broken by dated payments) and trigger events,
on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from pde.db import casework, workflow
from pde.db.audit import verify_chain
from pde.db.customers import assign_customer
from pde.db.errors import InvalidTransitionError, PermissionDeniedError
from pde.db.models import (
    AuditEntry,
    BestTime,
    ContactChannel,
    InterventionCreate,
    InterventionType,
    PromiseStatus,
    TriggerKind,
)

CALL = casework.ContactChange(
    channel=ContactChannel.SMS, best_time=BestTime.EVENING, do_not_contact=False, vulnerable=True
)
MONDAY = date(2026, 11, 2)


def owned(db, customer_id: str = "C001", officer: str = "off1") -> None:
    with db.scope() as s:
        assign_customer(session=s, customer_id=customer_id, officer=officer, actor="sup1")


def intervention(db, customer_id: str = "C001", actor: str = "off1") -> int:
    data = InterventionCreate(customer_id=customer_id, type=InterventionType.AGENT_CALL)
    with db.scope() as s:
        return int(workflow.create_intervention(session=s, data=data, actor=actor).id)


def promise(session, intervention_id: int, due: date, amount: int, actor: str) -> None:
    """A promise recorded on MONDAY."""
    casework.record_promise(
        session,
        intervention_id=intervention_id,
        due_date=due,
        amount=Decimal(amount),
        actor=actor,
        today=MONDAY,
    )


def test_casework_contact_preferences_by_owner_or_manager_are_audited(staffed_db) -> None:
    db = staffed_db
    owned(db)
    with db.scope() as s:
        assert casework.contact_of(s, "C001") is None
        casework.set_contact(s, customer_id="C001", change=CALL, actor="off1")
    with db.scope() as s, pytest.raises(PermissionDeniedError, match="not assigned to off2"):
        casework.set_contact(s, customer_id="C001", change=CALL, actor="off2")
    stop = casework.ContactChange(ContactChannel.PHONE, BestTime.MORNING, True, False, " x ")
    with db.scope() as s:
        casework.set_contact(s, customer_id="C001", change=stop, actor="sup2")
    with db.scope() as s:
        row = casework.contact_of(s, "C001")
        assert row is not None
        assert (row.channel, row.best_time, row.do_not_contact, row.vulnerable, row.note) == (
            ContactChannel.PHONE,
            BestTime.MORNING,
            True,
            False,
            "x",
        )
        assert row.updated_by == "sup2"
        entries = list(
            s.exec(select(AuditEntry).where(AuditEntry.action == "customer.contact_preferences"))
        )
        assert [e.actor for e in entries] == ["off1", "sup2"]
        assert entries[1].before["vulnerable"] is True and entries[1].after["do_not_contact"]
        assert verify_chain(s).ok


def test_casework_promise_is_kept_by_covering_payments_and_broken_after_its_date(
    staffed_db,
) -> None:
    db = staffed_db
    owned(db, "C001")
    owned(db, "C002")
    first, second = intervention(db, "C001"), intervention(db, "C002")
    with db.scope() as s:
        promise(s, first, date(2026, 11, 9), 100, "off1")
        promise(s, second, date(2026, 11, 6), 80, "off1")
    with db.scope() as s, pytest.raises(InvalidTransitionError, match="in the past"):
        promise(s, first, date(2026, 11, 1), 1, "off1")
    with db.scope() as s, pytest.raises(PermissionDeniedError):
        promise(s, first, MONDAY, 1, "off2")
    payments = {
        # Before the promise was made: does not count. Then 60 + 40 by the date: kept.
        "C001": [(date(2026, 11, 1), Decimal(500)), (date(2026, 11, 4), Decimal(60))],
        # 50 of 80 by its date.
        "C002": [(date(2026, 11, 5), Decimal(50))],
    }
    now = datetime(2026, 11, 6, 9, tzinfo=UTC)
    with db.scope() as s:
        # On the promised date itself C002's promise is still open; C001's is not covered yet.
        assert casework.settle_promises(s, payments=payments, today=date(2026, 11, 6), now=now) == {
            PromiseStatus.KEPT: 0,
            PromiseStatus.BROKEN: 0,
        }
    payments["C001"].append((date(2026, 11, 9), Decimal(40)))
    with db.scope() as s:
        counts = casework.settle_promises(s, payments=payments, today=date(2026, 11, 7), now=now)
        assert counts == {PromiseStatus.KEPT: 1, PromiseStatus.BROKEN: 1}
    with db.scope() as s:  # idempotent: nothing open is left to change
        again = casework.settle_promises(s, payments=payments, today=date(2026, 12, 1))
        assert again == {PromiseStatus.KEPT: 0, PromiseStatus.BROKEN: 0}
        kept, broken = casework.promises_of(s, "C001")[0], casework.promises_of(s, "C002")[0]
        assert (kept.status, kept.paid_amount) == (PromiseStatus.KEPT, Decimal(100))
        assert (broken.status, broken.paid_amount) == (PromiseStatus.BROKEN, Decimal(50))
        assert broken.resolved_at == now
        actions = [
            e.action
            for e in s.exec(select(AuditEntry).where(AuditEntry.entity_type == "promise_to_pay"))
        ]
        assert sorted(actions) == [
            "promise.broken",
            "promise.kept",
            "promise.record",
            "promise.record",
        ]
        assert verify_chain(s).ok


def test_casework_trigger_events_are_raised_once_per_customer_per_day(staffed_db) -> None:
    db = staffed_db
    day = date(2026, 11, 3)
    salary = casework.Trigger("C001", day, TriggerKind.SALARY_MISSED, "salary missed")
    debit = casework.Trigger("C001", day, TriggerKind.AUTO_DEBIT_FAILED, "auto-debit failed")
    other = casework.Trigger("C002", day, TriggerKind.AUTO_DEBIT_FAILED, "auto-debit failed")
    with db.scope() as s:
        assert casework.raise_triggers(s, [salary, debit, other]) == [salary, other]
    with db.scope() as s:
        assert casework.raise_triggers(s, [debit, other]) == []
        later = casework.Trigger("C001", date(2026, 11, 4), TriggerKind.PAYMENT_MISSED, "late")
        assert casework.raise_triggers(s, [later]) == [later]
    with db.scope() as s:
        rows = casework.recent_triggers(s, since=day, customers=["C001"])
        assert [(r.day, r.kind) for r in rows] == [
            (date(2026, 11, 4), TriggerKind.PAYMENT_MISSED),
            (day, TriggerKind.SALARY_MISSED),
        ]


def test_casework_do_not_contact_refuses_new_interventions_until_cleared(staffed_db) -> None:
    from dataclasses import replace

    from pde.db.errors import DoNotContactError

    db = staffed_db
    owned(db)
    with db.scope() as s:
        casework.set_contact(
            s, customer_id="C001", change=replace(CALL, do_not_contact=True), actor="off1"
        )
        assert casework.do_not_contact(session=s, customer_ids=["C002", "C001"]).tolist() == [
            False,
            True,
        ]
    with pytest.raises(DoNotContactError, match="C001 asked not to be contacted"):
        intervention(db)
    intervention(db, customer_id="C002")  # others are not affected
    with db.scope() as s:
        casework.set_contact(s, customer_id="C001", change=CALL, actor="off1")
    assert intervention(db) > 0  # cleared: contact allowed again
