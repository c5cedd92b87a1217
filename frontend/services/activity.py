"""What the data says about one customer's money: payments with days past due, failed
auto-debits, salary arrivals and the latest transactions (from the canonical data directory,
PDE_DATA_DIR, as Explain reads it), and the payments that settle promises to pay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pde.core.errors import PdeError

PAYMENT_ROWS = 12
TIMELINE_ROWS = 25
SALARY_MONTHS = 6
RECENT_DAYS = 90


def scan_table(data_dir: Path, name: str) -> Any:
    """A lazy frame over the data's `name` table; PdeError when the table is missing."""
    import polars as pl

    from pde.contracts.data.io import table_file

    path = table_file(data_dir, name)
    if path is None:
        raise PdeError(f"no {name} data in {data_dir} (set PDE_DATA_DIR)")
    return pl.scan_parquet(path) if path.suffix == ".parquet" else pl.scan_csv(path)


def last_event_date(data_dir: Path) -> date:
    """The day of the newest transaction in the data."""
    import polars as pl

    newest = (
        scan_table(data_dir, "transactions")
        .select(pl.col("timestamp").cast(pl.Datetime("us")).max())
        .collect()
        .item()
    )
    if newest is None:
        raise PdeError(f"{data_dir} has no transactions")
    return newest.date()  # type: ignore[no-any-return]


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


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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
        due, paid = _day(row["due_date"]), _day(row.get("paid_date"))
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


def call_facts(data_dir: Path, customer_id: str) -> CallFacts | None:
    """The customer's recent payments and transactions; None when the data has none."""
    transactions = _customer_rows(data_dir, "transactions", customer_id)
    payments = _customer_rows(data_dir, "payments", customer_id)
    if not transactions and not payments:
        return None
    moments = [_moment(t["timestamp"]) for t in transactions]
    data_end = (
        max(moments).date() if moments else max(_day(p["due_date"]) or date.min for p in payments)
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
    return CallFacts(
        data_end=data_end,
        payments=tuple(lines[:PAYMENT_ROWS]),
        failed_debits=tuple(
            p for p in lines if p.auto_debit_status == "failed" and p.due_date > recent
        ),
        salaries=tuple(salaries[:SALARY_MONTHS]),
        timeline=tuple(timeline[:TIMELINE_ROWS]),
    )


def paid_amounts(data_dir: Path, customers: Iterable[str]) -> dict[str, list[tuple[date, Decimal]]]:
    """Each customer's payments as (paid on, amount paid), for settling promises to pay."""
    import polars as pl

    wanted = sorted(set(customers))
    if not wanted:
        return {}
    frame = (
        scan_table(data_dir, "payments")
        .filter(pl.col("customer_id").is_in(wanted) & pl.col("paid_date").is_not_null())
        .select("customer_id", "paid_date", "amount_paid")
        .collect()
    )
    found: dict[str, list[tuple[date, Decimal]]] = {}
    for customer_id, paid, amount in frame.iter_rows():
        day = _day(paid)
        if day is not None and amount:
            found.setdefault(str(customer_id), []).append((day, Decimal(str(amount))))
    return found
