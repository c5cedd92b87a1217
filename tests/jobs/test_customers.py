"""Customers loaded from a canonical data directory into a real database."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlmodel import func, select

from pde.db.models import Customer
from pde.jobs import customers


def test_customers_load_from_canonical_data_and_reload(db, canonical_dir: Path) -> None:
    assert customers.load_customers(data_dir=canonical_dir, actor="admin", engine=db.engine) == 150
    assert customers.load_customers(data_dir=canonical_dir, actor="admin", engine=db.engine) == 150
    frame = pl.read_parquet(canonical_dir / "customers.parquet")
    first = frame.row(0, named=True)
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 150
        row = s.get(Customer, first["customer_id"])
        assert row is not None
        assert float(row.credit_limit) == pytest.approx(first["credit_limit"], abs=0.005)


def test_customers_missing_data_says_run_simulate(tmp_path: Path) -> None:
    for missing in (tmp_path / "nothing", tmp_path):
        with pytest.raises(customers.DataMissingError, match="run pde simulate first"):
            customers.read_customer_records(missing)


def test_customers_late_payment_counts(canonical_dir: Path, tmp_path: Path) -> None:
    late = customers.late_payment_counts(canonical_dir)
    payments = pl.read_parquet(canonical_dir / "payments.parquet")
    credit = payments.filter(pl.col("kind").is_in(["loan", "card", "mortgage"]))
    missed_or_late = credit.filter(
        pl.col("paid_date").is_null() | (pl.col("paid_date") > pl.col("due_date"))
    )
    assert sum(late.values()) == missed_or_late.height > 0
    assert all(count > 0 for count in late.values())
    without_payments = tmp_path / "data"
    without_payments.mkdir()
    shutil.copy(canonical_dir / "customers.parquet", without_payments)
    assert customers.late_payment_counts(without_payments) == {}
