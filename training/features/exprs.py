"""Small polars expressions shared by the feature families."""

from __future__ import annotations

import polars as pl


def safe_div(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null where the denominator is zero, negative or null."""
    return pl.when(denominator > 0).then(numerator / denominator).otherwise(None)


def trend(recent: pl.Expr, prior: pl.Expr, prior_months: float) -> pl.Expr:
    """The last 30 days over the prior period's monthly rate (1.0 = unchanged)."""
    return safe_div(recent, prior / prior_months)


def sum_where(condition: pl.Expr, value: pl.Expr) -> pl.Expr:
    # a masked sum is much faster than value.filter(condition).sum() inside a group_by
    return pl.when(condition).then(value).otherwise(0.0).sum()


def count_where(condition: pl.Expr) -> pl.Expr:
    return condition.cast(pl.Int64).sum()
