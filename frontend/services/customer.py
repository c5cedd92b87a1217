"""Customer Deep Dive: search, profile and exposure, score history, segment comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.frontend.services.snapshot import Snapshot, current_scores, latest_snapshot
from pde.frontend.services.tables import ASG, AUDIT, CUST, IV, OUT, RS

SEARCH_LIMIT = 20
HISTORY_POINTS = 60


@dataclass
class CustomerView:
    profile: dict[str, Any]
    snapshot: Snapshot | None
    score: dict[str, Any] | None
    officer: str | None
    history: list[tuple[date, float]] = field(default_factory=list)
    segment: dict[str, Any] = field(default_factory=dict)


def search(session: Session, text: str, *, officer: str | None = None) -> list[str]:
    """Customer ids starting with `text` (case-insensitive), at most SEARCH_LIMIT."""
    query = sa.select(CUST.c.customer_id).order_by(CUST.c.customer_id).limit(SEARCH_LIMIT)
    if text:
        query = query.where(CUST.c.customer_id.ilike(f"{text.strip()}%"))
    if officer is not None:
        query = query.join(
            ASG, (ASG.c.customer_id == CUST.c.customer_id) & ASG.c.ended_at.is_(None)
        ).where(ASG.c.officer == officer)
    return [str(c) for (c,) in session.execute(query)]


def top_risk(
    session: Session, *, n: int = 10, officer: str | None = None
) -> list[tuple[str, float]]:
    snapshot = latest_snapshot(session)
    if snapshot is None:
        return []
    cur = current_scores(snapshot)
    query = sa.select(cur.c.customer_id, cur.c.probability).order_by(
        cur.c.probability.desc(), cur.c.customer_id
    )
    if officer is not None:
        query = query.join(
            ASG, (ASG.c.customer_id == cur.c.customer_id) & ASG.c.ended_at.is_(None)
        ).where(ASG.c.officer == officer)
    return [(str(c), float(p)) for c, p in session.execute(query.limit(n))]


def customer_view(session: Session, customer_id: str) -> CustomerView | None:
    row = session.execute(sa.select(CUST).where(CUST.c.customer_id == customer_id)).first()
    if row is None:
        return None
    profile = dict(row._mapping)
    snapshot = latest_snapshot(session)
    officer = session.execute(
        sa.select(ASG.c.officer).where(ASG.c.customer_id == customer_id, ASG.c.ended_at.is_(None))
    ).scalar_one_or_none()
    view = CustomerView(profile=profile, snapshot=snapshot, score=None, officer=officer)
    if snapshot is None:
        return view
    score = session.execute(
        sa.select(RS).where(
            RS.c.customer_id == customer_id,
            RS.c.as_of == snapshot.as_of,
            RS.c.model_version == snapshot.model_version,
        )
    ).first()
    view.score = dict(score._mapping) if score is not None else None
    history = session.execute(
        sa.select(RS.c.as_of, RS.c.probability)
        .where(RS.c.customer_id == customer_id, RS.c.model_version == snapshot.model_version)
        .order_by(RS.c.as_of.desc())
        .limit(HISTORY_POINTS)
    ).all()
    view.history = [(d, float(p)) for d, p in reversed(history)]
    view.segment = segment_comparison(session, snapshot, product=str(profile["product"]))
    return view


def segment_comparison(session: Session, snapshot: Snapshot, *, product: str) -> dict[str, Any]:
    cur = current_scores(snapshot)
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(cur.c.probability),
            sa.func.avg(CUST.c.outstanding_balance),
            sa.func.avg(CUST.c.credit_limit),
            sa.func.sum(sa.case((cur.c.tier.in_(("high", "critical")), 1), else_=0)),
        )
        .select_from(cur.join(CUST, CUST.c.customer_id == cur.c.customer_id))
        .where(CUST.c.product == product)
    ).one()
    n = int(row[0] or 0)
    return {
        "product": product,
        "customers": n,
        "mean_risk": float(row[1] or 0.0),
        "mean_balance": float(row[2] or 0.0),
        "mean_limit": float(row[3] or 0.0),
        "high_share": (int(row[4] or 0) / n) if n else 0.0,
    }


def history_of(session: Session, customer_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The customer's interventions (newest first) with their outcomes."""
    rows = session.execute(
        sa.select(IV).where(IV.c.customer_id == customer_id).order_by(IV.c.id.desc()).limit(limit)
    ).all()
    records = [dict(r._mapping) for r in rows]
    ids = [r["id"] for r in records]
    outcomes: dict[int, list[str]] = {}
    if ids:
        for iv_id, outcome in session.execute(
            sa.select(OUT.c.intervention_id, OUT.c.outcome).where(OUT.c.intervention_id.in_(ids))
        ):
            outcomes.setdefault(int(iv_id), []).append(str(outcome))
    for record in records:
        record["outcomes"] = ", ".join(outcomes.get(record["id"], []))
    return records


def audit_of(session: Session, customer_id: str, *, limit: int = 30) -> list[dict[str, Any]]:
    """Audit rows about this customer and its interventions, newest first."""
    iv_ids = [
        str(i)
        for (i,) in session.execute(sa.select(IV.c.id).where(IV.c.customer_id == customer_id))
    ]
    about = (AUDIT.c.entity_type == "customer") & (AUDIT.c.entity_id == customer_id)
    if iv_ids:
        about = about | ((AUDIT.c.entity_type == "intervention") & AUDIT.c.entity_id.in_(iv_ids))
    rows = session.execute(
        sa.select(AUDIT.c.id, AUDIT.c.occurred_at, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.entity_id)
        .where(about)
        .order_by(AUDIT.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
