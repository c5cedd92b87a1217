"""Payment-history features: credit instalments, auto-debits and utility / rent bills."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import count_where, safe_div, sum_where
from pde.training.features.window import Window

BILL_KINDS = ("utility", "rent")
ZERO_WHEN_NO_EVENTS = (
    "credit_due_count",
    "credit_missed_count",
    "credit_missed_30d",
    "credit_late_count",
    "credit_partial_count",
    "credit_unpaid_amount",
    "credit_overdue_count",
    "credit_late_streak",
    "autodebit_failed_count",
    "autodebit_failed_30d",
    "bills_late_count",
)


def payment_features(window: Window) -> pl.DataFrame:
    pay = window.payments.sort("customer_id", "due_date")
    credit = pay.filter(pl.col("is_credit"))
    recent = pl.col("days_since_due") <= 30
    per_credit = (
        credit.group_by("customer_id")
        .agg(
            credit_due_count=pl.len().cast(pl.Float64),
            credit_missed_count=count_where(pl.col("missed")).cast(pl.Float64),
            credit_missed_30d=count_where(pl.col("missed") & recent).cast(pl.Float64),
            credit_days_late_max=pl.col("days_late").max(),
            credit_days_late_mean=pl.col("days_late").mean(),
            credit_days_late_last=pl.col("days_late").last(),
            credit_late_count=count_where(pl.col("days_late") > 0).cast(pl.Float64),
            credit_partial_count=count_where(
                pl.col("known_paid") & (pl.col("amount_paid") < pl.col("amount_due"))
            ).cast(pl.Float64),
            paid_sum=pl.col("paid_eff").sum(),
            due_sum=pl.col("amount_due").sum(),
            credit_unpaid_amount=sum_where(
                ~pl.col("known_paid"), pl.col("amount_due") - pl.col("paid_eff")
            ),
            credit_overdue_count=count_where(~pl.col("known_paid")).cast(pl.Float64),
            credit_due_amount_last=pl.col("amount_due").last(),
            credit_due_amount_mean=pl.col("amount_due").mean(),
            credit_paid_amount_last=pl.col("paid_eff").last(),
            credit_days_late_prev=pl.col("days_late").reverse().get(1, null_on_oob=True),
            credit_late_streak=(pl.col("days_late") > 0).reverse().cum_min().sum().cast(pl.Float64),
            credit_paid_to_due_last=pl.col("paid_eff").last() / pl.col("amount_due").last(),
            credit_paid_amount_mean=pl.col("paid_eff").mean(),
            credit_due_amount_max=pl.col("amount_due").max(),
            credit_days_since_missed=pl.col("days_since_due").filter(pl.col("missed")).min(),
        )
        .with_columns(
            credit_paid_ratio=safe_div(pl.col("paid_sum"), pl.col("due_sum")),
            credit_due_trend=safe_div(
                pl.col("credit_due_amount_last"), pl.col("credit_due_amount_mean")
            ),
            credit_days_since_missed=pl.col("credit_days_since_missed").cast(pl.Float64),
        )
    )
    failed = pl.col("auto_debit") & (pl.col("auto_debit_status") == "failed")
    bills = pl.col("kind").is_in(BILL_KINDS)
    per_all = (
        pay.group_by("customer_id")
        .agg(
            autodebit_failed_count=count_where(failed).cast(pl.Float64),
            autodebit_failed_30d=count_where(failed & recent).cast(pl.Float64),
            autodebit_attempts=count_where(pl.col("auto_debit")),
            bills_late_count=count_where(bills & (pl.col("days_late") > 0)).cast(pl.Float64),
            bills_days_late_mean=pl.col("days_late").filter(bills).mean(),
        )
        .with_columns(
            autodebit_failed_share=safe_div(
                pl.col("autodebit_failed_count"), pl.col("autodebit_attempts").cast(pl.Float64)
            ),
        )
    )
    return per_credit.join(per_all, on="customer_id", how="full", coalesce=True).select(
        "customer_id",
        "credit_due_count",
        "credit_missed_count",
        "credit_missed_30d",
        "credit_days_late_max",
        "credit_days_late_mean",
        "credit_days_late_last",
        "credit_late_count",
        "credit_partial_count",
        "credit_paid_ratio",
        "credit_unpaid_amount",
        "credit_overdue_count",
        "credit_due_amount_last",
        "credit_due_amount_mean",
        "credit_due_trend",
        "credit_paid_amount_last",
        "credit_days_late_prev",
        "credit_late_streak",
        "credit_paid_to_due_last",
        "credit_paid_amount_mean",
        "credit_due_amount_max",
        "credit_days_since_missed",
        "autodebit_failed_count",
        "autodebit_failed_30d",
        "autodebit_failed_share",
        "bills_late_count",
        "bills_days_late_mean",
    )
