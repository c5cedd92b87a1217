"""Savings and balance features, from the balance after each transaction."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import count_where, safe_div
from pde.training.features.spec import D30, LB, declare
from pde.training.features.window import Window

NEAR_ZERO = 100.0
ZERO_WHEN_NO_EVENTS = ("savings_transfers", "savings_deposits", "savings_withdrawals")


def balance_features(window: Window) -> pl.DataFrame:
    tx = window.transactions
    savings = (
        tx.filter(pl.col("category") == "savings_transfer")
        .group_by("customer_id")
        .agg(
            savings_transfers=-pl.col("amount").sum(),
            savings_deposits=count_where(pl.col("amount") < 0).cast(pl.Float64),
            savings_withdrawals=count_where(pl.col("amount") > 0).cast(pl.Float64),
            # the latest month's choice (positive: put aside, negative: drawn down)
            savings_last_flow=-pl.col("amount").get(pl.col("timestamp").arg_max()),
        )
    )
    if not window.has_balance:
        return savings
    y = pl.col("balance_after")
    rows = tx.filter(y.is_not_null()).with_columns(
        x=-pl.col("days_before"), xy=-pl.col("days_before") * y, xx=pl.col("days_before") ** 2
    )
    # plain sums keep the group-by on its fast path; the slope is least squares from them
    per_customer = (
        rows.group_by("customer_id")
        .agg(
            balance_last=y.get(pl.col("timestamp").arg_max()),
            balance_mean=y.mean(),
            balance_min=y.min(),
            balance_max=y.max(),
            balance_std=y.std(),
            n=pl.len().cast(pl.Float64),
            sx=pl.col("x").sum(),
            sy=y.sum(),
            sxy=pl.col("xy").sum(),
            sxx=pl.col("xx").sum(),
        )
        .with_columns(
            balance_slope=safe_div(
                pl.col("n") * pl.col("sxy") - pl.col("sx") * pl.col("sy"),
                pl.col("n") * pl.col("sxx") - pl.col("sx") ** 2,
            )
        )
    )
    recent = (
        rows.filter(pl.col("in_30d"))
        .group_by("customer_id")
        .agg(first_30d=y.get(pl.col("timestamp").arg_min()))
    )
    # the few low-balance rows are counted apart: a filtered n_unique per group is slow
    low = (
        rows.filter(y < NEAR_ZERO)
        .group_by("customer_id")
        .agg(
            balance_days_near_zero=pl.col("day").n_unique().cast(pl.Float64),
            balance_days_negative=pl.col("day").filter(y < 0).n_unique().cast(pl.Float64),
        )
    )
    per_customer = (
        per_customer.join(low, on="customer_id", how="left").join(
            recent, on="customer_id", how="left"
        )
    ).with_columns(
        pl.col("balance_days_near_zero", "balance_days_negative").fill_null(0.0),
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
        "savings_deposits",
        "savings_withdrawals",
        "savings_last_flow",
    )


# The catalogue entries of the features computed above.
BALANCE_ENTRIES = declare(
    __name__,
    "balance",
    [
        ("balance_last", "Latest account balance", "currency", LB, "balance down to {v}"),
        ("balance_mean", "Mean account balance", "currency", LB, "average balance {v}"),
        ("balance_min", "Lowest account balance", "currency", LB, "balance fell to {v}"),
        ("balance_max", "Highest account balance", "currency", LB, "peak balance {v}"),
        ("balance_std", "Balance volatility (std)", "currency", LB, "volatile balance (std {v})"),
        (
            "balance_slope",
            "Balance trend, currency per day (least squares)",
            "currency/day",
            LB,
            "balance trending {v} per day",
        ),
        (
            "balance_drawdown",
            "Fall from the peak balance to the latest, share of the peak",
            "share",
            LB,
            "savings drawn down by {v}",
        ),
        (
            "balance_days_near_zero",
            "Days with a balance under 100",
            "days",
            LB,
            "balance near zero on {v} days",
        ),
        (
            "balance_days_negative",
            "Days with a negative balance",
            "days",
            LB,
            "overdrawn on {v} days",
        ),
        (
            "balance_change_30d",
            "Latest balance minus the first balance of the last 30 days",
            "currency",
            D30,
            "balance changed by {v} in 30 days",
        ),
    ],
)


SAVINGS_ENTRIES = declare(
    __name__,
    "balance",
    [
        (
            "savings_transfers",
            "Net transfers to savings (negative = withdrawn from savings)",
            "currency",
            LB,
            "savings transfers of {v}",
        ),
        (
            "savings_deposits",
            "Transfers into savings",
            "count",
            LB,
            "{v} transfers into savings",
        ),
        (
            "savings_withdrawals",
            "Withdrawals from savings",
            "count",
            LB,
            "{v} withdrawals from savings",
        ),
        (
            "savings_last_flow",
            "Latest savings transfer (negative = withdrawn from savings)",
            "currency",
            LB,
            "latest savings transfer {v}",
        ),
    ],
)
