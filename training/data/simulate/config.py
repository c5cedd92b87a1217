"""Parameters of a simulation run and the calendar it runs on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pde.contracts.data.schema import GRACE_DAYS, LABEL_HORIZON_DAYS
from pde.core.errors import PdeError

# Customers are generated in chunks of this size, each from its own seed; fixed so that the
# same seed gives the same data whatever the machine.
CHUNK_SIZE = 10_000
DEFAULT_START = date(2025, 1, 6)  # a Monday
# Weeks of activity before the first as-of date, so that every feature row sees a full
# lookback window (90 days), as it would in a bank's data.
HISTORY_WEEKS = 13
TREATED_WEEKS = 8


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate: from `start`, `history_weeks` of activity, then `weeks` weekly as-of
    dates, then the label horizon and grace of the last one."""

    customers: int = 30_000
    weeks: int = 16
    seed: int = 42
    start: date = DEFAULT_START
    history_weeks: int = HISTORY_WEEKS
    # Income and spending shift from this as-of week on (0 = the first): see simulate.drift.
    drift_from_week: int | None = None
    # Interventions: the first `treated_weeks` as-of weeks have a treated history (0: none);
    # each such week the riskiest `flag_share` of the customers with something due are
    # contacted, `random_share` of them in a random experiment with a control group.
    treated_weeks: int = TREATED_WEEKS
    flag_share: float = 0.15
    random_share: float = 0.5

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise PdeError("--customers must be at least 1")
        if self.weeks < 1:
            raise PdeError("--weeks must be at least 1")
        if self.history_weeks < 1:
            raise PdeError("--history-weeks must be at least 1")
        if self.seed < 0:
            raise PdeError("--seed must be non-negative")
        if self.drift_from_week is not None and not 0 <= self.drift_from_week < self.weeks:
            raise PdeError("--drift-from-week must be between 0 and --weeks - 1")
        if self.treated_weeks < 0:
            raise PdeError("--treated-weeks must be non-negative")
        if not 0 < self.flag_share < 1 or not 0 <= self.random_share <= 1:
            raise PdeError("flag_share must be in (0, 1) and random_share in [0, 1]")

    @property
    def days(self) -> int:
        """Simulated days 0..days-1: up to the last as-of date, its horizon and grace period."""
        return self.last_due_day + GRACE_DAYS + 1

    @property
    def end(self) -> date:
        """The last simulated day (the export date)."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def last_due_day(self) -> int:
        """Obligations are generated with due days 0..last_due_day (the last label window)."""
        return 7 * (self.history_weeks + self.weeks - 1) + LABEL_HORIZON_DAYS

    @property
    def as_of_days(self) -> np.ndarray:
        """Day offsets of the weekly as-of dates t = start + 7k, k = history_weeks, ..."""
        return 7 * np.arange(self.history_weeks, self.history_weeks + self.weeks)

    @property
    def treated(self) -> bool:
        """True when the history has interventions."""
        return self.treated_weeks > 0

    @property
    def chunks(self) -> list[tuple[int, int]]:
        """(first customer index, size) of each chunk."""
        return [
            (first, min(CHUNK_SIZE, self.customers - first))
            for first in range(0, self.customers, CHUNK_SIZE)
        ]


@dataclass(frozen=True)
class Calendar:
    """Day-level and month-level facts of the simulated period (day 0 = start)."""

    start: date
    days: int
    weekday: np.ndarray  # (days,) 0 = Monday
    month_start: np.ndarray  # (months,) day offset of the 1st of each month (may be negative)
    month_length: np.ndarray  # (months,)
    month_label: np.ndarray  # (months,) yyyymm as int

    @classmethod
    def build(cls, config: SimulationConfig) -> Calendar:
        first = date(config.start.year, config.start.month, 1)
        starts, lengths, labels = [], [], []
        month = first
        while month <= config.end:
            following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            starts.append((month - config.start).days)
            lengths.append((following - month).days)
            labels.append(month.year * 100 + month.month)
            month = following
        weekday = (config.start.weekday() + np.arange(config.days)) % 7
        return cls(
            start=config.start,
            days=config.days,
            weekday=weekday,
            month_start=np.array(starts),
            month_length=np.array(lengths),
            month_label=np.array(labels),
        )

    @property
    def months(self) -> int:
        return len(self.month_start)

    def monthly_days(self, day_of_month: np.ndarray) -> np.ndarray:
        """(n, months) day offsets of day `day_of_month` (0 = last day) in every month."""
        dom = day_of_month[:, None]
        length = self.month_length[None, :]
        day = np.where((dom == 0) | (dom > length), length, dom)
        return self.month_start[None, :] + day - 1

    def previous_workday(self, days: np.ndarray) -> np.ndarray:
        """Moves days falling on a weekend back to the Friday before."""
        weekday = (self.start.weekday() + days) % 7
        return days - np.where(weekday >= 5, weekday - 4, 0)
