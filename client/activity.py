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
    for transaction in transactions:
        added_transaction = message.transactions.add(
            timestamp=_stamp(transaction["timestamp"]),
            amount=float(transaction["amount"]),
            category=transaction["category"],
            channel=transaction["channel"],
        )
        if transaction.get("balance_after") is not None:
            added_transaction.balance_after = float(transaction["balance_after"])
    for payment in payments:
        added_payment = message.payments.add(
            due_date=_stamp(payment["due_date"]),
            amount_due=float(payment["amount_due"]),
            amount_paid=float(payment["amount_paid"]),
            auto_debit=bool(payment["auto_debit"]),
            auto_debit_status=payment.get("auto_debit_status") or "",
            kind=payment.get("kind") or "",
        )
        if payment.get("paid_date") is not None:
            added_payment.paid_date.CopyFrom(_stamp(payment["paid_date"]))
    return message
