"""Salary features: amounts, timing, delays and missing salaries."""

from __future__ import annotations

import polars as pl

from pde.training.features.exprs import safe_div
from pde.training.features.spec import LB, declare
from pde.training.features.window import SALARY_CATEGORY, Window

DEFAULT_INTERVAL_DAYS = 30.4
OTHER_INCOME = ("other_income", "transfer_in")
ZERO_WHEN_NO_EVENTS = ("salary_count", "salary_total", "other_income_total")


def salary_features(window: Window) -> pl.DataFrame:
    tx = window.transactions
    salaries = (
        tx.filter((pl.col("category") == SALARY_CATEGORY) & (pl.col("amount") > 0))
        .sort("customer_id", "timestamp")
        .with_columns(
            interval=pl.col("days_before").diff().over("customer_id").neg(),
            dom=pl.col("timestamp").dt.day().cast(pl.Float64),
        )
    )
    per_customer = salaries.group_by("customer_id").agg(
        salary_count=pl.len(),
        salary_total=pl.col("amount").sum(),
        salary_mean_amount=pl.col("amount").mean(),
        salary_last_amount=pl.col("amount").last(),
        prev_mean=pl.col("amount").head(pl.len() - 1).mean(),
        salary_amount_std=pl.col("amount").std(),
        salary_interval_mean=pl.col("interval").mean(),
        salary_interval_std=pl.col("interval").std(),
        usual_all=pl.col("interval").median(),
        usual_prior=pl.col("interval").drop_nulls().head(pl.col("interval").count() - 1).median(),
        last_interval=pl.col("interval").last(),
        intervals=pl.col("interval").drop_nulls(),
        salary_days_since_last=pl.col("days_before").min(),
        salary_day_std=pl.col("dom").std(),
        first_days_before=pl.col("days_before").max(),
    )
    usual_prior = pl.coalesce("usual_prior", "usual_all", pl.lit(DEFAULT_INTERVAL_DAYS))
    usual_all = pl.coalesce("usual_all", pl.lit(DEFAULT_INTERVAL_DAYS))
    ongoing = (pl.col("salary_days_since_last") - usual_all).clip(lower_bound=0)
    per_customer = per_customer.with_columns(
        salary_amount_change=safe_div(pl.col("salary_last_amount"), pl.col("prev_mean")) - 1,
        salary_amount_cv=safe_div(pl.col("salary_amount_std"), pl.col("salary_mean_amount")),
        salary_delay_last=pl.max_horizontal(
            (pl.col("last_interval") - usual_prior).clip(lower_bound=0), ongoing
        ),
        salary_delay_max=pl.max_horizontal(
            (pl.col("intervals").list.max() - usual_all).clip(lower_bound=0), ongoing
        ),
        salary_missing=(pl.col("salary_days_since_last") > 1.25 * usual_all).cast(pl.Float64),
        salary_missed_estimate=(
            (pl.lit(float(window.lookback_days)) / usual_all).floor() - pl.col("salary_count")
        ).clip(lower_bound=0),
    )
    other = tx.filter(pl.col("category").is_in(OTHER_INCOME) & (pl.col("amount") > 0))
    other_income = other.group_by("customer_id").agg(other_income_total=pl.col("amount").sum())
    return per_customer.join(other_income, on="customer_id", how="full", coalesce=True).select(
        "customer_id",
        "salary_count",
        "salary_total",
        "salary_mean_amount",
        "salary_last_amount",
        "salary_amount_change",
        "salary_amount_cv",
        "salary_interval_mean",
        "salary_interval_std",
        "salary_delay_last",
        "salary_delay_max",
        "salary_days_since_last",
        "salary_missing",
        "salary_missed_estimate",
        "salary_day_std",
        "other_income_total",
    )


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "salary",
    [
        (
            "salary_count",
            "Salary credits received",
            "count",
            LB,
            "{v} salary credits in the period",
        ),
        ("salary_total", "Sum of salary credits", "currency", LB, "salary income of {v}"),
        ("salary_mean_amount", "Mean salary credit", "currency", LB, "average salary {v}"),
        ("salary_last_amount", "Latest salary credit", "currency", LB, "latest salary {v}"),
        (
            "salary_amount_change",
            "Latest salary vs the mean of the earlier ones, relative",
            "ratio",
            LB,
            "latest salary changed by {v} (relative)",
        ),
        (
            "salary_amount_cv",
            "Coefficient of variation of salary amounts",
            "ratio",
            LB,
            "irregular salary amounts (CV {v})",
        ),
        (
            "salary_interval_mean",
            "Mean days between salary credits",
            "days",
            LB,
            "salary every {v} days on average",
        ),
        (
            "salary_interval_std",
            "Std of days between salary credits (irregularity)",
            "days",
            LB,
            "salary timing varies by {v} days",
        ),
        (
            "salary_delay_last",
            "Days the latest salary came later than the usual interval",
            "days",
            LB,
            "salary arrived {v} days late",
        ),
        (
            "salary_delay_max",
            "Largest salary delay against the usual interval",
            "days",
            LB,
            "a salary arrived up to {v} days late",
        ),
        (
            "salary_days_since_last",
            "Days since the latest salary credit",
            "days",
            LB,
            "no salary for {v} days",
        ),
        (
            "salary_missing",
            "1 when the expected salary has not arrived (overdue by 25%)",
            "flag",
            LB,
            "expected salary has not arrived",
        ),
        (
            "salary_missed_estimate",
            "Expected minus received salary credits",
            "count",
            LB,
            "{v} expected salary credits missing",
        ),
        (
            "salary_day_std",
            "Std of the day of month salaries arrive",
            "days",
            LB,
            "salary day varies by {v} days",
        ),
        (
            "other_income_total",
            "Non-salary income (other income, transfers in)",
            "currency",
            LB,
            "other income of {v}",
        ),
    ],
)
