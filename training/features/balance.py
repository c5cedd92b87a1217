"""Savings and balance features, from the balance after each transaction."""

from __future__ import annotations

import polars as pl

from training.features.exprs import safe_div
from training.features.window import Window

NEAR_ZERO = 100.0
ZERO_WHEN_NO_EVENTS = ("savings_transfers",)


def balance_features(window: Window) -> pl.DataFrame:
    tx = window.transactions
    savings = (
        tx.filter(pl.col("category") == "savings_transfer")
        .group_by("customer_id")
        .agg(savings_transfers=-pl.col("amount").sum())
    )
    if not window.has_balance:
        return savings
    rows = tx.filter(pl.col("balance_after").is_not_null()).sort("customer_id", "timestamp")
    x = -pl.col("days_before")
    y = pl.col("balance_after")
    per_customer = rows.group_by("customer_id").agg(
        balance_last=y.last(),
        balance_mean=y.mean(),
        balance_min=y.min(),
        balance_max=y.max(),
        balance_std=y.std(),
        balance_slope=safe_div(
            ((x - x.mean()) * (y - y.mean())).sum(), ((x - x.mean()) ** 2).sum()
        ),
        balance_days_near_zero=pl.col("day").filter(y < NEAR_ZERO).n_unique().cast(pl.Float64),
        balance_days_negative=pl.col("day").filter(y < 0).n_unique().cast(pl.Float64),
        first_30d=y.filter(pl.col("in_30d")).first(),
    )
    per_customer = per_customer.with_columns(
        balance_drawdown=safe_div(
            pl.col("balance_max") - pl.col("balance_last"), pl.col("balance_max")
        ),
        balance_change_30d=pl.col("balance_last") - pl.col("first_30d"),
    )
    return per_customer.join(savings, on="customer_id", how="full", coalesce=True).select(
        "customer_id",
        "balance_last",
        "balance_mean",
        "balance_min",
        "balance_max",
        "balance_std",
        "balance_slope",
        "balance_drawdown",
        "balance_days_near_zero",
        "balance_days_negative",
        "balance_change_30d",
        "savings_transfers",
    )
