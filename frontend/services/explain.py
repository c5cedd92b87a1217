"""Live reason codes: the customer's recent raw activity sent to the scoring service's Explain.

The activity (transactions and obligations in the look-back window before the as-of date)
comes from the canonical data directory (PDE_DATA_DIR); the profile from the database. The
server computes the features with the training code, so the app never computes features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pde.core.errors import PdeError
from pde.frontend.services.base import Services, ServiceUnavailableError

LOOKBACK_DAYS = 90
TOP_K = 6


@dataclass(frozen=True)
class Explained:
    probability: float
    model_version: str
    reasons: list[tuple[str, float, float, str]]  # feature, value, contribution, text


def _rows(
    data_dir: Path, name: str, *, customer_id: str, column: str, start: date, end: date
) -> list[dict[str, Any]]:
    import polars as pl

    from pde.contracts.data.io import table_file

    path = table_file(data_dir, name)
    if path is None:
        raise PdeError(f"no {name} data in {data_dir} to explain from (set PDE_DATA_DIR)")
    frame = (
        pl.scan_parquet(path)
        if path.suffix == ".parquet"
        else pl.scan_csv(path, try_parse_dates=True)
    )
    lower = datetime.combine(start, time())
    upper = datetime.combine(end, time())
    value = pl.col(column).cast(pl.Datetime("us"))
    return (
        frame.filter(pl.col("customer_id") == customer_id)
        .filter((value >= lower) & (value < upper))
        .collect()
        .to_dicts()
    )


def latest_activity_date(data_dir: Path) -> date:
    """The day after the newest transaction in the data (the as-of of an unscored customer)."""
    import polars as pl

    from pde.contracts.data.io import table_file

    path = table_file(data_dir, "transactions")
    if path is None:
        raise PdeError(f"no transactions data in {data_dir} to explain from (set PDE_DATA_DIR)")
    frame = pl.scan_parquet(path) if path.suffix == ".parquet" else pl.scan_csv(path)
    newest = frame.select(pl.col("timestamp").cast(pl.Datetime("us")).max()).collect().item()
    if newest is None:
        raise PdeError(f"{path} has no transactions")
    return newest.date() + timedelta(days=1)  # type: ignore[no-any-return]


def raw_activity(data_dir: Path, *, customer_id: str, profile: dict[str, Any], as_of: date) -> Any:
    """The RawActivity message for one customer as of `as_of` (built by pde.client.activity)."""
    from pde.client.activity import raw_activity as build

    start = as_of - timedelta(days=LOOKBACK_DAYS)
    transactions = _rows(
        data_dir,
        "transactions",
        customer_id=customer_id,
        column="timestamp",
        start=start,
        end=as_of,
    )
    payments = _rows(
        data_dir, "payments", customer_id=customer_id, column="due_date", start=start, end=as_of
    )
    return build(as_of=as_of, customer=profile, transactions=transactions, payments=payments)


def explain_customer(
    services: Services, *, customer_id: str, profile: dict[str, Any], as_of: date
) -> Explained:
    """Calls Explain; an unreachable server raises ServiceUnavailableError."""
    from pde.client.errors import RiskServiceError

    activity = raw_activity(
        services.settings.data_dir, customer_id=customer_id, profile=profile, as_of=as_of
    )
    try:
        result = services.client().explain(customer_id, activity, top_k=TOP_K, timeout=10.0)
    except RiskServiceError as exc:
        if exc.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            raise ServiceUnavailableError(
                f"the scoring service at {services.settings.grpc_address} is unavailable"
            ) from exc
        raise
    return Explained(
        probability=result.probability,
        model_version=result.model_version,
        reasons=[(r.feature, r.value, r.contribution, r.text) for r in result.reasons],
    )
