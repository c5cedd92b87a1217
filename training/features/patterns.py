"""Transaction-pattern features: activity, amounts, channels, gambling and lending apps."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import count_where, safe_div, sum_where, trend
from pde.training.features.spec import D30, LB, TREND, declare
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


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "patterns",
    [
        ("txn_count", "Transactions", "count", LB, "{v} transactions"),
        (
            "txn_count_30d",
            "Transactions in the last 30 days",
            "count",
            D30,
            "{v} transactions in 30 days",
        ),
        (
            "txn_count_trend",
            "Transaction count, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "activity {v}x the usual rate",
        ),
        (
            "txn_amount_mean",
            "Mean absolute transaction amount",
            "currency",
            LB,
            "average transaction {v}",
        ),
        (
            "txn_amount_std",
            "Std of transaction amounts",
            "currency",
            LB,
            "transaction amounts vary by {v}",
        ),
        ("txn_debit_max", "Largest single debit", "currency", LB, "a single debit of {v}"),
        ("txn_days_active", "Days with at least one transaction", "days", LB, "active on {v} days"),
        (
            "channel_online_share",
            "Online share of transactions",
            "share",
            LB,
            "{v} of transactions online",
        ),
        (
            "channel_mobile_share",
            "Mobile share of transactions",
            "share",
            LB,
            "{v} of transactions on mobile",
        ),
        (
            "channel_branch_share",
            "Branch share of transactions",
            "share",
            LB,
            "{v} of transactions in branch",
        ),
        (
            "channel_card_share",
            "Card share of transactions",
            "share",
            LB,
            "{v} of transactions by card",
        ),
        (
            "weekend_spend_share",
            "Weekend share of spending",
            "share",
            LB,
            "{v} of spending at weekends",
        ),
        (
            "month_end_spend_share",
            "Share of spending on day 25 or later",
            "share",
            LB,
            "{v} of spending at month end",
        ),
        ("fees_count", "Fees charged (overdraft, returned items)", "count", LB, "{v} bank fees"),
        ("gambling_count", "Gambling transactions", "count", LB, "{v} gambling transactions"),
        ("gambling_amount", "Gambling spend", "currency", LB, "{v} spent on gambling"),
        (
            "gambling_amount_30d",
            "Gambling spend in the last 30 days",
            "currency",
            D30,
            "{v} spent on gambling in 30 days",
        ),
        (
            "lending_app_count",
            "Lending-app transactions",
            "count",
            LB,
            "{v} payday-lending app transactions",
        ),
        (
            "lending_app_in",
            "Money received from lending apps",
            "currency",
            LB,
            "{v} borrowed from lending apps",
        ),
        (
            "lending_app_out",
            "Money paid to lending apps",
            "currency",
            LB,
            "{v} repaid to lending apps",
        ),
        (
            "lending_app_30d",
            "Lending-app transactions in the last 30 days",
            "count",
            D30,
            "{v} lending-app transactions in 30 days",
        ),
    ],
)
