"""Customers from the canonical data directory into the operational database.

The database layer takes rows; reading and validating the data files happens here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.engine import Engine

from pde.contracts.data.io import load_table, table_file
from pde.contracts.data.schema import CREDIT_KINDS, CUSTOMERS, PAYMENTS
from pde.core.errors import PdeError
from pde.db.customers import customer_records, upsert_customers
from pde.db.engine import session_scope


class DataMissingError(PdeError):
    """The canonical data directory has no customers table."""


def read_customer_records(data_dir: Path) -> list[dict[str, Any]]:
    """Profile and exposure of every customer in the canonical data directory (validated)."""
    if not data_dir.is_dir() or table_file(data_dir, CUSTOMERS.name) is None:
        raise DataMissingError(
            f"no customers.parquet or customers.csv in {data_dir}: run pde simulate first "
            "(or pde import), or point PDE_DATA_DIR at a canonical data directory"
        )
    frame, _ = load_table(data_dir, CUSTOMERS)
    return customer_records(frame)


def late_payment_counts(data_dir: Path) -> dict[str, int]:
    """Late or missed credit instalments per customer (empty when there are no payments)."""
    if table_file(data_dir, PAYMENTS.name) is None:
        return {}
    frame, _ = load_table(data_dir, PAYMENTS)
    late = (
        frame.filter(pl.col("kind").is_in(CREDIT_KINDS))
        .filter(pl.col("paid_date").is_null() | (pl.col("paid_date") > pl.col("due_date")))
        .group_by("customer_id")
        .len()
    )
    return dict(zip(late["customer_id"].to_list(), late["len"].to_list(), strict=True))


def load_customers(*, data_dir: Path, actor: str, engine: Engine | None = None) -> int:
    """Loads or refreshes every customer of the data directory in one transaction; the count."""
    records = read_customer_records(data_dir)
    with session_scope(engine=engine) as session:
        return upsert_customers(session=session, records=records, actor=actor)
