"""Recency-weighted activity: each event counts exp(-age / 14 days), so the last two weeks
weigh most.

Window totals (30 days, the lookback) describe a customer's usual behaviour; what happens in
the next 30 days follows the present more closely, and a shock that began a week ago barely
moves a 90-day total. These features see it.
"""

from __future__ import annotations

import math

import polars as pl

from pde.contracts.data.schema import DISCRETIONARY_CATEGORIES, ESSENTIAL_CATEGORIES
from pde.training.features.spec import RECENT, declare
from pde.training.features.window import Window

HALF_LIFE_DAYS = 14.0
_DECAY = math.log(2) / HALF_LIFE_DAYS

# feature name -> the transactions it weighs
_COUNTS: dict[str, pl.Expr] = {
    "recent_discretionary": pl.col("category").is_in(DISCRETIONARY_CATEGORIES)
    & (pl.col("amount") < 0),
    "recent_atm": pl.col("category") == "atm_withdrawal",
    "recent_lending_app": pl.col("category") == "lending_app",
    "recent_gambling": (pl.col("category") == "gambling") & (pl.col("amount") < 0),
    "recent_transfers_in": pl.col("category") == "transfer_in",
    "recent_fees": pl.col("category") == "fees",
}
FEATURES = (*_COUNTS, "recent_essential_amount", "recent_net_flow")
ZERO_WHEN_NO_EVENTS = FEATURES


def recent_features(window: Window) -> pl.DataFrame:
    tx = window.transactions.with_columns(weight=(-_DECAY * pl.col("days_before")).exp())
    weight = pl.col("weight")
    essential = pl.col("category").is_in(ESSENTIAL_CATEGORIES)
    return tx.group_by("customer_id").agg(
        *(pl.when(mask).then(weight).otherwise(0.0).sum().alias(n) for n, mask in _COUNTS.items()),
        recent_essential_amount=pl.when(essential & (pl.col("amount") < 0))
        .then(weight * pl.col("abs_amount"))
        .otherwise(0.0)
        .sum(),
        recent_net_flow=(weight * pl.col("amount")).sum(),
    )


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "recent",
    [
        (
            "recent_discretionary",
            "Discretionary purchases, each weighted by recency (half-life 14 days)",
            "weighted count",
            RECENT,
            "discretionary purchases in recent days: {v} (recency-weighted)",
        ),
        (
            "recent_atm",
            "ATM withdrawals, weighted by recency",
            "weighted count",
            RECENT,
            "ATM withdrawals in recent days: {v} (recency-weighted)",
        ),
        (
            "recent_lending_app",
            "Lending-app transactions, weighted by recency",
            "weighted count",
            RECENT,
            "lending-app activity in recent days: {v} (recency-weighted)",
        ),
        (
            "recent_gambling",
            "Gambling stakes, weighted by recency",
            "weighted count",
            RECENT,
            "gambling in recent days: {v} (recency-weighted)",
        ),
        (
            "recent_transfers_in",
            "Incoming transfers (family help), weighted by recency",
            "weighted count",
            RECENT,
            "incoming transfers in recent days: {v} (recency-weighted)",
        ),
        (
            "recent_fees",
            "Bank fees (returned debits), weighted by recency",
            "weighted count",
            RECENT,
            "bank fees in recent days: {v} (recency-weighted)",
        ),
        (
            "recent_essential_amount",
            "Essential spending amount, weighted by recency",
            "currency",
            RECENT,
            "recent essential spending {v} (recency-weighted)",
        ),
        (
            "recent_net_flow",
            "Money in minus money out, weighted by recency",
            "currency",
            RECENT,
            "recent net cash flow {v} (recency-weighted)",
        ),
    ],
)
