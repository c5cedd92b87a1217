"""Intervention outcomes from a canonical data directory into the operational database, and
what they say: each action's cure rate against the control group's, and the ROI on that basis.

The data file is `interventions.parquet` (docs/data-schema.md): a bank's export of its treated
history, or the simulator's. The database layer takes rows; reading the file happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from pde.contracts.data.io import load_interventions
from pde.contracts.interventions import ACTIONS, CONTROL
from pde.core.errors import PdeError
from pde.db.engine import session_scope
from pde.db.models.treatment import TreatmentOutcomeCreate
from pde.db.outcomes import ArmCount, add_outcomes, arm_counts
from pde.decision.outcomes import SUCCESS, Roi, roi


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
