"""Action Center: the priority queue in three urgency tiers, with recommendation and cool-down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db.policy import DEFAULT_POLICY, OPEN_STATUSES, WorkflowPolicy
from pde.db.types import utc_now
from pde.frontend.services.catalogue import ACCELERATION_DELTA, ACTIONS, expected_value, recommend
from pde.frontend.services.snapshot import (
    Snapshot,
    current_scores,
    latest_snapshot,
    previous_scores,
)
from pde.frontend.services.success import success_rates
from pde.frontend.services.tables import ASG, CUST, IV

URGENCIES = ("imminent", "accelerating", "stable")


@dataclass(frozen=True)
class QueuePage:
    snapshot: Snapshot | None
    counts: dict[str, int]
    rows: list[dict[str, Any]]
    total: int


def _queue_query(
    snapshot: Snapshot, *, officer: str | None
) -> tuple[sa.Select[Any], sa.ColumnElement[str]]:
    cur, prev = current_scores(snapshot), previous_scores(snapshot)
    source = cur.join(CUST, CUST.c.customer_id == cur.c.customer_id)
    delta: sa.ColumnElement[Any] = sa.literal(0.0)
    if prev is not None:
        source = source.join(prev, prev.c.customer_id == cur.c.customer_id, isouter=True)
        delta = sa.func.coalesce(cur.c.probability - prev.c.prev_probability, 0.0)
    if officer is not None:
        source = source.join(
            ASG, (ASG.c.customer_id == cur.c.customer_id) & ASG.c.ended_at.is_(None)
        )
    urgency = sa.case(
        (cur.c.tier == "critical", "imminent"),
        (delta >= ACCELERATION_DELTA, "accelerating"),
        else_="stable",
    )
    query = (
        sa.select(
            cur.c.customer_id,
            cur.c.probability,
            cur.c.tier,
            delta.label("delta"),
            urgency.label("urgency"),
            CUST.c.outstanding_balance,
            CUST.c.product,
            CUST.c.region,
        )
        .select_from(source)
        .where(cur.c.tier.in_(("high", "critical")))
    )
    if officer is not None:
        query = query.where(ASG.c.officer == officer)
    return query, urgency


def queue_page(
    session: Session,
    *,
    urgency: str,
    page: int,
    page_size: int,
    officer: str | None,
    policy: WorkflowPolicy = DEFAULT_POLICY,
) -> QueuePage:
    """One page of the queue for `urgency`; `officer` limits it to that officer's customers."""
    snapshot = latest_snapshot(session)
    if snapshot is None:
        return QueuePage(None, dict.fromkeys(URGENCIES, 0), [], 0)
    query, urgency_col = _queue_query(snapshot, officer=officer)
    inner = query.subquery("q")
    counts = dict.fromkeys(URGENCIES, 0)
    for name, n in session.execute(
        sa.select(inner.c.urgency, sa.func.count()).group_by(inner.c.urgency)
    ):
        counts[str(name)] = int(n)
    rows = session.execute(
        query.where(urgency_col == urgency)
        .order_by(query.selected_columns.probability.desc(), query.selected_columns.customer_id)
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    records = [dict(row._mapping) for row in rows]
    _decorate(session, records, policy)
    return QueuePage(snapshot, counts, records, counts.get(urgency, 0))


def _decorate(session: Session, records: list[dict[str, Any]], policy: WorkflowPolicy) -> None:
    """Adds the recommendation, its economics, open work and cool-down to each row."""
    ids = [r["customer_id"] for r in records]
    if not ids:
        return
    rates = success_rates(session)
    now = utc_now()
    recent: dict[str, tuple[str, datetime, str]] = {}
    for customer_id, kind, created_at, status in session.execute(
        sa.select(IV.c.customer_id, IV.c.type, IV.c.created_at, IV.c.status)
        .where(
            IV.c.customer_id.in_(ids),
            IV.c.status != "cancelled",
            IV.c.created_at > policy.cool_down_start(now),
        )
        .order_by(IV.c.created_at)
    ):
        recent[customer_id] = (str(kind), created_at, str(status))
    open_ids = {
        cid
        for (cid,) in session.execute(
            sa.select(IV.c.customer_id).where(
                IV.c.customer_id.in_(ids), IV.c.status.in_([s.value for s in OPEN_STATUSES])
            )
        )
    }
    for record in records:
        exposure = float(record["outstanding_balance"])
        action = recommend(
            tier=record["tier"],
            urgency=record["urgency"],
            probability=record["probability"],
            exposure=exposure,
        )
        spec = ACTIONS[action]
        rate = rates.get(action.value, spec.prior_success)
        avoided, net = expected_value(
            probability=record["probability"], exposure=exposure, success_rate=rate, cost=spec.cost
        )
        record.update(
            action=action.value,
            action_label=spec.label,
            success_rate=rate,
            cost=spec.cost,
            loss_avoided=avoided,
            net_benefit=net,
            open_work=record["customer_id"] in open_ids,
        )
        last = recent.get(record["customer_id"])
        if last is not None:
            kind, created_at, _ = last
            until = created_at + timedelta(days=policy.cool_down_days)
            record["cool_down"] = f"{kind.replace('_', ' ')} until {until:%d %b}"
        else:
            record["cool_down"] = ""
