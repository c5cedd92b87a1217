"""A small canonical data directory around `today` for two customers, with what the call
panel, the trigger events and promise settlement look for."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl

COVERING_PAYMENT = 150.0  # paid on `today` by the first customer


def write_call_data(directory: Path, *, today: date, first: str, second: str) -> Path:
    """`first`: salaries 70 and 40 days ago (none since: salary missed), a loan paid 8 days
    late, an auto-debit failed 3 days ago, COVERING_PAYMENT paid today. `second`: a card bill
    due 2 days ago, unpaid (payment missed)."""
    directory.mkdir(parents=True, exist_ok=True)

    def at(days_ago: int, hour: int = 9) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour))

    transactions = [
        ("T1", first, at(70), 2500.0, "salary", "direct_debit"),
        ("T2", first, at(40), 2500.0, "salary", "direct_debit"),
        ("T3", first, at(5), -64.5, "groceries", "card"),
        ("T4", first, at(2), -80.0, "gambling", "online"),
        ("T5", first, at(0, 8), -COVERING_PAYMENT, "loan_repayment", "online"),
        ("T6", second, at(1), -20.0, "dining", "card"),
    ]
    pl.DataFrame(
        transactions,
        schema=["transaction_id", "customer_id", "timestamp", "amount", "category", "channel"],
        orient="row",
    ).write_parquet(directory / "transactions.parquet")
    day = lambda n: today - timedelta(days=n)  # noqa: E731
    payments = [
        ("P1", first, "loan", day(33), 300.0, day(25), 300.0, False, None),
        ("P2", first, "card", day(3), 120.0, None, 0.0, True, "failed"),
        ("P3", first, "loan", day(0), COVERING_PAYMENT, day(0), COVERING_PAYMENT, False, None),
        ("P4", second, "card", day(2), 90.0, None, 0.0, False, None),
    ]
    pl.DataFrame(
        payments,
        schema={
            "obligation_id": pl.String,
            "customer_id": pl.String,
            "kind": pl.String,
            "due_date": pl.Date,
            "amount_due": pl.Float64,
            "paid_date": pl.Date,
            "amount_paid": pl.Float64,
            "auto_debit": pl.Boolean,
            "auto_debit_status": pl.String,
        },
        orient="row",
    ).write_parquet(directory / "payments.parquet")
    return directory
