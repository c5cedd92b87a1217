"""Profile features: the customer's record (age, tenure, credit line, income, employment) at
the as-of date."""

from __future__ import annotations

import polars as pl

from pde.contracts.data.schema import INCOME_BRACKETS
from pde.training.features.spec import ASOF, declare
from pde.training.features.window import Window

# Employment types ordered by income stability (a test checks it covers the schema).
EMPLOYMENT_BY_STABILITY = (
    "salaried",
    "retired",
    "self_employed",
    "contract",
    "student",
    "unemployed",
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


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "derived",
    [
        ("age_years", "Age at the as-of date", "years", ASOF, "age {v}"),
        (
            "tenure_months",
            "Months since the relationship began",
            "months",
            ASOF,
            "customer for {v} months",
        ),
        ("credit_limit", "Credit limit", "currency", ASOF, "credit limit {v}"),
        ("outstanding_balance", "Amount owed", "currency", ASOF, "owes {v}"),
        (
            "monthly_obligation",
            "Contractual monthly repayment",
            "currency",
            ASOF,
            "monthly repayment {v}",
        ),
        ("declared_income", "Declared monthly income", "currency", ASOF, "declared income {v}"),
        (
            "income_bracket_rank",
            "Income bracket, 0 = low .. 4 = high",
            "rank",
            ASOF,
            "income bracket {v}",
        ),
        (
            "employment_rank",
            "Employment type by stability, 0 = salaried .. 5 = unemployed",
            "rank",
            ASOF,
            "employment type {v}",
        ),
    ],
)
