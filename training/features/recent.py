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
