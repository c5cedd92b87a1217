"""Payment-history features: credit instalments, auto-debits and utility / rent bills."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import count_where, safe_div, sum_where
from pde.training.features.spec import D30, LB, declare
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


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "payments",
    [
        ("credit_due_count", "Credit instalments due", "count", LB, "{v} instalments due"),
        (
            "credit_missed_count",
            "Credit instalments missed (unpaid, >5 days late or <50% paid)",
            "count",
            LB,
            "{v} missed credit payments",
        ),
        (
            "credit_missed_30d",
            "Credit instalments missed in the last 30 days",
            "count",
            D30,
            "{v} missed credit payments in 30 days",
        ),
        (
            "credit_days_late_max",
            "Most days late on a credit instalment",
            "days",
            LB,
            "a credit payment {v} days late",
        ),
        (
            "credit_days_late_mean",
            "Mean days late on credit instalments",
            "days",
            LB,
            "credit payments {v} days late on average",
        ),
        (
            "credit_days_late_last",
            "Days late on the latest credit instalment",
            "days",
            LB,
            "latest credit payment {v} days late",
        ),
        (
            "credit_late_count",
            "Credit instalments paid after the due date",
            "count",
            LB,
            "{v} late credit payments",
        ),
        (
            "credit_partial_count",
            "Credit instalments paid only in part",
            "count",
            LB,
            "{v} partial credit payments",
        ),
        (
            "credit_paid_ratio",
            "Paid over due on credit instalments",
            "ratio",
            LB,
            "paid {v} of what was due",
        ),
        (
            "credit_unpaid_amount",
            "Credit amount due and still unpaid",
            "currency",
            LB,
            "{v} overdue on credit",
        ),
        (
            "credit_overdue_count",
            "Credit instalments past due and unpaid",
            "count",
            LB,
            "{v} instalments currently overdue",
        ),
        (
            "credit_due_amount_last",
            "Amount of the latest credit instalment",
            "currency",
            LB,
            "latest bill {v}",
        ),
        (
            "credit_due_amount_mean",
            "Mean credit instalment amount",
            "currency",
            LB,
            "average bill {v}",
        ),
        (
            "credit_due_trend",
            "Latest instalment over the mean instalment",
            "ratio",
            LB,
            "latest bill {v}x the usual",
        ),
        (
            "credit_paid_amount_last",
            "Amount paid on the latest credit instalment",
            "currency",
            LB,
            "paid {v} on the latest bill",
        ),
        (
            "credit_days_late_prev",
            "Days late on the instalment before the latest",
            "days",
            LB,
            "previous credit payment {v} days late",
        ),
        (
            "credit_late_streak",
            "Latest instalments in a row paid late or unpaid",
            "count",
            LB,
            "{v} late credit payments in a row",
        ),
        (
            "credit_paid_to_due_last",
            "Paid over due on the latest instalment",
            "ratio",
            LB,
            "paid {v} of the latest bill",
        ),
        (
            "credit_paid_amount_mean",
            "Mean amount paid per credit instalment",
            "currency",
            LB,
            "pays {v} per instalment on average",
        ),
        ("credit_due_amount_max", "Largest credit instalment", "currency", LB, "a bill of {v}"),
        (
            "credit_days_since_missed",
            "Days since the latest missed credit instalment",
            "days",
            LB,
            "missed a payment {v} days ago",
        ),
        (
            "autodebit_failed_count",
            "Failed auto-debits (all obligations)",
            "count",
            LB,
            "{v} failed auto-debits",
        ),
        (
            "autodebit_failed_30d",
            "Failed auto-debits in the last 30 days",
            "count",
            D30,
            "{v} failed auto-debits in 30 days",
        ),
        (
            "autodebit_failed_share",
            "Failed share of auto-debit attempts",
            "share",
            LB,
            "{v} of auto-debits failed",
        ),
        (
            "bills_late_count",
            "Utility and rent bills paid late or unpaid",
            "count",
            LB,
            "{v} late utility or rent bills",
        ),
        (
            "bills_days_late_mean",
            "Mean days late on utility and rent bills",
            "days",
            LB,
            "bills paid {v} days late on average",
        ),
    ],
)
