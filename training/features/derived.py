"""Derived features: profile, ratios to income, trends, interactions and a stress score."""

from __future__ import annotations

import polars as pl

from pde.contracts.data.schema import INCOME_BRACKETS
from pde.training.features.exprs import safe_div, sum_where, trend
from pde.training.features.salary import OTHER_INCOME
from pde.training.features.window import SALARY_CATEGORY, Window

# Employment types ordered by income stability (a test checks it covers the schema).
EMPLOYMENT_BY_STABILITY = (
    "salaried",
    "retired",
    "self_employed",
    "contract",
    "student",
    "unemployed",
)

# (indicator, weight): the composite stress score is the weighted share of indicators present.
STRESS_SIGNALS: tuple[tuple[pl.Expr, float], ...] = (
    (pl.col("credit_missed_count") > 0, 0.20),
    (pl.col("autodebit_failed_30d") > 0, 0.15),
    (pl.col("salary_missing") > 0, 0.15),
    (pl.col("salary_delay_last") > 3, 0.10),
    (pl.col("lending_app_30d") > 0, 0.10),
    (pl.col("bills_late_count") > 0, 0.08),
    (pl.col("balance_days_near_zero") > 5, 0.07),
    (pl.col("balance_drawdown") > 0.5, 0.05),
    (pl.col("gambling_amount_30d") > 0, 0.05),
    (pl.col("atm_trend") > 1.5, 0.05),
)


def profile_features(window: Window) -> pl.DataFrame:
    customers = window.customers
    t = pl.lit(window.as_of)
    declared = (
        pl.col("declared_income").cast(pl.Float64)
        if "declared_income" in customers.columns
        else pl.lit(None, dtype=pl.Float64)
    )
    return customers.select(
        "customer_id",
        age_years=(pl.lit(window.as_of.year) - pl.col("birth_year")).cast(pl.Float64),
        tenure_months=(t - pl.col("open_date")).dt.total_days() / 30.44,
        credit_limit=pl.col("credit_limit").cast(pl.Float64),
        outstanding_balance=pl.col("outstanding_balance").cast(pl.Float64),
        monthly_obligation=pl.col("monthly_obligation").cast(pl.Float64),
        declared_income=declared,
        income_bracket_rank=pl.col("income_bracket")
        .replace_strict(INCOME_BRACKETS, list(range(len(INCOME_BRACKETS))), default=None)
        .cast(pl.Float64),
        employment_rank=pl.col("employment_type")
        .replace_strict(
            EMPLOYMENT_BY_STABILITY, list(range(len(EMPLOYMENT_BY_STABILITY))), default=None
        )
        .cast(pl.Float64),
    )


def activity_extras(window: Window) -> pl.DataFrame:
    """Window aggregates that only derived features use (not in the catalogue)."""
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
    frame = frame.with_columns(
        salary_delay_x_failed_debits=pl.col("salary_delay_last") * pl.col("autodebit_failed_count"),
        missed_x_lending_app=pl.col("credit_missed_count") * pl.col("lending_app_count"),
        gambling_x_low_balance=pl.col("gambling_amount") * pl.col("balance_days_near_zero"),
        salary_missing_x_burden=pl.col("salary_missing") * pl.col("payment_burden"),
        overdue_x_utilisation=pl.col("credit_overdue_count") * pl.col("utilisation"),
        hoarding_x_salary_delay=pl.col("cash_hoarding_week_mean") * pl.col("salary_delay_last"),
        failed_debits_x_low_balance=pl.col("autodebit_failed_count")
        * pl.col("balance_days_near_zero"),
        lending_in_x_drawdown=pl.col("lending_app_to_income") * pl.col("balance_drawdown"),
        stress_signal_count=pl.sum_horizontal(
            *(signal.fill_null(False).cast(pl.Float64) for signal, _ in STRESS_SIGNALS)
        ),
        stress_score=pl.sum_horizontal(
            *(
                signal.fill_null(False).cast(pl.Float64) * weight
                for signal, weight in STRESS_SIGNALS
            )
        ),
    )
    return frame
