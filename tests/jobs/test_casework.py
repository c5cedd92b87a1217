"""The casework job on both backends: promises settled from the data's payments (kept, broken
once the data passes the date, each once) and trigger events raised once per customer and day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pde.db import casework, workflow
from pde.db.customers import assign_customer, upsert_customers
from pde.db.models import InterventionCreate, InterventionType, PromiseStatus, Role, User
from pde.db.users import hash_password
from pde.jobs.casework import raise_triggers, settle_promises
from tests.frontend.casework_data import COVERING_PAYMENT, write_call_data

TODAY = date(2026, 11, 30)
PROFILE = {
    "open_date": date(2020, 1, 1),
    "birth_year": 1980,
    "income_bracket": "middle",
    "employment_type": "salaried",
    "region": "north",
    "product": "personal_loan",
    "credit_limit": 5000.0,
    "outstanding_balance": 2000.0,
    "monthly_obligation": 300.0,
    "declared_income": 3000.0,
}


def test_casework_job_settles_promises_and_raises_triggers_once(db, tmp_path) -> None:
    data = write_call_data(tmp_path / "data", today=TODAY, first="A1", second="B2")
    with db.scope() as s:
        for name, role in (("sup1", Role.SUPERVISOR), ("off1", Role.OFFICER)):
            s.add(User(username=name, full_name=name, role=role, password_hash=hash_password("x")))
        records = [{"customer_id": c, **PROFILE} for c in ("A1", "B2")]
        upsert_customers(session=s, records=records, actor="system:test")
    works = []
    for customer in ("A1", "B2"):
        with db.scope() as s:
            assign_customer(session=s, customer_id=customer, officer="off1", actor="sup1")
            data_in = InterventionCreate(customer_id=customer, type=InterventionType.AGENT_CALL)
            works.append(workflow.create_intervention(session=s, data=data_in, actor="off1").id)
    with db.scope() as s:
        for work, amount in zip(works, (COVERING_PAYMENT, 40.0), strict=True):
            casework.record_promise(
                s,
                intervention_id=int(work or 0),
                due_date=TODAY,
                amount=Decimal(str(amount)),
                actor="off1",
                today=TODAY,
            )
    # The data ends on TODAY: both dates are reached; A1 paid in full on the day, B2 nothing.
    counts = settle_promises(db.engine, data, today=TODAY + timedelta(days=5))
    assert counts == {PromiseStatus.KEPT: 1, PromiseStatus.BROKEN: 1}
    assert settle_promises(db.engine, data) == {PromiseStatus.KEPT: 0, PromiseStatus.BROKEN: 0}
    with db.scope() as s:
        assert [p.status for p in casework.promises_of(s, "A1")] == [PromiseStatus.KEPT]
        assert [p.status for p in casework.promises_of(s, "B2")] == [PromiseStatus.BROKEN]
    assert raise_triggers(db.engine, data) == 2
    assert raise_triggers(db.engine, data) == 0
    with db.scope() as s:
        shown = casework.recent_triggers(s, since=TODAY)
    assert {(t.customer_id, t.kind.value, t.day) for t in shown} == {
        ("A1", "auto_debit_failed", TODAY),
        ("B2", "payment_missed", TODAY),
    }
