"""Names every layer shares, defined once: roles, risk tiers, the ensemble's members, the window."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user of the app may do: officers work their own customers, supervisors and
    admins see all, admins manage users and models."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class RiskTier(StrEnum):
    """Risk tiers, lowest first; a bundle's manifest gives each its lower probability bound."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


TIER_NAMES: tuple[str, ...] = tuple(tier.value for tier in RiskTier)
ALERT_TIERS: tuple[str, ...] = (RiskTier.HIGH.value, RiskTier.CRITICAL.value)
"""The tiers an officer is expected to act on."""

MODEL_NAMES: tuple[str, ...] = ("catboost", "xgboost", "lightgbm")
"""The ensemble's members, in the order of their weights in a bundle's manifest."""

DEFAULT_LOOKBACK_DAYS = 90
"""Days of activity before the as-of date that features see (`as_of - 90 d <= t < as_of`)."""
