"""What the data says about one customer's money: payments with days past due, failed
auto-debits, salary arrivals and the latest transactions (from the canonical data directory,
PDE_DATA_DIR, as Explain reads it), and the payments that settle promises to pay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pde.jobs.casework import as_day, scan_table

PAYMENT_ROWS = 12
TIMELINE_ROWS = 25
SALARY_MONTHS = 6
RECENT_DAYS = 90


@dataclass(frozen=True)
class PaymentLine:
    due_date: date
    kind: str
    amount_due: float
    paid_date: date | None
    amount_paid: float
    days_past_due: int | None  # late by (paid) or overdue by (unpaid, due by the data's end)
    auto_debit_status: str | None


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    category: str
    channel: str
    amount: float


@dataclass(frozen=True)
class CallFacts:
    """One customer's recent money, as of the end of the data."""

    data_end: date  # the day of the data's newest transaction
    payments: tuple[PaymentLine, ...]  # newest due date first
    failed_debits: tuple[PaymentLine, ...]  # failed auto-debits in the last RECENT_DAYS
    salaries: tuple[tuple[date, float], ...]  # salary credits, newest first
    timeline: tuple[TimelineLine, ...]  # newest first


def _customer_rows(data_dir: Path, name: str, customer_id: str) -> list[dict[str, Any]]:
    import polars as pl

    rows: list[dict[str, Any]] = (
        scan_table(data_dir, name).filter(pl.col("customer_id") == customer_id).collect().to_dicts()
    )
    return rows


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def days_past_due(due: date, paid: date | None, *, data_end: date) -> int | None:
    """Days a payment was late (0 when on time), or, unpaid, days it is overdue by the end of
    the data; None for an unpaid one not yet due."""
    if paid is not None:
        return max(0, (paid - due).days)
    return (data_end - due).days if due <= data_end else None


def payment_lines(rows: Iterable[dict[str, Any]], *, data_end: date) -> list[PaymentLine]:
    lines = []
    for row in rows:
        due, paid = as_day(row["due_date"]), as_day(row.get("paid_date"))
        assert due is not None
        lines.append(
            PaymentLine(
                due_date=due,
                kind=str(row["kind"]),
                amount_due=float(row["amount_due"]),
                paid_date=paid,
                amount_paid=float(row.get("amount_paid") or 0.0),
                days_past_due=days_past_due(due, paid, data_end=data_end),
                auto_debit_status=row.get("auto_debit_status"),
            )
        )
    return sorted(lines, key=lambda p: (p.due_date, p.kind), reverse=True)


def call_facts(data_dir: Path, customer_id: str, *, whole: bool = False) -> CallFacts | None:
    """The customer's recent payments and transactions (`whole`: every one, for a download);
    None when the data has none."""
    transactions = _customer_rows(data_dir, "transactions", customer_id)
    payments = _customer_rows(data_dir, "payments", customer_id)
    if not transactions and not payments:
        return None
    moments = [_moment(t["timestamp"]) for t in transactions]
    data_end = (
        max(moments).date() if moments else max(as_day(p["due_date"]) or date.min for p in payments)
    )
    lines = payment_lines(payments, data_end=data_end)
    recent = data_end - timedelta(days=RECENT_DAYS)
    timeline = sorted(
        (
            TimelineLine(at, str(t["category"]), str(t["channel"]), float(t["amount"]))
            for at, t in zip(moments, transactions, strict=True)
        ),
        key=lambda line: line.at,
        reverse=True,
    )
    salaries = [(line.at.date(), line.amount) for line in timeline if line.category == "salary"]
    payment_rows, salary_rows, timeline_rows = (
        (None, None, None) if whole else (PAYMENT_ROWS, SALARY_MONTHS, TIMELINE_ROWS)
    )
    return CallFacts(
        data_end=data_end,
        payments=tuple(lines[:payment_rows]),
        failed_debits=tuple(
            p for p in lines if p.auto_debit_status == "failed" and p.due_date > recent
        ),
        salaries=tuple(salaries[:salary_rows]),
        timeline=tuple(timeline[:timeline_rows]),
    )
