"""Action Center: the priority queue in three urgency tiers, with recommendation and cool-down.

The recommendation is the recommender's stored one (`pde.frontend.services.recommendations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.names import ALERT_TIERS, RiskTier
from pde.core.settings import Settings
from pde.db.models.enums import InterventionStatus, InterventionType
from pde.db.policy import WorkflowPolicy
from pde.db.types import utc_now
from pde.decision import policy_from_settings
from pde.frontend.services import access
from pde.frontend.services.base import Services, ServiceUnavailableError
from pde.frontend.services.catalogue import (
    ACCELERATION_DELTA,
    ACTIONS,
    OPEN_STATUS_NAMES,
    action_label,
)
from pde.frontend.services.recommendations import shown_for
from pde.frontend.services.snapshot import (
    Snapshot,
    current_scores,
    latest_snapshot,
    previous_scores,
)
from pde.frontend.services.tables import ASSIGNMENTS, CUSTOMERS, INTERVENTIONS

URGENCIES = ("imminent", "accelerating", "stable")
# A customer whose chance of a miss within 7 days is at least this is "imminent".
IMMINENT_MISS_7D = 0.5


@dataclass(frozen=True)
class QueueRow:
    """One customer in the queue, with the recommended action and its economics."""

    customer_id: str
    probability: float
    tier: str
    delta: float  # change in probability since the previous score date
    urgency: str
    outstanding_balance: float
    product: str
    region: str
    action: str  # the recommended action; "" when none pays for itself
    action_label: str
    expected_effect: float | None  # fall in the 30-day miss probability
    cost: float
    net_benefit: float | None
    why: str
    vulnerable: bool  # showed a vulnerability signal: support path, treat with care
    held_out: bool  # kept back as this week's control group
    effect_basis: str  # learned (uplift models) or prior (PDE_ACTION_EFFECT)
    open_work: bool  # an open intervention exists for the customer
    cool_down: str  # "" or which recent intervention blocks a new one, until when
    miss_within_7d: float | None  # the hazard model's 7-day chance; None without a forecast

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> QueueRow:
        """The row back from a record that holds its fields (a table row of the page)."""
        return cls(**{f.name: record[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class AlertSummary:
    """The latest scoring run's alerts (the whole portfolio's) against the team's capacity."""

    snapshot: Snapshot
    alerts: int
    capacity: int


@dataclass(frozen=True)
class QueuePage:
    snapshot: Snapshot | None
    counts: Mapping[str, int]  # customers per urgency
    rows: tuple[QueueRow, ...]
    total: int  # customers in the chosen urgency


def queue_page(
    services: Services, user: access.SignedIn, *, urgency: str, page: int, page_size: int
) -> QueuePage:
    """One page of the queue for `urgency`, limited to the user's customers for an officer."""
    with services.session() as session:
        return read_queue_page(
            session,
            urgency=urgency,
            page=page,
            page_size=page_size,
            officer=access.officer_scope(user),
            policy=services.policy,
            settings=services.settings,
        )


def first_urgency(services: Services, user: access.SignedIn) -> str:
    """The most urgent tab with customers for the user (customers being worked are not in
    the queue, so the imminent tab can be empty)."""
    try:
        counts = queue_page(services, user, urgency=URGENCIES[0], page=0, page_size=1).counts
    except ServiceUnavailableError:
        return URGENCIES[0]
    return next((key for key in URGENCIES if counts.get(key)), URGENCIES[0])


def alert_summary(services: Services) -> AlertSummary | None:
    """Alerts of the latest snapshot and the weekly capacity of the configured policy
    (PDE_OFFICERS x PDE_CONTACTS_PER_OFFICER); None before any scores."""
    capacity = policy_from_settings(services.settings).capacity
    with services.session() as session:
        snapshot = latest_snapshot(session)
        if snapshot is None:
            return None
        scores = current_scores(snapshot)
        alerts = session.execute(
            sa.select(sa.func.count()).select_from(scores).where(scores.c.alert.is_(True))
        ).scalar_one()
    return AlertSummary(snapshot, int(alerts), capacity)


