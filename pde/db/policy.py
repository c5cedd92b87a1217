"""Rules of the intervention workflow: the life cycle, cool-down and SLA by priority."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from pde.core.settings import Settings
from pde.db.models.enums import InterventionStatus, Priority

# recommended -> approved -> assigned -> in_progress -> completed, or cancelled before completion.
# An assigned intervention may be re-assigned to another officer.
TRANSITIONS: Mapping[InterventionStatus, frozenset[InterventionStatus]] = MappingProxyType(
    {
        InterventionStatus.RECOMMENDED: frozenset(
            {InterventionStatus.APPROVED, InterventionStatus.CANCELLED}
        ),
        InterventionStatus.APPROVED: frozenset(
            {InterventionStatus.ASSIGNED, InterventionStatus.CANCELLED}
        ),
        InterventionStatus.ASSIGNED: frozenset(
            {
                InterventionStatus.ASSIGNED,
                InterventionStatus.IN_PROGRESS,
                InterventionStatus.CANCELLED,
            }
        ),
        InterventionStatus.IN_PROGRESS: frozenset(
            {InterventionStatus.COMPLETED, InterventionStatus.CANCELLED}
        ),
        InterventionStatus.COMPLETED: frozenset(),
        InterventionStatus.CANCELLED: frozenset(),
    }
)
OPEN_STATUSES = frozenset(
    {
        InterventionStatus.RECOMMENDED,
        InterventionStatus.APPROVED,
        InterventionStatus.ASSIGNED,
        InterventionStatus.IN_PROGRESS,
    }
)
OUTCOME_STATUSES = frozenset({InterventionStatus.IN_PROGRESS, InterventionStatus.COMPLETED})

DEFAULT_COOL_DOWN_DAYS = 7
DEFAULT_SLA_HOURS: Mapping[Priority, int] = MappingProxyType(
    {Priority.CRITICAL: 8, Priority.HIGH: 24, Priority.MEDIUM: 72, Priority.LOW: 168}
)


def can_move(current: InterventionStatus, target: InterventionStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class WorkflowPolicy:
    """Cool-down (days between two interventions of one type for one customer; cancelled ones
    do not count) and time to act per priority, from creation."""

    cool_down_days: int = DEFAULT_COOL_DOWN_DAYS
    sla_hours: Mapping[Priority, int] = field(default_factory=lambda: DEFAULT_SLA_HOURS)

    def __post_init__(self) -> None:
        if self.cool_down_days < 0:
            raise ValueError("cool_down_days must be >= 0")
        missing = set(Priority) - set(self.sla_hours)
        if missing:
            raise ValueError(f"sla_hours lacks {sorted(p.value for p in missing)}")

    def sla_due(self, priority: Priority, *, created_at: datetime) -> datetime:
        return created_at + timedelta(hours=self.sla_hours[priority])

    def cool_down_start(self, now: datetime) -> datetime:
        return now - timedelta(days=self.cool_down_days)


DEFAULT_POLICY = WorkflowPolicy()


def policy_from_settings(settings: Settings) -> WorkflowPolicy:
    """The workflow policy the deployment configured (`PDE_COOL_DOWN_DAYS`, `PDE_SLA_HOURS_*`)."""
    return WorkflowPolicy(
        cool_down_days=settings.cool_down_days,
        sla_hours=MappingProxyType(
            {
                Priority.CRITICAL: settings.sla_hours_critical,
                Priority.HIGH: settings.sla_hours_high,
                Priority.MEDIUM: settings.sla_hours_medium,
                Priority.LOW: settings.sla_hours_low,
            }
        ),
    )
