"""The actions the recommender chooses from, what each costs, and today's fixed rule.

Costs come from the settings (`PDE_ACTION_COSTS`); the fixed rule is the by-product rule the
engine used before uplift models (every credit card customer gets a payment plan), kept as the
baseline every learned policy is measured against.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from pde.contracts.data.schema import PRODUCTS
from pde.contracts.interventions import ACTIONS, SUPPORT_ACTIONS
from pde.core.settings import DEFAULT_ACTION_COSTS, Settings

FIXED_ACTION_BY_PRODUCT: Mapping[str, str] = {
    "credit_card": "payment_plan",
    "personal_loan": "agent_call",
    "mortgage": "restructuring",
    "overdraft": "soft_reminder",
    "auto_loan": "agent_call",
}
"""Today's rule: one action per product, whatever the customer's situation."""

FIXED_RULE_EFFECT = 0.25
"""The single prior success rate the fixed rule assumes for every action (PDE_ACTION_EFFECT)."""


def action_costs(settings: Settings | None = None) -> dict[str, float]:
    """Cost of each action (the settings' `action_costs`, else the documented defaults)."""
    costs = dict(DEFAULT_ACTION_COSTS) if settings is None else dict(settings.action_costs)
    return {action: float(costs[action]) for action in ACTIONS}


def cost_vector(costs: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """The costs in the order of `ACTIONS`."""
    return np.array([float(costs[action]) for action in ACTIONS], dtype=np.float64)


def fixed_rule_actions(products: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Index into `ACTIONS` of the fixed by-product action of each customer."""
    values = np.asarray(products)
    if values.dtype.kind in "iu":
        names = np.asarray(PRODUCTS, dtype=object)[values]
    else:
        names = values.astype(object)
    index = {action: i for i, action in enumerate(ACTIONS)}
    try:
        return np.array([index[FIXED_ACTION_BY_PRODUCT[str(p)]] for p in names], dtype=np.intp)
    except KeyError as exc:
        raise ValueError(f"unknown product {exc.args[0]!r}") from None


def support_mask() -> npt.NDArray[np.bool_]:
    """Per action of `ACTIONS`: True for the support path (counselling, payment holiday)."""
    return np.array([action in SUPPORT_ACTIONS for action in ACTIONS], dtype=bool)