def _queue_query(
    snapshot: Snapshot, *, officer: str | None
) -> tuple[sa.Select[Any], sa.ColumnElement[str]]:
    current, previous = current_scores(snapshot), previous_scores(snapshot)
    source = current.join(CUSTOMERS, CUSTOMERS.c.customer_id == current.c.customer_id)
    delta: sa.ColumnElement[Any] = sa.literal(0.0)
    if previous is not None:
        source = source.join(
            previous, previous.c.customer_id == current.c.customer_id, isouter=True
        )
        delta = sa.func.coalesce(current.c.probability - previous.c.prev_probability, 0.0)
    if officer is not None:
        source = source.join(
            ASSIGNMENTS,
            (ASSIGNMENTS.c.customer_id == current.c.customer_id) & ASSIGNMENTS.c.ended_at.is_(None),
        )
    urgency = sa.case(
        # likely to miss within days: the hazard model's 7-day chance; scores of a model
        # without one fall back on the critical tier
        (current.c.miss_within_7d >= IMMINENT_MISS_7D, "imminent"),
        (
            current.c.miss_within_7d.is_(None) & (current.c.tier == RiskTier.CRITICAL.value),
            "imminent",
        ),
        (delta >= ACCELERATION_DELTA, "accelerating"),
        else_="stable",
    )
    query = (
        sa.select(
            current.c.customer_id,
            current.c.probability,
            current.c.tier,
            delta.label("delta"),
            urgency.label("urgency"),
            CUSTOMERS.c.outstanding_balance,
            CUSTOMERS.c.product,
            CUSTOMERS.c.region,
            current.c.miss_within_7d,
        )
        .select_from(source)
        .where(current.c.tier.in_(ALERT_TIERS))
    )
    if officer is not None:
        query = query.where(ASSIGNMENTS.c.officer == officer)
    # Customers with open work are being worked: they leave the queue until it closes.
    work = INTERVENTIONS.c
    query = query.where(
        ~sa.exists().where(
            work.customer_id == current.c.customer_id, work.status.in_(OPEN_STATUS_NAMES)
        )
    )
    return query, urgency


def read_queue_page(
    session: Session,
    *,
    urgency: str,
    page: int,
    page_size: int,
    officer: str | None,
    policy: WorkflowPolicy,
    settings: Settings | None = None,
) -> QueuePage:
    """One page of the queue for `urgency`; `officer` limits it to that officer's customers."""
    snapshot = latest_snapshot(session)
    if snapshot is None:
        return QueuePage(None, dict.fromkeys(URGENCIES, 0), (), 0)
    query, urgency_column = _queue_query(snapshot, officer=officer)
    queue = query.subquery("queue")
    counts = dict.fromkeys(URGENCIES, 0)
    for name, n in session.execute(
        sa.select(queue.c.urgency, sa.func.count()).group_by(queue.c.urgency)
    ):
        counts[str(name)] = int(n)
    rows = session.execute(
        query.where(urgency_column == urgency)
        .order_by(query.selected_columns.probability.desc(), query.selected_columns.customer_id)
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    records = [dict(row._mapping) for row in rows]
    settings = settings or Settings.model_construct()  # the documented defaults
    shown = _decorate(session, records, policy, settings, snapshot)
    return QueuePage(snapshot, counts, tuple(shown), counts.get(urgency, 0))


def _recent_work(
    session: Session, customer_ids: list[str], policy: WorkflowPolicy
) -> tuple[dict[str, tuple[str, datetime]], set[str]]:
    """({customer: (type, created_at) of the latest intervention in cool-down}, customers
    with open work)."""
    work = INTERVENTIONS.c
    recent: dict[str, tuple[str, datetime]] = {}
    for customer_id, kind, created_at in session.execute(
        sa.select(work.customer_id, work.type, work.created_at)
        .where(
            work.customer_id.in_(customer_ids),
            work.status != InterventionStatus.CANCELLED.value,
            work.created_at > policy.cool_down_start(utc_now()),
        )
        .order_by(work.created_at)
    ):
        recent[customer_id] = (str(kind), created_at)
    with_open_work = {
        str(customer_id)
        for (customer_id,) in session.execute(
            sa.select(work.customer_id).where(
                work.customer_id.in_(customer_ids), work.status.in_(OPEN_STATUS_NAMES)
            )
        )
    }
    return recent, with_open_work


def _decorate(
    session: Session,
    records: list[dict[str, Any]],
    policy: WorkflowPolicy,
    settings: Settings,
    snapshot: Snapshot,
) -> list[QueueRow]:
    """Each row with the recommendation, its economics, open work and cool-down."""
    if not records:
        return []
    shown = shown_for(session, settings, as_of=snapshot.as_of, records=records)
    recent, with_open_work = _recent_work(session, [r["customer_id"] for r in records], policy)
    rows = []
    for record in records:
        rec = shown[str(record["customer_id"])]
        last = recent.get(record["customer_id"])
        cool_down = ""
        if last is not None:
            kind, created_at = last
            until = created_at + timedelta(days=policy.cool_down_days)
            cool_down = f"{kind.replace('_', ' ')} until {until:%d %b}"
        miss = record["miss_within_7d"]
        rows.append(
            QueueRow(
                customer_id=str(record["customer_id"]),
                probability=float(record["probability"]),
                tier=str(record["tier"]),
                delta=float(record["delta"]),
                urgency=str(record["urgency"]),
                outstanding_balance=float(record["outstanding_balance"]),
                product=str(record["product"]),
                region=str(record["region"]),
                action=rec.action,
                action_label=action_label(rec.action) or "no action",
                expected_effect=rec.expected_effect,
                cost=ACTIONS[InterventionType(rec.action)].cost if rec.action else 0.0,
                net_benefit=rec.net_benefit,
                why=rec.why,
                vulnerable=rec.vulnerable,
                held_out=rec.held_out,
                effect_basis=rec.effect_basis,
                open_work=record["customer_id"] in with_open_work,
                cool_down=cool_down,
                miss_within_7d=None if miss is None else float(miss),
            )
        )
    return rows
