"""Stress features: interactions of two stress signals and the composite stress score, from
the columns of every other family (see `pde.training.features.compute`)."""

from __future__ import annotations

import polars as pl

from pde.training.features.spec import LB, declare

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


def stress_features(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the interactions and the stress score to the frame of every other feature."""
    return frame.with_columns(
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


# The catalogue entries of the features computed above.
INTERACTION_ENTRIES = declare(
    __name__,
    "derived",
    [
        (
            "salary_delay_x_failed_debits",
            "Latest salary delay times failed auto-debits",
            "score",
            LB,
            "late salary together with failed auto-debits",
        ),
        (
            "missed_x_lending_app",
            "Missed credit payments times lending-app transactions",
            "score",
            LB,
            "missed payments while borrowing from lending apps",
        ),
        (
            "gambling_x_low_balance",
            "Gambling spend on days near zero balance (product)",
            "score",
            LB,
            "gambling while the balance is near zero",
        ),
        (
            "salary_missing_x_burden",
            "Missing salary times payment burden",
            "score",
            LB,
            "salary missing with a heavy repayment burden",
        ),
        (
            "overdue_x_utilisation",
            "Overdue instalments times utilisation",
            "score",
            LB,
            "overdue instalments on a highly used limit",
        ),
        (
            "hoarding_x_salary_delay",
            "Cash hoarding share times latest salary delay",
            "score",
            LB,
            "hoarding cash while the salary is late",
        ),
        (
            "failed_debits_x_low_balance",
            "Failed auto-debits times days near zero",
            "score",
            LB,
            "failed auto-debits with the balance near zero",
        ),
        (
            "lending_in_x_drawdown",
            "Lending-app borrowing share of income times drawdown",
            "score",
            LB,
            "borrowing from lending apps while savings fall",
        ),
    ],
)


STRESS_ENTRIES = declare(
    __name__,
    "derived",
    [
        (
            "stress_signal_count",
            "Stress signals present (of 10)",
            "count",
            LB,
            "{v} stress signals at once",
        ),
        (
            "stress_score",
            "Composite stress score, 0 (none) to 1 (all signals, strongly)",
            "score",
            LB,
            "stress signals add up to {v} on a scale of 0 (none) to 1 (all, strongly)",
        ),
    ],
)
