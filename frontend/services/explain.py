"""Live reason codes: the customer's recent raw activity sent to the scoring service's Explain.

The activity (transactions and obligations in the look-back window before the as-of date)
comes from the canonical data directory (PDE_DATA_DIR); the profile from the database. The
server computes the features with the training code, so the app never computes features.

The as-of date is the one the customer was last scored at, unless that is later than the
data: the window would then hold no activity and every feature would read "missing", so the
customer is explained as of the end of the data instead, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.frontend.services import access
from pde.frontend.services.base import Services, ServiceUnavailableError
from pde.frontend.services.customer import CustomerProfile, check_customer, read_profile
from pde.frontend.services.tables import RISK_SCORES
from pde.jobs.casework import last_event_date
from pde.jobs.casework import scan_table as _scan

if TYPE_CHECKING:
    from pde.jobs.replay import Replay

TOP_K = 6
EXPLAIN_TIMEOUT_S = 10.0


class NotInDataError(PdeError):
    """The customer has no rows in the canonical data: there is no activity to explain."""


@dataclass(frozen=True)
class LiveReason:
    feature: str
    value: float  # the customer's feature value (NaN when the feature has no data)
    contribution: float  # in log-odds; > 0 raises the risk, < 0 lowers it
    text: str  # the customer's value and what is usual
    code: str = ""  # standard reason code (R01...); empty from bundles without codes
    code_text: str = ""


@dataclass(frozen=True)
class Explained:
    probability: float
    model_version: str
    as_of: date
    as_of_note: str | None  # why as_of is not the stored score's date
    reasons: tuple[LiveReason, ...]
    protective: tuple[LiveReason, ...] = ()  # the factors lowering the risk most


def _rows(
    data_dir: Path, name: str, *, customer_id: str, column: str, start: date, end: date
) -> list[dict[str, Any]]:
    import polars as pl

    value = pl.col(column).cast(pl.Datetime("us"))
    lower, upper = datetime.combine(start, time()), datetime.combine(end, time())
    frame = _scan(data_dir, name).filter(pl.col("customer_id") == customer_id)
    rows: list[dict[str, Any]] = (
        frame.filter((value >= lower) & (value < upper)).collect().to_dicts()
    )
    return rows


def in_data(data_dir: Path, customer_id: str) -> bool:
    """Whether the data's customers table has the customer."""
    import polars as pl

    found = (
        _scan(data_dir, "customers")
        .filter(pl.col("customer_id") == customer_id)
        .select(pl.len())
        .collect()
        .item()
    )
    return bool(found)


def raw_activity(
    data_dir: Path, *, profile: CustomerProfile, as_of: date, lookback_days: int
) -> Any:
    """The RawActivity message for one customer as of `as_of` (built by pde.client.activity)."""
    from pde.client.activity import raw_activity as build

    start = as_of - timedelta(days=lookback_days)
    customer = profile.customer_id
    transactions = _rows(
        data_dir, "transactions", customer_id=customer, column="timestamp", start=start, end=as_of
    )
    payments = _rows(
        data_dir, "payments", customer_id=customer, column="due_date", start=start, end=as_of
    )
    return build(
        as_of=as_of, customer=profile.as_record(), transactions=transactions, payments=payments
    )


def choose_as_of(*, scored: date | None, last_event: date) -> tuple[date, str | None]:
    """The date to explain at, and a note when it is not the stored score's date."""
    end = last_event + timedelta(days=1)  # features see events before as_of: all of the data
    if scored is None:
        return end, f"explained as of {end:%Y-%m-%d}, the end of the data (no stored score)"
    if scored > end:
        return end, (
            f"explained as of {end:%Y-%m-%d}, the end of the data (last event"
            f" {last_event:%Y-%m-%d}): the stored score is dated {scored:%Y-%m-%d}, later"
            " than the data"
        )
    return scored, None


def explain_customer(services: Services, user: access.SignedIn, *, customer_id: str) -> Explained:
    """Calls Explain for the customer; an unreachable server raises ServiceUnavailableError,
    a customer absent from the database or the data raises PdeError, one the user may not
    see AccessDeniedError."""
    from pde.client.errors import RiskServiceError

    with services.session() as session:
        check_customer(session, user, customer_id)
        profile = read_profile(session, customer_id)
        scored = session.execute(
            sa.select(sa.func.max(RISK_SCORES.c.as_of)).where(
                RISK_SCORES.c.customer_id == customer_id
            )
        ).scalar_one_or_none()
    if profile is None:
        raise PdeError(f"customer {customer_id} not found")
    data_dir = services.settings.data_dir
    if not in_data(data_dir, customer_id):
        raise NotInDataError(
            f"customer {customer_id} is not in the data at {data_dir}: there is no activity"
            " to explain from"
        )
    as_of, note = choose_as_of(scored=scored, last_event=last_event_date(data_dir))
    activity = raw_activity(
        data_dir, profile=profile, as_of=as_of, lookback_days=DEFAULT_LOOKBACK_DAYS
    )
    try:
        result = services.client().explain(
            customer_id, activity, top_k=TOP_K, timeout=EXPLAIN_TIMEOUT_S
        )
    except RiskServiceError as exc:
        if exc.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
            raise ServiceUnavailableError(
                f"the scoring service at {services.settings.grpc_address} is unavailable"
            ) from exc
        raise
    return Explained(
        probability=result.probability,
        model_version=result.model_version,
        as_of=as_of,
        as_of_note=note,
        reasons=tuple(map(_live, result.reasons)),
        protective=tuple(map(_live, result.protective)),
    )


def replay_decision(
    services: Services,
    user: access.SignedIn,
    *,
    customer_id: str,
    as_of: date,
    model_version: str | None = None,
) -> Replay:
    """Replays the customer's stored decision of `as_of` (`pde.jobs.replay`): the score and
    reasons recomputed with the bundle that made them, and any difference from the stored
    ones. A decision that cannot be replayed raises ReplayError (a PdeError)."""
    from pde.jobs.replay import replay

    with services.session() as session:
        check_customer(session, user, customer_id)
    return replay(
        customer_id,
        as_of=as_of,
        model_version=model_version,
        data_dir=services.settings.data_dir,
        model_dir=services.settings.model_dir,
        engine=services.engine,
    )


def _live(reason: Any) -> LiveReason:
    return LiveReason(
        reason.feature,
        reason.value,
        reason.contribution,
        reason.text,
        code=reason.code,
        code_text=reason.code_text,
    )
