"""Derived features: ratios to income and to the credit line, cash flow, and trends."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import safe_div, sum_where, trend
from pde.training.features.salary import OTHER_INCOME
from pde.training.features.spec import ASOF, D30, LB, RECENT, TREND, declare
from pde.training.features.window import SALARY_CATEGORY, Window


def activity_extras(window: Window) -> pl.DataFrame:
    """Window aggregates the derived features start from (`net_flow`, `net_flow_30d` are
    features themselves)."""
    income = pl.col("category").is_in((SALARY_CATEGORY, *OTHER_INCOME)) & (pl.col("amount") > 0)
    recent = pl.col("in_30d")
    balance = pl.col("balance_after") if "balance_after" in window.transactions.columns else None
    aggs = [
        pl.col("amount").sum().alias("net_flow"),
        sum_where(recent, pl.col("amount")).alias("net_flow_30d"),
        sum_where(income, pl.col("amount")).alias("income_total"),
        sum_where(income & recent, pl.col("amount")).alias("income_30d"),
        pl.col("days_before").max().alias("tx_history_days"),
    ]
    if balance is not None:
        aggs += [
            balance.filter(recent).mean().alias("balance_mean_30d"),
            balance.filter(~recent).mean().alias("balance_mean_prior"),
        ]
    return window.transactions.group_by("customer_id").agg(aggs)


def derived_features(window: Window, joined: pl.DataFrame) -> pl.DataFrame:
    """Adds the derived columns to the frame that holds every other family's columns."""
    covered_days = pl.min_horizontal(
        pl.col("history_days").clip(lower_bound=1), pl.lit(float(window.lookback_days))
    )
    months = covered_days / 30.0
    income = pl.col("monthly_income")
    prior = window.prior_months
    frame = joined.with_columns(
        history_days=pl.max_horizontal(pl.col("tx_history_days"), pl.col("pay_history_days")).clip(
            upper_bound=float(window.lookback_days)
        ),
    ).with_columns(
        monthly_income=pl.when(pl.col("salary_count") > 0)
        .then(pl.col("salary_total") / months)
        .otherwise(pl.col("declared_income")),
        utilisation=safe_div(pl.col("outstanding_balance"), pl.col("credit_limit")),
        bill_to_limit=safe_div(pl.col("credit_due_amount_last"), pl.col("credit_limit")),
        payment_to_limit=safe_div(pl.col("credit_paid_amount_mean"), pl.col("credit_limit")),
        monthly_spend=pl.col("spend_total") / months,
    )
    frame = frame.with_columns(
        payment_burden=safe_div(pl.col("monthly_obligation"), income),
        spend_to_income=safe_div(pl.col("monthly_spend"), income),
        essential_to_income=safe_div(pl.col("spend_essential") / months, income),
        recent_essential_to_income=safe_div(pl.col("recent_essential_amount"), income),
        recent_net_flow_to_income=safe_div(pl.col("recent_net_flow"), income),
        discretionary_to_income=safe_div(pl.col("spend_discretionary") / months, income),
        atm_to_income=safe_div(pl.col("atm_amount") / months, income),
        gambling_to_income=safe_div(pl.col("gambling_amount") / months, income),
        lending_app_to_income=safe_div(pl.col("lending_app_in") / months, income),
        balance_to_obligation=safe_div(pl.col("balance_last"), pl.col("monthly_obligation")),
        net_flow_trend=pl.col("net_flow_30d")
        - (pl.col("net_flow") - pl.col("net_flow_30d")) / prior,
        savings_rate=safe_div(pl.col("net_flow") / months, income),
        expense_coverage_days=safe_div(
            pl.col("balance_last"), pl.col("spend_total") / covered_days
        ),
        emergency_fund_months=safe_div(pl.col("balance_last"), pl.col("monthly_spend")),
        income_trend=trend(
            pl.col("income_30d"), pl.col("income_total") - pl.col("income_30d"), prior
        ),
        balance_trend=safe_div(pl.col("balance_mean_30d"), pl.col("balance_mean_prior")),
        gambling_trend=trend(
            pl.col("gambling_amount_30d"),
            pl.col("gambling_amount") - pl.col("gambling_amount_30d"),
            prior,
        ),
        lending_app_trend=trend(
            pl.col("lending_app_30d"),
            pl.col("lending_app_count") - pl.col("lending_app_30d"),
            prior,
        ),
        autodebit_failed_trend=trend(
            pl.col("autodebit_failed_30d"),
            pl.col("autodebit_failed_count") - pl.col("autodebit_failed_30d"),
            prior,
        ),
    )
    return frame


