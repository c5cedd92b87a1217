"""Features that follow the calendar, and why their drift never raises an alert.

A bundle's reference distributions pool the training rows of many as-of dates, at every
position in the month and in the customers' pay cycle. One scoring date sits at one
position: features that depend on it move between dates although the population does not
(a clean simulated portfolio raised a PSI alert on every weekly date through them, the score
itself staying stable; tests/jobs/test_calendar_drift.py). Their PSI is still measured,
stored (`feature_drift.calendar`) and shown, but it does not count towards the date's level,
its warnings or its alerts. A real shift of income or spending still shows in the features
that do not follow the calendar (amounts, shares, ratios over the whole lookback) and in the
score's own PSI, which always counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PAY_CYCLE = (
    "where the date falls between two salary credits: the days since the latest one and "
    "how late it came, the balance on the day (high just after a salary, low just before) "
    "and activity weighted towards the last days"
)
SALARIES_IN_WINDOW = (
    "how many monthly salaries the window holds (two, three or four in 90 days, one or "
    "two in 30 days) depends on the day of the month"
)
HISTORY = "grows with the calendar: the span of the data seen so far, not the customer"

_REASONS: dict[str, str] = {
    **dict.fromkeys(
        (
            "salary_days_since_last",
            "salary_delay_last",
            "salary_delay_max",
            "balance_last",
            "balance_drawdown",
            "balance_change_30d",
            "atm_pre_salary_amount",
            "atm_pre_salary_share",
            "recent_discretionary",
            "recent_atm",
            "recent_lending_app",
            "recent_gambling",
            "recent_transfers_in",
            "recent_fees",
            "recent_essential_amount",
            "recent_net_flow",
            "recent_net_flow_to_income",
            "recent_essential_to_income",
        ),
        PAY_CYCLE,
    ),
    **dict.fromkeys(
        (
            "salary_count",
            "salary_total",
            "salary_interval_mean",
            "salary_interval_std",
            "salary_day_std",
            "income_trend",
            "net_flow_30d",
            "net_flow_trend",
        ),
        SALARIES_IN_WINDOW,
    ),
    "history_days": HISTORY,
}

CALENDAR_FEATURES: Mapping[str, str] = MappingProxyType(_REASONS)


def follows_calendar(feature: str) -> bool:
    """True for a feature whose PSI is kept out of the date's level (see the module)."""
    return feature in CALENDAR_FEATURES
