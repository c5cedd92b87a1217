"""The recommender's stored answers and the contact history it needs.

`save_recommendations` replaces a scoring date's rows for the customers given (a re-run of the
date writes them again); `contact_history` reads the `interventions` table: each customer's
contacts in the 30 days before a date and the days since each action was last taken
(cancelled interventions never reached the customer and do not count). The caller owns the
transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from pde.contracts.interventions import ACTIONS
from pde.db.batches import id_batches
from pde.db.models.enums import InterventionStatus
from pde.db.models.intervention import Intervention
from pde.db.models.recommendation import Recommendation, RecommendationCreate
from pde.db.models.scoring import RiskScore

CONTACT_WINDOW_DAYS = 30


def save_recommendations(
    *, session: Session, as_of: date, rows: Sequence[RecommendationCreate]
) -> int:
    """Writes the date's recommendations, replacing those stored for the same customers."""
    for batch in id_batches([row.customer_id for row in rows]):
        session.exec(  # type: ignore[call-overload]
            delete(Recommendation).where(
                col(Recommendation.as_of) == as_of, col(Recommendation.customer_id).in_(batch)
            )
        )
    session.add_all(Recommendation.model_validate(row) for row in rows)
    session.flush()
    return len(rows)


def recommendations_for(
    *, session: Session, as_of: date, customer_ids: Sequence[str]
) -> dict[str, Recommendation]:
    """The stored recommendations of these customers on `as_of`, by customer."""
    found: dict[str, Recommendation] = {}
    for batch in id_batches(customer_ids):
        query = select(Recommendation).where(
            col(Recommendation.as_of) == as_of, col(Recommendation.customer_id).in_(batch)
        )
        found.update({r.customer_id: r for r in session.exec(query).all()})
    return found


def latest_recommendations(
    *, session: Session, customer_ids: Sequence[str]
) -> dict[str, Recommendation]:
    """Each customer's most recent stored recommendation."""
    found: dict[str, Recommendation] = {}
    for batch in id_batches(customer_ids):
        query = (
            select(Recommendation)
            .where(col(Recommendation.customer_id).in_(batch))
            .order_by(col(Recommendation.as_of))
        )
        found.update({r.customer_id: r for r in session.exec(query).all()})
    return found


def held_out_until(*, session: Session, until: date) -> list[tuple[str, date]]:
    """(customer, scoring date) of the held-out recommendations dated on or before `until`."""
    query = (
        select(col(Recommendation.customer_id), col(Recommendation.as_of))
        .where(col(Recommendation.held_out), col(Recommendation.as_of) <= until)
        .order_by(col(Recommendation.as_of), col(Recommendation.customer_id))
    )
    return [(str(customer), day) for customer, day in session.exec(query).all()]


def held_out_pending(*, session: Session, after: date) -> int:
    """Held-out recommendations dated after `after`: their outcome window is still open."""
    query = (
        select(sa.func.count())
        .select_from(Recommendation)
        .where(col(Recommendation.held_out), col(Recommendation.as_of) > after)
    )
    return int(session.exec(query).one())


def contact_history(
    *, session: Session, customer_ids: Sequence[str], as_of: date
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per customer (input order): contacts in the 30 days before `as_of`, and days since
    each action of `ACTIONS` was last taken before it (inf: never)."""
    index = {c: i for i, c in enumerate(customer_ids)}
    contacts = np.zeros(len(customer_ids), dtype=np.int64)
    days_since = np.full((len(customer_ids), len(ACTIONS)), np.inf)
    column = {a: j for j, a in enumerate(ACTIONS)}
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    window = end - timedelta(days=CONTACT_WINDOW_DAYS)
    for batch in id_batches(customer_ids):
        query = select(Intervention.customer_id, Intervention.type, Intervention.created_at).where(
            col(Intervention.customer_id).in_(batch),
            col(Intervention.status) != InterventionStatus.CANCELLED,
            col(Intervention.created_at) < end,
        )
        for customer, kind, created in session.exec(query).all():
            row = index[customer]
            if created >= window:
                contacts[row] += 1
            j = column.get(str(kind.value if hasattr(kind, "value") else kind))
            if j is not None:
                days = (end - created).total_seconds() / 86_400
                days_since[row, j] = min(days_since[row, j], days)
    return contacts, days_since


def stored_reasons(
    *, session: Session, as_of: date, model_version: str, customer_ids: Sequence[str]
) -> dict[str, list[dict[str, object]]]:
    """The top reasons stored with these customers' scores of `as_of` by `model_version`."""
    found: dict[str, list[dict[str, object]]] = {}
    for batch in id_batches(customer_ids):
        query = select(RiskScore.customer_id, RiskScore.top_reasons).where(
            col(RiskScore.as_of) == as_of,
            col(RiskScore.model_version) == model_version,
            col(RiskScore.customer_id).in_(batch),
        )
        found.update({c: list(r or []) for c, r in session.exec(query).all()})
    return found
