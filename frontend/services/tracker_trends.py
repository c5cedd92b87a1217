"""Interventions Tracker, beyond the effectiveness figures: the average current risk of the
customers worked, work pending approval, no-response outcomes, a weekly timeline and the
results by risk level. Success is the one definition (cured within 30 days, recorded when
the work is closed with its 30-day outcome) and the officer's scope the work list's, so every
part of the page agrees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pde.core.names import TIER_NAMES
from pde.db.models.enums import InterventionStatus, OutcomeKind
from pde.db.types import utc_now
from pde.frontend.services import access
from pde.frontend.services.base import Services

# Success as the Tracker's effectiveness figures define it; the scope of the work list.
from pde.frontend.services.effectiveness import cured_per_intervention as per_intervention
from pde.frontend.services.effectiveness import in_period
from pde.frontend.services.snapshot import current_scores, latest_snapshot
from pde.frontend.services.tables import INTERVENTIONS, OUTCOMES
from pde.frontend.services.work import in_scope as scope

TIMELINE_WEEKS = 26


@dataclass(frozen=True)
class TierResult:
    tier: str
    count: int
    with_outcome: int
    succeeded: int


@dataclass(frozen=True)
class Week:
    start: date
    created: int
    with_outcome: int
    succeeded: int


@dataclass(frozen=True)
class Trends:
    average_risk: float | None  # current risk of the customers worked
    pending: int  # recommended, awaiting a supervisor's approval
    no_response: int  # interventions whose outcome says the customer did not respond
    weeks: tuple[Week, ...]
    tiers: tuple[TierResult, ...]


def _week_start(value: Any) -> date:
    day = value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])
    return day - timedelta(days=day.weekday())


def trends(
    services: Services, user: access.SignedIn, *, days: int | None, kinds: Sequence[str]
) -> Trends:
    """The figures over the interventions the user sees, created in the last `days` (all
    when None), of the types `kinds` (all when empty)."""
    work = INTERVENTIONS.c
    outcome = per_intervention()
    source = INTERVENTIONS.join(outcome, outcome.c.intervention_id == work.id, isouter=True)
    with services.session() as session:
        base = scope(in_period(sa.select(work.id), days=days, kind=kinds), user)
        chosen = base.subquery("chosen")
        pending = session.execute(
            sa.select(sa.func.count())
            .select_from(INTERVENTIONS.join(chosen, chosen.c.id == work.id))
            .where(work.status == InterventionStatus.RECOMMENDED.value)
        ).scalar_one()
        no_response = session.execute(
            sa.select(sa.func.count(sa.distinct(OUTCOMES.c.intervention_id)))
            .select_from(OUTCOMES.join(chosen, chosen.c.id == OUTCOMES.c.intervention_id))
            .where(OUTCOMES.c.outcome == OutcomeKind.NO_RESPONSE.value)
        ).scalar_one()
        since = utc_now() - timedelta(weeks=TIMELINE_WEEKS)
        weeks: dict[date, list[int]] = {}
        for created_at, has_outcome, succeeded in session.execute(
            sa.select(work.created_at, outcome.c.intervention_id.is_not(None), outcome.c.succeeded)
            .select_from(source.join(chosen, chosen.c.id == work.id))
            .where(work.created_at >= since)
        ):
            week = weeks.setdefault(_week_start(created_at), [0, 0, 0])
            week[0] += 1
            week[1] += int(bool(has_outcome))
            week[2] += int(succeeded or 0)
        average: float | None = None
        tiers: tuple[TierResult, ...] = ()
        snapshot = latest_snapshot(session)
        if snapshot is not None:
            current = current_scores(snapshot)
            rows = session.execute(
                sa.select(
                    current.c.tier,
                    sa.func.count(),
                    sa.func.count(outcome.c.intervention_id),
                    sa.func.sum(sa.func.coalesce(outcome.c.succeeded, 0)),
                    sa.func.avg(current.c.probability),
                )
                .select_from(
                    source.join(chosen, chosen.c.id == work.id).join(
                        current, current.c.customer_id == work.customer_id
                    )
                )
                .group_by(current.c.tier)
            ).all()
            order = {t: i for i, t in enumerate(TIER_NAMES)}
            tiers = tuple(
                TierResult(str(t), int(n), int(o or 0), int(s or 0))
                for t, n, o, s, _ in sorted(rows, key=lambda r: order.get(str(r[0]), 99))
            )
            total = sum(int(r[1]) for r in rows)
            if total:
                average = sum(float(r[4] or 0) * int(r[1]) for r in rows) / total
    return Trends(
        average_risk=average,
        pending=int(pending),
        no_response=int(no_response),
        weeks=tuple(Week(k, *v) for k, v in sorted(weeks.items())),
        tiers=tiers,
    )
