"""The decision layer: which customers get an alert this week, and the tiers officers see.

Pure functions of probabilities, exposures and an `AlertPolicy` (pde.contracts.bundle):
training evaluates the policy on held-out rows, the portfolio job applies it to each run.
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
