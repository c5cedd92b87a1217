"""The recommender: the best action for each customer, within the team's capacity and a
contact-pressure budget.

For every customer and action the expected net benefit is

    uplift[action] x exposure x loss_given_default - cost[action]

where `uplift` is the expected fall in the customer's 30-day miss probability if the action
is taken (the uplift models' estimate). An action is permitted when its cool-down has passed
and the customer has had fewer than `max_contacts_30d` contacts in the last 30 days; a customer
showing vulnerability is offered only the support path. Each customer's best permitted action
ranks the customers; vulnerable customers come first, then the highest net benefit; the first
`capacity` at or above break-even are contacted, except those the weekly holdout keeps back
(marked, never contacted). Protected attributes are not inputs: nothing here sees them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import AlertPolicy
from pde.contracts.interventions import ACTIONS, CONTROL
from pde.core.settings import Settings
from pde.decision.actions import action_costs, cost_vector, support_mask

F64 = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Index = npt.NDArray[np.intp]
NO_ACTION = -1


@dataclass(frozen=True)
class RecommenderPolicy:
    """Capacity, economics and contact pressure of the recommender."""

    capacity: int
    loss_given_default: float
    costs: tuple[float, ...]  # in the order of ACTIONS
    max_contacts_30d: int
    cool_down_days: int
    route_vulnerable: bool = True

    def __post_init__(self) -> None:
        if self.capacity < 0:
            raise ValueError("capacity must not be negative")
        if len(self.costs) != len(ACTIONS):
            raise ValueError(f"costs must give one value per action ({len(ACTIONS)})")
        if self.max_contacts_30d < 1 or self.cool_down_days < 0:
            raise ValueError("max_contacts_30d must be >= 1 and cool_down_days >= 0")


def recommender_policy(settings: Settings, alert_policy: AlertPolicy) -> RecommenderPolicy:
    """The recommender of the `PDE_*` settings and the alert policy's capacity and LGD."""
    return RecommenderPolicy(
        capacity=alert_policy.capacity,
        loss_given_default=alert_policy.loss_given_default,
        costs=tuple(cost_vector(action_costs(settings))),
        max_contacts_30d=settings.max_contacts_per_30_days,
        cool_down_days=settings.cool_down_days,
    )


@dataclass(frozen=True)
class ContactHistory:
    """Each customer's recent contacts: how many in the last 30 days, and days since each
    action was last taken (inf: never)."""

    contacts_30d: npt.NDArray[np.int64]
    days_since: F64  # (customers, actions)
    # asked not to be contacted (the officers' casework): no action is permitted; None: nobody
    do_not_contact: Flags | None = None

    @classmethod
    def none(cls, rows: int) -> ContactHistory:
        return cls(np.zeros(rows, dtype=np.int64), np.full((rows, len(ACTIONS)), np.inf))


@dataclass(frozen=True)
class Recommendations:
    """The recommender's answer, per customer in input order."""

    best_action: Index  # index into ACTIONS of the best permitted action, or NO_ACTION
    net_benefit: F64  # of the best action (-inf when none is permitted)
    contacted: Flags  # within capacity, at or above break-even, not held out
    held_out: Flags  # would have been contacted; kept back as control this week
    vulnerable: Flags  # showed a vulnerability signal (routed to the support path)
    blocked: Flags  # the contact budget or every cool-down left no action permitted

    @property
    def contacts(self) -> int:
        return int(self.contacted.sum())

    def arm(self, row: int) -> str:
        """The arm of one customer: the action contacted with, else `none`."""
        return ACTIONS[int(self.best_action[row])] if self.contacted[row] else CONTROL

    def arms(self) -> list[str]:
        return [self.arm(i) for i in range(len(self.contacted))]


def net_benefits(uplift: npt.ArrayLike, exposure: npt.ArrayLike, policy: RecommenderPolicy) -> F64:
    """(customers, actions) expected net benefit of every action."""
    lift = np.asarray(uplift, dtype=np.float64)
    value = np.asarray(exposure, dtype=np.float64)[:, None] * policy.loss_given_default
    return np.asarray(lift * value - np.asarray(policy.costs)[None, :], dtype=np.float64)


def permitted_actions(
    *, rows: int, vulnerable: Flags, history: ContactHistory, policy: RecommenderPolicy
) -> Flags:
    """(customers, actions): the cool-down has passed, the budget allows a contact, the
    customer has not asked not to be contacted, and a vulnerable customer is offered the
    support path only."""
    allowed = history.days_since >= policy.cool_down_days
    allowed &= (history.contacts_30d < policy.max_contacts_30d)[:, None]
    if history.do_not_contact is not None:
        allowed &= ~np.asarray(history.do_not_contact, dtype=bool)[:, None]
    if policy.route_vulnerable:
        allowed &= np.where(vulnerable[:, None], support_mask()[None, :], True)
    return np.asarray(allowed, dtype=bool).reshape(rows, len(ACTIONS))


def recommend(
    *,
    uplift: npt.ArrayLike,
    exposure: npt.ArrayLike,
    vulnerable: npt.ArrayLike,
    policy: RecommenderPolicy,
    history: ContactHistory | None = None,
    held_out: npt.ArrayLike | None = None,
) -> Recommendations:
    """The best permitted action per customer and who is contacted (see the module docstring).

    `uplift` is (customers, actions) in the order of `ACTIONS`. Ties keep input order, so the
    same inputs always give the same answer.
    """
    lift = np.asarray(uplift, dtype=np.float64)
    rows = lift.shape[0]
    if lift.shape != (rows, len(ACTIONS)):
        raise ValueError(f"uplift has shape {lift.shape}, expected ({rows}, {len(ACTIONS)})")
    flags = np.asarray(vulnerable, dtype=bool)
    keep_back = np.zeros(rows, dtype=bool) if held_out is None else np.asarray(held_out, bool)
    past = history if history is not None else ContactHistory.none(rows)
    allowed = permitted_actions(rows=rows, vulnerable=flags, history=past, policy=policy)
    net = np.where(allowed, net_benefits(lift, exposure, policy), -np.inf)
    best = np.argmax(net, axis=1).astype(np.intp)
    best_net = net[np.arange(rows), best]
    blocked = np.asarray(~allowed.any(axis=1), dtype=bool)
    best = np.where(blocked, NO_ACTION, best).astype(np.intp)
    eligible = np.isfinite(best_net) & (best_net >= 0)
    # Vulnerable customers first, then by net benefit (stable: ties keep input order).
    order = np.lexsort((-np.where(eligible, best_net, 0.0), ~flags))
    order = order[eligible[order]]
    kept = keep_back[order]
    contacts_before = np.cumsum(~kept) - (~kept)
    within = contacts_before < policy.capacity
    contacted = np.zeros(rows, dtype=bool)
    contacted[order[within & ~kept]] = True
    marked = np.zeros(rows, dtype=bool)
    marked[order[within & kept]] = True
    return Recommendations(best, best_net, contacted, marked, flags, blocked)
