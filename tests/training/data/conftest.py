"""Fixtures of the data tests: a tiny valid CSV dataset to break, and one small simulation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pde.training.data.simulate import SimulationConfig, SimulationSummary, simulate

CUSTOMERS_CSV = """\
customer_id,open_date,birth_year,income_bracket,employment_type,region,product,credit_limit,outstanding_balance,monthly_obligation
C1,2020-01-01,1980,low,salaried,north,credit_card,1000,100,50
C2,2021-06-15,1990,middle,contract,south,personal_loan,5000,2500,200
C3,2019-03-02,1975,high,retired,capital,mortgage,90000,80000,900
"""
TRANSACTIONS_CSV = """\
transaction_id,customer_id,timestamp,amount,category,channel,balance_after
T1,C1,2025-01-02 10:00:00,-20.5,groceries,card,979.5
T2,C1,2025-01-03T11:30:00,2000,salary,online,2979.5
T3,C2,2025-01-03 12:00,-40,atm_withdrawal,atm,
"""
PAYMENTS_CSV = """\
obligation_id,customer_id,kind,due_date,amount_due,paid_date,amount_paid,auto_debit,auto_debit_status
O1,C1,card,2025-01-15,50,2025-01-15,50,true,success
O2,C2,loan,2025-01-20,200,,0,false,
O3,C3,mortgage,2025-01-25,900,2025-02-10,900,false,
"""
SMALL = SimulationConfig(customers=2_000, weeks=8, seed=11)

MakeDir = Callable[..., Path]


@pytest.fixture
def make_dataset(tmp_path: Path) -> MakeDir:
    """Writes the tiny valid dataset, with any table's text replaced, and returns its dir."""

    def make(**tables: str) -> Path:
        texts = {
            "customers.csv": CUSTOMERS_CSV,
            "transactions.csv": TRANSACTIONS_CSV,
            "payments.csv": PAYMENTS_CSV,
        }
        for name, text in tables.items():
            texts[f"{name}.csv"] = text
        for name, text in texts.items():
            (tmp_path / name).write_text(text)
        return tmp_path

    return make


@pytest.fixture(scope="session")
def small_simulation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    """2,000 customers x 8 weeks, simulated once for the whole session."""
    out = tmp_path_factory.mktemp("simulation") / "data"
    return out, simulate(SMALL, out)
