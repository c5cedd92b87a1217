"""Casework from the data: settle the open promises to pay against the payments made, and raise
the trigger events of the data's last week (a failed auto-debit, a salary that stopped, a
payment missed), at most one per customer per day of the data. Both are idempotent: run on
page loads by the app and by the nightly job (`pde jobs run casework`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from pde.contracts.data.io import table_file
from pde.core.errors import PdeError
from pde.db import casework
from pde.db.engine import session_scope
from pde.db.models import Customer
from pde.db.models.casework import PromiseStatus, TriggerKind
from pde.db.types import utc_now

WINDOW_DAYS = 7  # events of the data's last week raise triggers
SALARY_GAP_DAYS = 35  # no salary for longer than this (after salaries before): salary missed
SALARY_LOOKBACK_DAYS = 120
TRIGGER_ORDER = (
    TriggerKind.AUTO_DEBIT_FAILED,
    TriggerKind.SALARY_MISSED,
    TriggerKind.PAYMENT_MISSED,
)


def scan_table(data_dir: Path, name: str) -> Any:
    """A lazy frame over the data's `name` table; PdeError when the table is missing."""
    import polars as pl

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


def as_day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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
        day = as_day(paid)
        if day is not None and amount:
            found.setdefault(str(customer_id), []).append((day, Decimal(str(amount))))
    return found


def settle_promises(
    engine: Engine, data_dir: Path, *, today: date | None = None, customers: list[str] | None = None
) -> dict[PromiseStatus, int]:
    """Marks open promises kept or broken from the data's payments. The data speaks up to its
    newest transaction: a promise breaks once its date is before the end of the data (or
    `today`, when earlier) without payments covering it."""
    with session_scope(engine=engine) as session:
        pending = casework.open_promises(session, customers=customers)
    if not pending:
        return {PromiseStatus.KEPT: 0, PromiseStatus.BROKEN: 0}
    paid = paid_amounts(data_dir, {p.customer_id for p in pending})
    seen_until = last_event_date(data_dir) + timedelta(days=1)
    day = min(today or utc_now().date(), seen_until)
    with session_scope(engine=engine) as session:
        return casework.settle_promises(session, payments=paid, today=day)


def detect_triggers(data_dir: Path) -> list[casework.Trigger]:
    """The data's last-week signals, one per customer (the most telling first: a failed
    auto-debit, then a stopped salary, then a missed payment), each naming them all."""
    import polars as pl

    end = last_event_date(data_dir)
    start = end - timedelta(days=WINDOW_DAYS)
    found: dict[str, list[tuple[TriggerKind, str]]] = {}
    payments = (
        scan_table(data_dir, "payments")
        .with_columns(pl.col("due_date").cast(pl.Date), pl.col("paid_date").cast(pl.Date))
        .filter((pl.col("due_date") > start) & (pl.col("due_date") <= end))
        .select("customer_id", "due_date", "amount_due", "paid_date", "auto_debit_status")
        .collect()
    )
    for customer, due, amount, paid, status in payments.iter_rows():
        if status == "failed":
            found.setdefault(str(customer), []).append(
                (TriggerKind.AUTO_DEBIT_FAILED, f"auto-debit of {amount:,.2f} due {due} failed")
            )
        elif paid is None:
            found.setdefault(str(customer), []).append(
                (TriggerKind.PAYMENT_MISSED, f"{amount:,.2f} due {due} unpaid")
            )
    since = datetime.combine(end - timedelta(days=SALARY_LOOKBACK_DAYS), time())
    salaries = (
        scan_table(data_dir, "transactions")
        .with_columns(pl.col("timestamp").cast(pl.Datetime("us")))
        .filter((pl.col("category") == "salary") & (pl.col("timestamp") >= since))
        .group_by("customer_id")
        .agg(pl.col("timestamp").max().alias("last"))
        .collect()
    )
    for customer, last in salaries.iter_rows():
        gap = (end - last.date()).days
        if gap > SALARY_GAP_DAYS:
            found.setdefault(str(customer), []).append(
                (TriggerKind.SALARY_MISSED, f"no salary for {gap} days")
            )
    triggers = []
    for customer, items in sorted(found.items()):
        items.sort(key=lambda item: TRIGGER_ORDER.index(item[0]))
        detail = "; ".join(text for _, text in items)
        triggers.append(casework.Trigger(customer, end, items[0][0], detail))
    return triggers


def raise_triggers(engine: Engine, data_dir: Path) -> int:
    """Stores the data's new triggers for the customers the database has (the data may hold
    others); how many are new."""
    found = detect_triggers(data_dir)
    with session_scope(engine=engine) as session:
        wanted = [t.customer_id for t in found]
        known = set(
            session.exec(select(Customer.customer_id).where(col(Customer.customer_id).in_(wanted)))
        )
        return len(casework.raise_triggers(session, [t for t in found if t.customer_id in known]))
