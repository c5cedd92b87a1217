"""Spending features: essential vs discretionary, category shares and their changes."""

from __future__ import annotations

import polars as pl

from pde.contracts.data.schema import DISCRETIONARY_CATEGORIES, ESSENTIAL_CATEGORIES
from pde.training.features.exprs import count_where, safe_div, sum_where, trend
from pde.training.features.spec import D30, LB, TREND, declare
from pde.training.features.window import Window

SHARE_CATEGORIES = (
    "groceries",
    "dining",
    "entertainment",
    "travel",
    "utility",
    "rent",
    "healthcare",
    "card_purchase",
    "fuel",
)
NOT_SPENDING = ("savings_transfer",)
ZERO_WHEN_NO_EVENTS = (
    "spend_total",
    "spend_30d",
    "spend_essential",
    "spend_discretionary",
    "spend_categories",
    "discretionary_count_30d",
)


def debits(window: Window) -> pl.DataFrame:
    """Money going out, savings transfers excepted."""
    return window.transactions.filter(
        (pl.col("amount") < 0) & ~pl.col("category").is_in(NOT_SPENDING)
    )


def spending_features(window: Window) -> pl.DataFrame:
    out = debits(window)
    amount = pl.col("abs_amount")
    recent = pl.col("in_30d")
    essential = pl.col("category").is_in(ESSENTIAL_CATEGORIES)
    discretionary = pl.col("category").is_in(DISCRETIONARY_CATEGORIES)
    per_customer = out.group_by("customer_id").agg(
        spend_total=amount.sum(),
        spend_30d=sum_where(recent, amount),
        spend_essential=sum_where(essential, amount),
        spend_discretionary=sum_where(discretionary, amount),
        essential_30d=sum_where(essential & recent, amount),
        discretionary_30d=sum_where(discretionary & recent, amount),
        # purchase counts are steadier than amounts: cutting back shows as fewer purchases
        discretionary_count_30d=count_where(discretionary & recent).cast(pl.Float64),
        discretionary_count=count_where(discretionary).cast(pl.Float64),
        spend_categories=pl.col("category").n_unique().cast(pl.Float64),
        **{
            f"share_{category}": sum_where(pl.col("category") == category, amount)
            for category in SHARE_CATEGORIES
        },
    )
    daily = out.group_by("customer_id", "day").agg(total=amount.sum())
    daily_max = daily.group_by("customer_id").agg(spend_daily_max=pl.col("total").max())
    months = window.prior_months
    total = pl.col("spend_total")
    per_customer = per_customer.with_columns(
        spend_essential_share=safe_div(pl.col("spend_essential"), total),
        spend_discretionary_share=safe_div(pl.col("spend_discretionary"), total),
        spend_trend=trend(pl.col("spend_30d"), total - pl.col("spend_30d"), months),
        spend_essential_trend=trend(
            pl.col("essential_30d"), pl.col("spend_essential") - pl.col("essential_30d"), months
        ),
        spend_discretionary_trend=trend(
            pl.col("discretionary_30d"),
            pl.col("spend_discretionary") - pl.col("discretionary_30d"),
            months,
        ),
        discretionary_count_trend=trend(
            pl.col("discretionary_count_30d"),
            pl.col("discretionary_count") - pl.col("discretionary_count_30d"),
            months,
        ),
        **{f"share_{c}": safe_div(pl.col(f"share_{c}"), total) for c in SHARE_CATEGORIES},
    )
    return per_customer.join(daily_max, on="customer_id", how="left").select(
        "customer_id",
        "spend_total",
        "spend_30d",
        "spend_essential",
        "spend_discretionary",
        "spend_essential_share",
        "spend_discretionary_share",
        *(f"share_{c}" for c in SHARE_CATEGORIES),
        "spend_trend",
        "spend_essential_trend",
        "spend_discretionary_trend",
        "spend_daily_max",
        "spend_categories",
        "discretionary_count_30d",
        "discretionary_count_trend",
    )


# The catalogue entries of the features computed above.
ENTRIES = declare(
    __name__,
    "spending",
    [
        ("spend_total", "Total debits (absolute)", "currency", LB, "spending of {v}"),
        ("spend_30d", "Debits in the last 30 days", "currency", D30, "spending of {v} in 30 days"),
        (
            "spend_essential",
            "Essential spending (utilities, rent, groceries, health, fuel, loans)",
            "currency",
            LB,
            "essential spending {v}",
        ),
        (
            "spend_discretionary",
            "Discretionary spending (card, dining, entertainment, travel, gambling)",
            "currency",
            LB,
            "discretionary spending {v}",
        ),
        (
            "spend_essential_share",
            "Essential share of spending",
            "share",
            LB,
            "{v} of spending is essential",
        ),
        (
            "spend_discretionary_share",
            "Discretionary share of spending",
            "share",
            LB,
            "{v} of spending is discretionary",
        ),
        (
            "share_groceries",
            "Groceries share of spending",
            "share",
            LB,
            "{v} of spending on groceries",
        ),
        ("share_dining", "Dining share of spending", "share", LB, "{v} of spending on dining"),
        (
            "share_entertainment",
            "Entertainment share of spending",
            "share",
            LB,
            "{v} of spending on entertainment",
        ),
        ("share_travel", "Travel share of spending", "share", LB, "{v} of spending on travel"),
        (
            "share_utility",
            "Utilities share of spending",
            "share",
            LB,
            "{v} of spending on utilities",
        ),
        ("share_rent", "Rent share of spending", "share", LB, "{v} of spending on rent"),
        (
            "share_healthcare",
            "Healthcare share of spending",
            "share",
            LB,
            "{v} of spending on healthcare",
        ),
        (
            "share_card_purchase",
            "Card purchases share of spending",
            "share",
            LB,
            "{v} of spending by card purchase",
        ),
        ("share_fuel", "Fuel share of spending", "share", LB, "{v} of spending on fuel"),
        (
            "spend_trend",
            "Spending, last 30 days vs prior monthly rate",
            "ratio",
            TREND,
            "spending {v}x its usual rate",
        ),
        (
            "spend_essential_trend",
            "Essential spending trend",
            "ratio",
            TREND,
            "essential spending {v}x its usual rate",
        ),
        (
            "spend_discretionary_trend",
            "Discretionary spending trend",
            "ratio",
            TREND,
            "discretionary spending {v}x its usual rate",
        ),
        ("spend_daily_max", "Largest day of spending", "currency", LB, "a day of {v} spending"),
        (
            "spend_categories",
            "Distinct spending categories",
            "count",
            LB,
            "spending in {v} categories",
        ),
        (
            "discretionary_count_30d",
            "Discretionary purchases (shopping, dining, entertainment, travel, gambling)",
            "count",
            D30,
            "{v} discretionary purchases in 30 days",
        ),
        (
            "discretionary_count_trend",
            "Discretionary purchase count trend",
            "ratio",
            TREND,
            "discretionary purchases {v}x their usual rate",
        ),
    ],
)
