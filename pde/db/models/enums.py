"""Closed sets of values used by the tables (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum

from pde.core.names import RiskTier, Role

__all__ = ["RiskTier", "Role"]  # shared names, re-exported beside the tables' own sets


class ModelStatus(StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"
    RETIRED = "retired"


class InterventionType(StrEnum):
    SOFT_REMINDER = "soft_reminder"
    AGENT_CALL = "agent_call"
    PAYMENT_PLAN = "payment_plan"
    RESTRUCTURING = "restructuring"
    PAYMENT_HOLIDAY = "payment_holiday"
    FINANCIAL_COUNSELLING = "financial_counselling"


class InterventionStatus(StrEnum):
    RECOMMENDED = "recommended"
    APPROVED = "approved"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class OutcomeKind(StrEnum):
    PAID = "paid"
    PROMISE_TO_PAY = "promise_to_pay"
    PROMISE_KEPT = "promise_kept"
    PROMISE_BROKEN = "promise_broken"
    NO_RESPONSE = "no_response"
    DEFAULTED = "defaulted"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class DriftLevel(StrEnum):
    """How far a distribution moved from the bundle's reference (PSI against the settings)."""

    OK = "ok"
    WARN = "warn"
    ALERT = "alert"


class PerformanceKind(StrEnum):
    """Realised (30-day outcomes known) or estimated from the probabilities (CBPE)."""

    REALISED = "realised"
    ESTIMATED = "estimated"


class JobKind(StrEnum):
    """The background work `pde jobs worker` runs."""

    GENERATE = "generate"  # simulate demo data, migrate, seed
    RETRAIN = "retrain"  # train a challenger bundle
    SCORE = "score"  # score the portfolio (stores drift too)
    DRIFT = "drift"  # drift of the latest scored dates again
    REALISED = "realised"  # realised and estimated performance per scoring date
    NIGHTLY = "nightly"  # score, then realised performance


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
