"""Transaction-pattern features: activity, amounts, channels, gambling and lending apps."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import count_where, safe_div, sum_where, trend
from pde.training.features.window import Window

CHANNEL_SHARES = ("online", "mobile", "branch", "card")
ZERO_WHEN_NO_EVENTS = (
    "txn_count",
    "txn_count_30d",
    "txn_days_active",
    "fees_count",
    "gambling_count",
    "gambling_amount",
    "gambling_amount_30d",
    "lending_app_count",
    "lending_app_in",
    "lending_app_out",
    "lending_app_30d",
)


def pattern_features(window: Window) -> pl.DataFrame:
    tx = window.transactions
    amount = pl.col("abs_amount")
    debit = pl.col("amount") < 0
    recent = pl.col("in_30d")
    gambling = pl.col("category") == "gambling"
    lending = pl.col("category") == "lending_app"
    per_customer = tx.group_by("customer_id").agg(
        txn_count=pl.len().cast(pl.Float64),
        txn_count_30d=count_where(recent).cast(pl.Float64),
        txn_amount_mean=amount.mean(),
        txn_amount_std=amount.std(),
        txn_debit_max=amount.filter(debit).max(),
        txn_days_active=pl.col("day").n_unique().cast(pl.Float64),
        **{
            f"channel_{c}_share": count_where(pl.col("channel") == c).cast(pl.Float64) / pl.len()
            for c in CHANNEL_SHARES
        },
        debit_total=amount.filter(debit).sum(),
        weekend_spend=sum_where(debit & (pl.col("timestamp").dt.weekday() >= 6), amount),
        month_end_spend=sum_where(debit & (pl.col("timestamp").dt.day() >= 25), amount),
        fees_count=count_where(pl.col("category") == "fees").cast(pl.Float64),
        gambling_count=count_where(gambling).cast(pl.Float64),
        gambling_amount=sum_where(gambling & debit, amount),
        gambling_amount_30d=sum_where(gambling & debit & recent, amount),
        lending_app_count=count_where(lending).cast(pl.Float64),
        lending_app_in=sum_where(lending & ~debit, amount),
        lending_app_out=sum_where(lending & debit, amount),
        lending_app_30d=count_where(lending & recent).cast(pl.Float64),
    )
    return per_customer.with_columns(
        txn_count_trend=trend(
            pl.col("txn_count_30d"),
            pl.col("txn_count") - pl.col("txn_count_30d"),
            window.prior_months,
        ),
        weekend_spend_share=safe_div(pl.col("weekend_spend"), pl.col("debit_total")),
        month_end_spend_share=safe_div(pl.col("month_end_spend"), pl.col("debit_total")),
    ).select(
        "customer_id",
        "txn_count",
        "txn_count_30d",
        "txn_count_trend",
        "txn_amount_mean",
        "txn_amount_std",
        "txn_debit_max",
        "txn_days_active",
        *(f"channel_{c}_share" for c in CHANNEL_SHARES),
        "weekend_spend_share",
        "month_end_spend_share",
        "fees_count",
        "gambling_count",
        "gambling_amount",
        "gambling_amount_30d",
        "lending_app_count",
        "lending_app_in",
        "lending_app_out",
        "lending_app_30d",
    )
