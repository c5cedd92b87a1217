"""Live reason codes: the customer's recent raw activity sent to the scoring service's Explain.

The activity (transactions and obligations in the look-back window before the as-of date)
comes from the canonical data directory (PDE_DATA_DIR); the profile from the database. The
server computes the features with the training code, so the app never computes features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from frontend.services.base import Services, ServiceUnavailableError
from pde.errors import PdeError

LOOKBACK_DAYS = 90
TOP_K = 6


@dataclass(frozen=True)
class Explained:
    probability: float
    model_version: str
    reasons: list[tuple[str, float, float, str]]  # feature, value, contribution, text


def _ts(value: date | datetime) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _rows(
    data_dir: Path, name: str, *, customer_id: str, column: str, start: date, end: date
) -> list[dict[str, Any]]:
    import polars as pl

    from training.data.io import table_file

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


def raw_activity(data_dir: Path, *, customer_id: str, profile: dict[str, Any], as_of: date) -> Any:
    """The RawActivity message for one customer as of `as_of`."""
    from pde.risk.v1 import risk_pb2

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
    message = risk_pb2.RawActivity(as_of=_ts(as_of))
    p = message.profile
    p.open_date.CopyFrom(_ts(profile["open_date"]))
    p.birth_year = int(profile["birth_year"])
    p.income_bracket = str(profile["income_bracket"])
    p.employment_type = str(profile["employment_type"])
    p.region = str(profile["region"])
    p.product = str(profile["product"])
    p.credit_limit = float(profile["credit_limit"])
    p.outstanding_balance = float(profile["outstanding_balance"])
    p.monthly_obligation = float(profile["monthly_obligation"])
    if profile.get("declared_income") is not None:
        p.declared_income = float(profile["declared_income"])
    for t in transactions:
        item = message.transactions.add(
            timestamp=_ts(t["timestamp"]),
            amount=float(t["amount"]),
            category=str(t.get("category") or ""),
            channel=str(t.get("channel") or ""),
        )
        if t.get("balance_after") is not None:
            item.balance_after = float(t["balance_after"])
    for o in payments:
        obligation = message.payments.add(
            due_date=_ts(o["due_date"]),
            amount_due=float(o["amount_due"]),
            amount_paid=float(o.get("amount_paid") or 0.0),
            auto_debit=bool(o.get("auto_debit")),
            auto_debit_status=str(o.get("auto_debit_status") or ""),
            kind=str(o.get("kind") or ""),
        )
        if o.get("paid_date") is not None:
            obligation.paid_date.CopyFrom(_ts(o["paid_date"]))
    return message


def explain_customer(
    services: Services, *, customer_id: str, profile: dict[str, Any], as_of: date
) -> Explained:
    """Calls Explain; an unreachable server raises ServiceUnavailableError."""
    from client.errors import RiskServiceError

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
