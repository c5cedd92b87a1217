"""One definition of success, and a return on investment that states its basis.

Success is **cured within 30 days**: no credit obligation due in the 30 days after the action
was missed (the same rule as the risk label, read after the action). Every cure rate, effect
and ROI in the engine counts successes with `is_success`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pde.contracts.interventions import OUTCOMES

SUCCESS = "cured"
SUCCESS_DEFINITION = "cured within 30 days: no credit payment due in the 30 days missed"


def outcome_of(*, missed: bool, reached: bool) -> str:
    """The 30-day outcome of one assignment: cured, or missed (no_response when the contact
    never reached the customer)."""
    if not missed:
        return SUCCESS
    return "missed" if reached else "no_response"


def is_success(outcome: str) -> bool:
    """True for a cured outcome; ValueError for a value that is no outcome."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
    return outcome == SUCCESS


def successes(outcomes: Iterable[str]) -> npt.NDArray[np.bool_]:
    """`is_success` of each outcome."""
    return np.array([is_success(o) for o in outcomes], dtype=bool)


def cure_rate(outcomes: Iterable[str]) -> float:
    """Share of the outcomes that are successes (NaN when there are none)."""
    flags = successes(outcomes)
    return float(flags.mean()) if len(flags) else float("nan")


@dataclass(frozen=True)
class Roi:
    """Return on the actions taken, against a control group that was not contacted.

    `incremental_cures` = treated x (treated cure rate - control cure rate): cures the
    actions caused, not cures that would have happened anyway. `loss_avoided` = incremental
    cures x exposure x loss given default. `roi` = (loss avoided - cost) / cost.
    """

    treated: int
    control: int
    treated_cure_rate: float
    control_cure_rate: float
    incremental_cures: float
    loss_avoided: float
    cost: float
    roi: float
    basis: str


def roi(
    *,
    treated_outcomes: Iterable[str],
    control_outcomes: Iterable[str],
    cost: float,
    exposure: float,
    loss_given_default: float,
) -> Roi:
    """The ROI of the treated assignments (`cost` their total cost, `exposure` the mean
    exposure of the treated customers); NaN figures when either group is empty."""
    treated = successes(treated_outcomes)
    control = successes(control_outcomes)
    nan = float("nan")
    if not len(treated) or not len(control):
        return Roi(len(treated), len(control), nan, nan, nan, nan, cost, nan, _basis())
    rate_t, rate_c = float(treated.mean()), float(control.mean())
    incremental = len(treated) * (rate_t - rate_c)
    avoided = incremental * exposure * loss_given_default
    value = (avoided - cost) / cost if cost > 0 else nan
    return Roi(
        len(treated), len(control), rate_t, rate_c, incremental, avoided, cost, value, _basis()
    )


def _basis() -> str:
    return (
        "loss avoided = (treated cure rate - control cure rate) x treated customers x"
        " exposure x loss given default; ROI = (loss avoided - action cost) / action cost;"
        f" success = {SUCCESS_DEFINITION}"
    )
