"""Trigger events from the latest data: a salary that stopped, an auto-debit that failed, a
payment missed. Raised at most once per customer per day (the day is the data's last day, so
re-reading the same data raises nothing new) and stored, then shown on the Monitor."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from pde.contracts.data.io import table_file
from pde.core.errors import PdeError
from pde.db import casework
from pde.db.models.casework import TriggerKind
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.base import Services, database_errors
from pde.frontend.services.casework import settle_promises
from pde.frontend.services.tables import ASSIGNMENTS
from pde.jobs import casework as jobs_casework

log = logging.getLogger(__name__)

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


def raise_from_data(services: Services) -> int:
    """Stores the latest data's triggers not raised yet (`pde.jobs.casework`); how many are
    new. Checked at most every CHECK_TTL_S per data file version."""
    data_dir = services.settings.data_dir
    path = table_file(data_dir, "payments")
    if path is None:
        return 0
    key = ("triggers", str(data_dir), path.stat().st_mtime_ns)

    def check() -> int:
        with database_errors():
            return jobs_casework.raise_triggers(services.engine, data_dir)

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
