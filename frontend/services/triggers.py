"""Trigger events from the latest data: a salary that stopped, an auto-debit that failed, a
payment missed. Raised at most once per customer per day (the day is the data's last day, so
re-reading the same data raises nothing new) and stored, then shown on the Monitor."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa

from pde.contracts.data.io import table_file
from pde.core.errors import PdeError
from pde.db import casework
from pde.db.models.casework import TriggerKind
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.activity import last_event_date, scan_table
from pde.frontend.services.base import Services
from pde.frontend.services.casework import settle_promises
from pde.frontend.services.tables import ASSIGNMENTS, CUSTOMERS

log = logging.getLogger(__name__)

WINDOW_DAYS = 7  # events of the data's last week raise triggers
SALARY_GAP_DAYS = 35  # no salary for longer than this (after salaries before): salary missed
SALARY_LOOKBACK_DAYS = 120
CHECK_TTL_S = 300.0
SHOWN = 20
LABELS = {
    TriggerKind.AUTO_DEBIT_FAILED: "Auto-debit failed",
    TriggerKind.SALARY_MISSED: "Salary missed",
    TriggerKind.PAYMENT_MISSED: "Payment missed",
}


@dataclass(frozen=True)
class TriggerLine:
    customer_id: str
    day: date
    label: str
    detail: str


def detect(data_dir: Path) -> list[casework.Trigger]:
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
    order = list(LABELS)
    triggers = []
    for customer, items in sorted(found.items()):
        items.sort(key=lambda item: order.index(item[0]))
        detail = "; ".join(text for _, text in items)
        triggers.append(casework.Trigger(customer, end, items[0][0], detail))
    return triggers


def raise_from_data(services: Services) -> int:
    """Stores the latest data's triggers not raised yet; how many are new. Checked at most
    every CHECK_TTL_S per data file version; no data raises nothing (logged by the caller)."""
    data_dir = services.settings.data_dir
    path = table_file(data_dir, "payments")
    if path is None:
        return 0
    key = ("triggers", str(data_dir), path.stat().st_mtime_ns)

    def check() -> int:
        found = detect(data_dir)
        with services.session() as session:
            known = {
                str(c)
                for (c,) in session.execute(
                    sa.select(CUSTOMERS.c.customer_id).where(
                        CUSTOMERS.c.customer_id.in_([t.customer_id for t in found])
                    )
                )
            }  # the data may hold customers the database does not (yet)
            return len(
                casework.raise_triggers(session, [t for t in found if t.customer_id in known])
            )

    raised: int = services.cached(key, check, ttl=CHECK_TTL_S)
    return raised


def recent(services: Services, user: access.SignedIn, *, days: int = 30) -> tuple[TriggerLine, ...]:
    """The triggers of the last `days` before the newest one, newest first; an officer sees
    their customers' only."""
    officer = access.officer_scope(user)
    with services.session() as session:
        customers = None
        if officer is not None:
            customers = [
                str(c)
                for (c,) in session.execute(
                    sa.select(ASSIGNMENTS.c.customer_id).where(
                        ASSIGNMENTS.c.officer == officer, ASSIGNMENTS.c.ended_at.is_(None)
                    )
                )
            ]
        newest = casework.recent_triggers(session, since=date.min, customers=customers, limit=1)
        if not newest:
            return ()
        since = newest[0].day - timedelta(days=days)
        rows = casework.recent_triggers(session, since=since, customers=customers, limit=SHOWN)
    return tuple(TriggerLine(r.customer_id, r.day, LABELS[r.kind], r.detail) for r in rows)


def refresh(services: Services) -> None:
    """Raises the data's new triggers and settles the open promises to pay (each at most
    every CHECK_TTL_S); a data problem leaves what is stored as it is."""
    try:
        raise_from_data(services)
    except PdeError as exc:
        log.warning("trigger events not raised: %s", exc)
    services.cached(
        ("promises", utc_now().date()), lambda: settle_promises(services), ttl=CHECK_TTL_S
    )
