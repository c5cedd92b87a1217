"""Building a `RawActivity` message from canonical rows (see docs/data-schema.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from pde.risk.v1 import risk_pb2


def _stamp(value: date | datetime) -> Timestamp:
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    stamp = Timestamp()
    stamp.FromDatetime(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment)
    return stamp


def raw_activity(
    *,
    as_of: date | datetime,
    customer: Mapping[str, Any],
    transactions: Iterable[Mapping[str, Any]] = (),
    payments: Iterable[Mapping[str, Any]] = (),
) -> risk_pb2.RawActivity:
    """A RawActivity from one customer's canonical rows (column names as in the schema).

    Naive timestamps are taken as they are (the canonical tables' local time).
    """
    profile = risk_pb2.CustomerProfile(
        open_date=_stamp(customer["open_date"]),
        birth_year=int(customer["birth_year"]),
        income_bracket=customer["income_bracket"],
        employment_type=customer["employment_type"],
        region=customer["region"],
        product=customer["product"],
        credit_limit=float(customer["credit_limit"]),
        outstanding_balance=float(customer["outstanding_balance"]),
        monthly_obligation=float(customer["monthly_obligation"]),
    )
    if customer.get("declared_income") is not None:
        profile.declared_income = float(customer["declared_income"])
    message = risk_pb2.RawActivity(as_of=_stamp(as_of), profile=profile)
    for t in transactions:
        item = message.transactions.add(
            timestamp=_stamp(t["timestamp"]),
            amount=float(t["amount"]),
            category=t["category"],
            channel=t["channel"],
        )
        if t.get("balance_after") is not None:
            item.balance_after = float(t["balance_after"])
    for p in payments:
        item_p = message.payments.add(
            due_date=_stamp(p["due_date"]),
            amount_due=float(p["amount_due"]),
            amount_paid=float(p["amount_paid"]),
            auto_debit=bool(p["auto_debit"]),
            auto_debit_status=p.get("auto_debit_status") or "",
            kind=p.get("kind") or "",
        )
        if p.get("paid_date") is not None:
            item_p.paid_date.CopyFrom(_stamp(p["paid_date"]))
    return message