# The catalogue entries of the features computed above.
EMERGENCY_FUND_ENTRIES = declare(
    __name__,
    "balance",
    [
        (
            "emergency_fund_months",
            "Latest balance over mean monthly spending",
            "months",
            LB,
            "savings cover only {v} months of spending",
        ),
    ],
)


ENTRIES = declare(
    __name__,
    "derived",
    [
        (
            "utilisation",
            "Outstanding balance over credit limit",
            "ratio",
            ASOF,
            "credit utilisation {v}",
        ),
        (
            "bill_to_limit",
            "Latest credit instalment over the credit limit",
            "ratio",
            LB,
            "latest bill is {v} of the limit",
        ),
        (
            "payment_to_limit",
            "Mean credit payment over the credit limit",
            "ratio",
            LB,
            "payments are {v} of the limit",
        ),
        (
            "monthly_income",
            "Observed monthly income (salary, or declared when none)",
            "currency",
            LB,
            "monthly income {v}",
        ),
        (
            "payment_burden",
            "Monthly obligation over monthly income",
            "ratio of income",
            LB,
            "repayments take {v} of income",
        ),
        (
            "spend_to_income",
            "Monthly spending over monthly income",
            "ratio of income",
            LB,
            "spending is {v} of income",
        ),
        (
            "essential_to_income",
            "Monthly essential spending over income",
            "ratio of income",
            LB,
            "essentials take {v} of income",
        ),
        (
            "recent_essential_to_income",
            "Recency-weighted essential spending over monthly income",
            "ratio of income",
            RECENT,
            "recent essential spending {v} of income (recency-weighted)",
        ),
        (
            "recent_net_flow_to_income",
            "Recency-weighted net cash flow over monthly income",
            "ratio of income",
            RECENT,
            "recent net cash flow {v} of income (recency-weighted)",
        ),
        (
            "discretionary_to_income",
            "Monthly discretionary spending over income",
            "ratio of income",
            LB,
            "discretionary spending {v} of income",
        ),
        (
            "atm_to_income",
            "Monthly cash withdrawals over income",
            "ratio of income",
            LB,
            "cash withdrawals {v} of income",
        ),
        (
            "gambling_to_income",
            "Monthly gambling over income",
            "ratio of income",
            LB,
            "gambling {v} of income",
        ),
        (
            "lending_app_to_income",
            "Monthly lending-app borrowing over income",
            "ratio of income",
            LB,
            "lending-app borrowing {v} of income",
        ),
        (
            "balance_to_obligation",
            "Latest balance over the monthly obligation",
            "ratio",
            LB,
            "balance covers {v}x the monthly repayment",
        ),
        ("net_flow", "Credits minus debits", "currency", LB, "net cash flow {v}"),
        (
            "net_flow_30d",
            "Credits minus debits in the last 30 days",
            "currency",
            D30,
            "net cash flow {v} in 30 days",
        ),
        (
            "net_flow_trend",
            "Net flow, last 30 days minus prior monthly rate",
            "currency",
            TREND,
            "cash flow worsened by {v}",
        ),
        ("savings_rate", "Net flow over income", "ratio of income", LB, "saving {v} of income"),
        (
            "expense_coverage_days",
            "Days of spending the latest balance covers",
            "days",
            LB,
            "balance covers {v} days of spending",
        ),
        (
            "income_trend",
            "Income, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "income {v}x its usual rate",
        ),
        (
            "balance_trend",
            "Mean balance, last 30 days over prior",
            "ratio",
            TREND,
            "balance {v}x its usual level",
        ),
        (
            "gambling_trend",
            "Gambling, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "gambling {v}x its usual rate",
        ),
        (
            "lending_app_trend",
            "Lending-app activity, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "lending-app use {v}x its usual rate",
        ),
        (
            "autodebit_failed_trend",
            "Failed auto-debits, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "failed auto-debits {v}x the usual rate",
        ),
    ],
)


HISTORY_ENTRIES = declare(
    __name__,
    "derived",
    [
        (
            "history_days",
            "Days from the first observed event to the as-of date",
            "days",
            LB,
            "only {v} days of history",
        ),
    ],
)
