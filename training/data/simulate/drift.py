"""An injected population drift, for testing monitoring: from a given week on, incomes shrink
and discretionary spending grows (as in a downturn), while the customers' latent risk and
their obligations follow the model as before. `pde simulate --drift-from-week N`."""

from __future__ import annotations

import numpy as np

from pde.training.data.simulate.events import CATEGORY, Events

# Income falls by a third, discretionary spending rises by half, from the drift's first day.
INCOME_FACTOR = 0.65
SPENDING_FACTOR = 1.5
INCOME = ("salary", "other_income")
SPENDING = ("groceries", "card_purchase", "dining", "entertainment", "travel", "fuel", "other")


def drift_first_day(*, history_weeks: int, drift_from_week: int) -> int:
    """Day offset of the drift's start: week N counts from the first as-of date (week 0)."""
    return 7 * (history_weeks + drift_from_week)


def shift_events(events: Events, *, first_day: int) -> Events:
    """The events with income amounts scaled by INCOME_FACTOR and discretionary spending by
    SPENDING_FACTOR from `first_day` on (amounts rounded to cents again)."""
    late = events.day >= first_day
    factor = np.ones(events.amount.shape[0])
    factor[late & np.isin(events.category, [CATEGORY[c] for c in INCOME])] = INCOME_FACTOR
    factor[late & np.isin(events.category, [CATEGORY[c] for c in SPENDING])] = SPENDING_FACTOR
    return Events(
        customer=events.customer,
        day=events.day,
        second=events.second,
        amount=np.round(events.amount * factor, 2),
        category=events.category,
        channel=events.channel,
    )
