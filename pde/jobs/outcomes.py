"""Intervention outcomes from a canonical data directory into the operational database, and
what they say: each action's cure rate against the control group's, and the ROI on that basis.
The live policy's control group comes from its holdout: `record_holdout_outcomes` measures the
held-out customers once their 30 days have passed in the data.

The data file is `interventions.parquet` (docs/data-schema.md): a bank's export of its treated
history, or the simulator's. The database layer takes rows; reading the file happens here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from pde.contracts.data.io import load_dataset, load_interventions
from pde.contracts.data.schema import GRACE_DAYS, LABEL_HORIZON_DAYS
from pde.contracts.interventions import ACTIONS, CONTROL
from pde.core.errors import PdeError
from pde.db.engine import session_scope
from pde.db.models.treatment import TreatmentOutcomeCreate
from pde.db.outcomes import ArmCount, add_outcomes, arm_counts, recorded_ids
from pde.db.recommendations import held_out_pending, held_out_until
from pde.decision.outcomes import SUCCESS, Roi, outcome_of, roi
from pde.training.features.labels import compute_labels, event_span

ASSIGNMENT_ID_LENGTH = 64  # treatment_outcomes.assignment_id


def read_outcomes(data_dir: Path) -> list[TreatmentOutcomeCreate]:
    """The validated rows of the directory's interventions file."""
    frame = load_interventions(data_dir)
    if frame is None:
        raise PdeError(f"{data_dir}: no interventions.parquet or interventions.csv")
    source = data_dir.resolve().name[:64] or "data"
    return [
        TreatmentOutcomeCreate(
            assignment_id=row["intervention_id"],
            customer_id=row["customer_id"],
            assigned_on=row["date"],
            action=row["action"],
            assignment=row["assignment"],
            reached=row["reached"],
            outcome=row["outcome"],
            cost=row["cost"],
            source=source,
        )
        for row in frame.drop("__row__", strict=False).iter_rows(named=True)
    ]


def load_outcomes(*, data_dir: Path, engine: Engine | None = None) -> tuple[int, int]:
    """Adds the directory's assignments not recorded yet, in one transaction;
    (rows read, rows added)."""
    rows = read_outcomes(data_dir)
    with session_scope(engine=engine) as session:
        return len(rows), add_outcomes(session=session, rows=rows)


@dataclass(frozen=True)
class ActionEffect:
    """One action's cure rate against the control group's, and its ROI."""

    action: str
    assigned: int
    cure_rate: float
    control_cure_rate: float
    roi: Roi


def _outcomes(count: ArmCount) -> list[str]:
    return [SUCCESS] * count.cured + ["missed"] * (count.assigned - count.cured)


def action_effects(
    *,
    exposure: float,
    loss_given_default: float,
    engine: Engine | None = None,
    since: date | None = None,
) -> list[ActionEffect]:
    """Per action with assignments: cure rates and ROI against the control group (NaN
    figures without a control group)."""
    with session_scope(engine=engine) as session:
        counts = {c.arm: c for c in arm_counts(session=session, since=since)}
    control = counts.get(CONTROL, ArmCount(CONTROL, 0, 0, 0.0))
    effects = []
    for action in ACTIONS:
        if action not in counts:
            continue
        mine = counts[action]
        figures = roi(
            treated_outcomes=_outcomes(mine),
            control_outcomes=_outcomes(control),
            cost=mine.cost,
            exposure=exposure,
            loss_given_default=loss_given_default,
        )
        effects.append(
            ActionEffect(action, mine.assigned, mine.cure_rate, control.cure_rate, figures)
        )
    return effects


HOLDOUT = "holdout"


@dataclass(frozen=True)
class HoldoutOutcomes:
    """One run of `record_holdout_outcomes`: what was measured and what was left for later."""

    closed: int  # held-out recommendations whose window has closed
    added: int  # rows written now (the others were recorded by an earlier run)
    nothing_due: int  # closed, not recorded: no credit obligation was due in the window
    pending: int  # window still open: left for a later run
    last_event: date


def holdout_assignment_id(as_of: date, customer_id: str) -> str:
    """`holdout-<date>-<customer>`, the same on every run (a digest for very long ids)."""
    ident = f"holdout-{as_of:%Y%m%d}-{customer_id}"
    if len(ident) <= ASSIGNMENT_ID_LENGTH:
        return ident
    digest = hashlib.sha256(customer_id.encode()).hexdigest()[:40]
    return f"holdout-{as_of:%Y%m%d}-{digest}"


def record_holdout_outcomes(*, data_dir: Path, engine: Engine | None = None) -> HoldoutOutcomes:
    """The control group of the live policy: each held-out recommendation whose 30 days (and
    the label's grace) are within the data gets its outcome by the label rule, recorded as
    arm `none`, assignment `holdout`, not reached, no cost. Running it twice adds nothing."""
    data = load_dataset(data_dir)
    last_event = event_span(data)[1]
    closes_by = last_event - timedelta(days=LABEL_HORIZON_DAYS + GRACE_DAYS)
    with session_scope(engine=engine) as session:
        closed = held_out_until(session=session, until=closes_by)
        pending = held_out_pending(session=session, after=closes_by)
        known = recorded_ids(
            session=session, ids=[holdout_assignment_id(day, c) for c, day in closed]
        )
        todo = [(c, day) for c, day in closed if holdout_assignment_id(day, c) not in known]
        labels = compute_labels(data, sorted({day for _, day in todo}))
        missed = {
            (row["customer_id"], row["as_of"]): row["label"] == 1
            for row in labels.iter_rows(named=True)
        }
        rows = [
            TreatmentOutcomeCreate(
                assignment_id=holdout_assignment_id(day, customer),
                customer_id=customer,
                assigned_on=day,
                action=CONTROL,
                assignment=HOLDOUT,
                reached=False,
                outcome=outcome_of(missed=missed[customer, day], reached=False),
                cost=0.0,
                source=HOLDOUT,
            )
            for customer, day in todo
            if (customer, day) in missed
        ]
        added = add_outcomes(session=session, rows=rows)
    return HoldoutOutcomes(len(closed), added, len(todo) - len(rows), pending, last_event)
