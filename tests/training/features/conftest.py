"""A small hand-made canonical dataset with every kind of event, for the feature tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from pde.contracts.data.dataset import CanonicalData

START = date(2025, 1, 6)
DAYS = 160
CATEGORIES = (
    "groceries",
    "dining",
    "atm_withdrawal",
    "gambling",
    "lending_app",
    "utility",
    "card_purchase",
    "fees",
    "transfer_in",
    "savings_transfer",
)
CHANNELS = ("card", "atm", "online", "mobile", "branch")


def make_data(n_customers: int = 40, seed: int = 7) -> CanonicalData:
    rng = np.random.default_rng(seed)
    ids = [f"C{i:04d}" for i in range(n_customers)]
    customers = pl.DataFrame(
        {
            "customer_id": ids,
            "open_date": [
                START - timedelta(days=int(d)) for d in rng.integers(30, 3000, n_customers)
            ],
            "birth_year": rng.integers(1950, 2000, n_customers),
            "income_bracket": rng.choice(["low", "middle", "high"], n_customers),
            "employment_type": rng.choice(["salaried", "contract", "unemployed"], n_customers),
            "region": rng.choice(["north", "south"], n_customers),
            "product": rng.choice(["credit_card", "personal_loan"], n_customers),
            "credit_limit": rng.uniform(1000, 20000, n_customers),
            "outstanding_balance": rng.uniform(0, 10000, n_customers),
            "monthly_obligation": rng.uniform(50, 800, n_customers),
            "declared_income": rng.uniform(1500, 6000, n_customers),
        }
    )
    tx_rows: list[dict[str, object]] = []
    pay_rows: list[dict[str, object]] = []
    for i, cid in enumerate(ids):
        balance = float(rng.uniform(0, 5000))
        pay_day = int(rng.integers(1, 28))
        salary = float(rng.uniform(1500, 5000))
        stressed = rng.random() < 0.3
        for day in range(DAYS):
            when = datetime.combine(START + timedelta(days=day), datetime.min.time())
            current = START + timedelta(days=day)
            if current.day == pay_day and not (stressed and rng.random() < 0.4):
                delay = int(rng.integers(0, 10)) if stressed else 0
                balance += salary
                tx_rows.append(
                    dict(
                        customer_id=cid,
                        timestamp=when + timedelta(days=delay, hours=9),
                        amount=salary,
                        category="salary",
                        channel="online",
                        balance_after=balance,
                    )
                )
            for _ in range(int(rng.poisson(1.2))):
                category = str(rng.choice(CATEGORIES))
                amount = float(rng.gamma(2.0, 40.0))
                signed = amount if category in ("transfer_in",) else -amount
                if category == "lending_app" and rng.random() < 0.5:
                    signed = amount * 5
                balance += signed
                tx_rows.append(
                    dict(
                        customer_id=cid,
                        timestamp=when + timedelta(hours=int(rng.integers(8, 22))),
                        amount=signed,
                        category=category,
                        channel=str(rng.choice(CHANNELS)),
                        balance_after=balance,
                    )
                )
        for month in range(6):
            due = date(2025, 1 + month, min(pay_day + 3, 28))
            late = rng.random() < (0.4 if stressed else 0.05)
            unpaid = late and rng.random() < 0.5
            paid_date = (
                None if unpaid else due + timedelta(days=int(rng.integers(6, 20)) if late else 0)
            )
            amount_due = float(customers["monthly_obligation"][i])
            auto = bool(rng.random() < 0.6)
            pay_rows.append(
                dict(
                    obligation_id=f"{cid}-L{month}",
                    customer_id=cid,
                    kind="loan",
                    due_date=due,
                    amount_due=amount_due,
                    paid_date=paid_date,
                    amount_paid=0.0 if unpaid else amount_due,
                    auto_debit=auto,
                    auto_debit_status=("failed" if late else "success") if auto else None,
                )
            )
            bill_due = date(2025, 1 + month, 10)
            pay_rows.append(
                dict(
                    obligation_id=f"{cid}-U{month}",
                    customer_id=cid,
                    kind="utility",
                    due_date=bill_due,
                    amount_due=80.0,
                    paid_date=bill_due
                    + timedelta(days=int(rng.integers(0, 3 if not stressed else 15))),
                    amount_paid=80.0,
                    auto_debit=False,
                    auto_debit_status=None,
                )
            )
    transactions = (
        pl.DataFrame(tx_rows)
        .with_columns(pl.col("timestamp").cast(pl.Datetime("us")))
        .with_row_index("n")
        .select(pl.format("T{}", pl.col("n")).alias("transaction_id"), pl.exclude("n"))
    )
    payments = pl.DataFrame(
        pay_rows, schema_overrides={"paid_date": pl.Date, "auto_debit_status": pl.String}
    )
    return CanonicalData(customers=customers, transactions=transactions, payments=payments)


@pytest.fixture(scope="session")
def small_data() -> CanonicalData:
    return make_data()


@pytest.fixture(scope="session")
def larger_data() -> CanonicalData:
    return make_data(n_customers=300, seed=11)
