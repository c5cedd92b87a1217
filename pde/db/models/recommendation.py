"""`recommendations`: the recommender's answer for each alerted customer on a scoring date.

Written by `pde score-portfolio` (`pde.jobs.recommendations`): the action, its expected effect
(the fall in the 30-day miss probability), the net benefit, why, and the flags an officer must
see (potentially vulnerable, held out as control). `effect_basis` says where the effect came
from: `learned` (the bundle's uplift models) or `prior` (`PDE_ACTION_EFFECT`).
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from pde.contracts.interventions import ACTIONS
from pde.db.types import UTCDateTime, utc_now

EFFECT_BASES: tuple[str, ...] = ("learned", "prior")


def _check(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_recommendations_{column}")


class RecommendationBase(SQLModel):
    customer_id: str = Field(primary_key=True, max_length=64)
    as_of: date = Field(primary_key=True)
    model_version: str = Field(max_length=64)
    # None: no permitted action pays for itself (or the contact budget is spent)
    action: str | None = Field(default=None, max_length=32)
    expected_effect: float | None = None
    net_benefit: float | None = None
    effect_basis: str = Field(max_length=16)
    why: str = Field(max_length=300)
    vulnerable: bool = False
    held_out: bool = False


class RecommendationCreate(RecommendationBase):
    pass


class Recommendation(RecommendationBase, table=True):
    """One customer's recommended action on one scoring date."""

    __tablename__ = "recommendations"
    __table_args__ = (
        sa.CheckConstraint(
            "action IS NULL OR action IN ({})".format(", ".join(f"'{a}'" for a in ACTIONS)),
            name="ck_recommendations_action",
        ),
        _check("effect_basis", EFFECT_BASES),
        sa.Index("ix_recommendations_as_of", "as_of"),
    )

    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
