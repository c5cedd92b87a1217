"""The recommender: best action by net benefit, capacity, contact budget, support path, holdout."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from pde.contracts.interventions import ACTIONS, CONTROL, SUPPORT_ACTIONS
from pde.decision.recommend import (
    NO_ACTION,
    ContactHistory,
    RecommenderPolicy,
    net_benefits,
    recommend,
)

COSTS = (2.0, 15.0, 60.0, 250.0, 90.0, 120.0)
A = {name: i for i, name in enumerate(ACTIONS)}


def policy(capacity: int = 10, **overrides: object) -> RecommenderPolicy:
    values: dict[str, object] = {
        "capacity": capacity,
        "loss_given_default": 0.5,
        "costs": COSTS,
        "max_contacts_30d": 2,
        "cool_down_days": 7,
    }
    values.update(overrides)
    return RecommenderPolicy(**values)  # type: ignore[arg-type]


def lift(rows: list[dict[str, float]]) -> np.ndarray:
    out = np.zeros((len(rows), len(ACTIONS)))
    for i, row in enumerate(rows):
        for name, value in row.items():
            out[i, A[name]] = value
    return out


def test_recommend_picks_the_largest_net_benefit_not_the_largest_uplift() -> None:
    # Restructuring lifts more (0.06 x 5,000 = 300) but costs 250: net 50; a reminder nets 98.
    uplift = lift([{"soft_reminder": 0.02, "restructuring": 0.06}])
    r = recommend(uplift=uplift, exposure=[10_000], vulnerable=[False], policy=policy())
    assert ACTIONS[r.best_action[0]] == "soft_reminder"
    assert r.net_benefit[0] == pytest.approx(0.02 * 5_000 - 2)
    assert r.arms() == ["soft_reminder"]


def test_recommend_net_benefits_are_uplift_times_exposure_times_lgd_minus_cost() -> None:
    uplift = lift([{"agent_call": 0.1}])
    net = net_benefits(uplift, [2_000.0], policy())
    assert net[0, A["agent_call"]] == pytest.approx(0.1 * 2_000 * 0.5 - 15)
    assert net[0, A["restructuring"]] == pytest.approx(-250)


def test_recommend_fills_capacity_by_net_benefit_never_below_break_even() -> None:
    values = [0.001, 0.05, 0.03, 0.0002, 0.04]  # reminder nets: 3, 248, 148, -1.0, 198
    uplift = lift([{"soft_reminder": v} for v in values])
    r = recommend(uplift=uplift, exposure=[10_000] * 5, vulnerable=[False] * 5, policy=policy(2))
    assert r.contacted.tolist() == [False, True, False, False, True]
    wide = recommend(
        uplift=uplift, exposure=[10_000] * 5, vulnerable=[False] * 5, policy=policy(100)
    )
    assert wide.contacted.tolist() == [True, True, True, False, True]
    assert wide.arm(3) == CONTROL


def test_recommend_routes_vulnerable_customers_to_support_first() -> None:
    uplift = lift(
        [
            {"soft_reminder": 0.2, "financial_counselling": 0.05},  # vulnerable
            {"soft_reminder": 0.3},
        ]
    )
    r = recommend(
        uplift=uplift, exposure=[10_000, 10_000], vulnerable=[True, False], policy=policy(1)
    )
    assert ACTIONS[r.best_action[0]] in SUPPORT_ACTIONS
    assert r.contacted.tolist() == [True, False]  # first in the queue despite less benefit
    assert r.vulnerable.tolist() == [True, False]
    unrouted = recommend(
        uplift=uplift,
        exposure=[10_000, 10_000],
        vulnerable=[True, False],
        policy=policy(1, route_vulnerable=False),
    )
    assert ACTIONS[unrouted.best_action[0]] == "soft_reminder"


def test_recommend_respects_cool_downs_and_the_contact_budget() -> None:
    uplift = lift([{"soft_reminder": 0.05, "agent_call": 0.04}] * 3)
    days = np.full((3, len(ACTIONS)), np.inf)
    days[0, A["soft_reminder"]] = 3  # reminded 3 days ago: cool-down of 7 days
    history = ContactHistory(np.array([1, 2, 0]), days)
    r = recommend(
        uplift=uplift,
        exposure=[10_000] * 3,
        vulnerable=[False] * 3,
        policy=policy(),
        history=history,
    )
    assert ACTIONS[r.best_action[0]] == "agent_call"
    assert r.blocked.tolist() == [False, True, False]  # two contacts already in 30 days
    assert r.best_action[1] == NO_ACTION and not r.contacted[1]
    assert ACTIONS[r.best_action[2]] == "soft_reminder"


def test_recommend_never_contacts_a_customer_who_asked_not_to_be() -> None:
    uplift = lift([{"restructuring": 0.2, "soft_reminder": 0.05}] * 2)
    days = np.full((2, len(ACTIONS)), np.inf)
    history = ContactHistory(np.array([0, 0]), days, np.array([True, False]))
    r = recommend(
        uplift=uplift,
        exposure=[10_000] * 2,
        vulnerable=[False] * 2,
        policy=policy(),
        history=history,
    )
    assert r.best_action[0] == NO_ACTION and not r.contacted[0] and r.blocked[0]
    assert ACTIONS[r.best_action[1]] == "restructuring" and r.contacted[1]


def test_recommend_holdout_is_kept_back_and_marked_and_capacity_moves_on() -> None:
    uplift = lift([{"soft_reminder": v} for v in (0.05, 0.04, 0.03)])
    r = recommend(
        uplift=uplift,
        exposure=[10_000] * 3,
        vulnerable=[False] * 3,
        policy=policy(2),
        held_out=[True, False, False],
    )
    assert r.held_out.tolist() == [True, False, False]
    assert r.contacted.tolist() == [False, True, True]
    assert r.arm(0) == CONTROL and r.contacts == 2


def test_recommend_is_deterministic_and_refuses_bad_shapes() -> None:
    uplift = lift([{"soft_reminder": 0.01}] * 4)
    first = recommend(uplift=uplift, exposure=[1e4] * 4, vulnerable=[False] * 4, policy=policy(2))
    again = recommend(uplift=uplift, exposure=[1e4] * 4, vulnerable=[False] * 4, policy=policy(2))
    assert first.contacted.tolist() == again.contacted.tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="shape"):
        recommend(uplift=np.zeros((2, 3)), exposure=[1, 1], vulnerable=[0, 0], policy=policy())
    with pytest.raises(ValueError, match="costs"):
        policy(costs=(1.0,))


def test_recommend_takes_no_protected_attribute() -> None:
    names = set(inspect.signature(recommend).parameters)
    assert names == {"uplift", "exposure", "vulnerable", "policy", "history", "held_out"}
