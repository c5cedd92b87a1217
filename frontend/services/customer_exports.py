"""Downloads of one customer's Deep Dive tables: every payment with its days past due, the
transaction timeline and the interventions with their outcomes, for a user who may open the
customer (an officer: their own customers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pde.frontend.services import access, labels
from pde.frontend.services.activity import CallFacts, call_facts
from pde.frontend.services.base import Services
from pde.frontend.services.customer import check_customer
from pde.frontend.services.history import customer_history
from pde.frontend.services.spreadsheets import Table


def _facts(services: Services, user: access.SignedIn, customer_id: str) -> CallFacts:
    with services.session() as session:
        check_customer(session, user, customer_id)
    facts = call_facts(services.settings.data_dir, customer_id, whole=True)
    if facts is None:
        raise ValueError(f"the data at {services.settings.data_dir} has nothing on {customer_id}")
    return facts


def _payments(services: Services, user: access.SignedIn, customer_id: str) -> Table:
    facts = _facts(services, user, customer_id)
    rows = [
        {
            "due_date": p.due_date.isoformat(),
            "kind": labels.human(p.kind),
            "amount_due": round(p.amount_due, 2),
            "paid_date": "" if p.paid_date is None else p.paid_date.isoformat(),
            "amount_paid": round(p.amount_paid, 2),
            "days_past_due": "" if p.days_past_due is None else p.days_past_due,
            "auto_debit": labels.human(p.auto_debit_status or ""),
        }
        for p in facts.payments
    ]
    columns = (
        ("due_date", "Due"),
        ("kind", "Obligation"),
        ("amount_due", "Amount due"),
        ("paid_date", "Paid on"),
        ("amount_paid", "Amount paid"),
        ("days_past_due", "Days past due"),
        ("auto_debit", "Auto-debit"),
    )
    return Table(f"Payments of {customer_id} to {facts.data_end}", columns, rows)


def _timeline(services: Services, user: access.SignedIn, customer_id: str) -> Table:
    facts = _facts(services, user, customer_id)
    rows = [
        {
            "at": line.at.isoformat(timespec="minutes"),
            "category": labels.human(line.category),
            "channel": labels.human(line.channel),
            "amount": round(line.amount, 2),
        }
        for line in facts.timeline
    ]
    columns = (
        ("at", "When"),
        ("category", "Category"),
        ("channel", "Channel"),
        ("amount", "Amount"),
    )
    return Table(f"Transactions of {customer_id} to {facts.data_end}", columns, rows)


def _interventions(services: Services, user: access.SignedIn, customer_id: str) -> Table:
    history = customer_history(services, user, customer_id, audit_rows=0)
    rows = [
        {
            "id": i.id,
            "created_at": i.created_at.isoformat(timespec="minutes"),
            "type": labels.human(i.type),
            "status": labels.human(i.status),
            "officer": i.assigned_to or "",
            "outcomes": ", ".join(labels.human(o) for o in i.outcomes),
        }
        for i in history.interventions
    ]
    columns = (
        ("id", "#"),
        ("created_at", "Created"),
        ("type", "Action"),
        ("status", "Status"),
        ("officer", "Officer"),
        ("outcomes", "Outcomes"),
    )
    return Table(f"Interventions of {customer_id}", columns, rows)


CUSTOMER_TABLES: Mapping[str, Callable[[Services, access.SignedIn, str], Table]] = {
    "customer-payments": _payments,
    "customer-timeline": _timeline,
    "customer-interventions": _interventions,
}
