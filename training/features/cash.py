"""Cash features: ATM withdrawals, spikes and cash taken out just before payday."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import safe_div, sum_where, trend
from pde.training.features.spec import D30, LB, TREND, declare
from pde.training.features.window import SALARY_CATEGORY, Window

PRE_SALARY_DAYS = 7.0
ZERO_WHEN_NO_EVENTS = ("atm_count", "atm_amount", "atm_amount_30d", "atm_pre_salary_amount")


def cash_features(window: Window, spend_total: pl.DataFrame) -> pl.DataFrame:
    tx = window.transactions
    atm = tx.filter(pl.col("category") == "atm_withdrawal").sort("timestamp")
    salaries = (
        tx.filter(pl.col("category") == SALARY_CATEGORY)
        .select("customer_id", salary_at=pl.col("timestamp"))
        .sort("salary_at")
    )
    atm = atm.join_asof(
        salaries,
        left_on="timestamp",
        right_on="salary_at",
        by="customer_id",
        strategy="forward",
        check_sortedness=False,  # both sides are sorted by time above
    ).with_columns(
        pre_salary=(pl.col("salary_at") - pl.col("timestamp")).dt.total_seconds()
        <= PRE_SALARY_DAYS * 86_400
    )
    amount = pl.col("abs_amount")
    per_customer = atm.group_by("customer_id").agg(
        atm_count=pl.len().cast(pl.Float64),
        atm_amount=amount.sum(),
        atm_amount_30d=sum_where(pl.col("in_30d"), amount),
        atm_mean_amount=amount.mean(),
        atm_pre_salary_amount=sum_where(pl.col("pre_salary").fill_null(False), amount),
    )
    return (
        per_customer.join(spend_total, on="customer_id", how="left")
        .with_columns(
            atm_share=safe_div(pl.col("atm_amount"), pl.col("spend_total")),
            atm_trend=trend(
                pl.col("atm_amount_30d"),
                pl.col("atm_amount") - pl.col("atm_amount_30d"),
                window.prior_months,
            ),
            atm_pre_salary_share=safe_div(pl.col("atm_pre_salary_amount"), pl.col("atm_amount")),
        )
        .select(
            "customer_id",
            "atm_count",
            "atm_amount",
            "atm_amount_30d",
            "atm_share",
            "atm_trend",
            "atm_mean_amount",
            "atm_pre_salary_amount",
            "atm_pre_salary_share",
        )
    )


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "cash",
    [
        ("atm_count", "ATM withdrawals", "count", LB, "{v} ATM withdrawals"),
        ("atm_amount", "ATM withdrawal amount", "currency", LB, "{v} withdrawn in cash"),
        (
            "atm_amount_30d",
            "ATM withdrawal amount in the last 30 days",
            "currency",
            D30,
            "{v} withdrawn in cash in 30 days",
        ),
        ("atm_share", "ATM share of spending", "share", LB, "{v} of spending in cash"),
        (
            "atm_trend",
            "ATM withdrawals, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "cash withdrawals {v}x the usual rate",
        ),
        ("atm_mean_amount", "Mean ATM withdrawal", "currency", LB, "average withdrawal {v}"),
        (
            "atm_pre_salary_amount",
            "Cash withdrawn in the 7 days before a salary credit",
            "currency",
            LB,
            "{v} cash withdrawn just before payday",
        ),
        (
            "atm_pre_salary_share",
            "Share of cash withdrawn in the 7 days before salary",
            "share",
            LB,
            "{v} of cash withdrawn just before payday",
        ),
    ],
)
