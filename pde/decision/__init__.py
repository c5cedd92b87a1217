"""The decision layer: which customers get an alert this week, with which action, and the
tiers officers see.

Pure functions of probabilities, uplift, exposures and policies: the alert policy
(`policy`), the recommender (`recommend`: best action by expected net benefit within capacity
and a contact budget, vulnerable customers to the support path first), the weekly holdout
(`holdout`), one definition of success and the ROI (`outcomes`), fairness per group
(`fairness`). Training evaluates them on held-out rows; jobs and the app apply them.
Imports only `pde.core` and `pde.contracts`.
"""

from __future__ import annotations

from pde.decision.policy import (
    WARN_SHARE,
    AlertSet,
    alert_figures,
    default_policy,
    exposures,
    net_benefit,
    policy_from_settings,
    policy_warnings,
    select_alerts,
)
from pde.decision.tiers import capacity_cutoff, risk_tiers, tier_of

__all__ = [
    "WARN_SHARE",
    "AlertSet",
    "alert_figures",
    "capacity_cutoff",
    "default_policy",
    "exposures",
    "net_benefit",
    "policy_from_settings",
    "policy_warnings",
    "risk_tiers",
    "select_alerts",
    "tier_of",
]
