"""Weekly flag series over the lookback, summarised by mean / std / min / max.

A flag is 0 or 1 per week; weeks without any event count as 0. For a binary series the four
summaries follow from the number of flagged weeks `k` out of `n`: mean `k/n`, std
`sqrt(m (1 - m))`, min `k == n`, max `k > 0`.
"""

from __future__ import annotations

import polars as pl

from pde.training.features.spec import WEEKLY, declare
from pde.training.features.window import Window

HOARDING_SHARE_OF_SALARY = 0.25
SPIKE_FACTOR = 2.0
FLAGS = ("cash_hoarding", "atm_spike", "gambling", "lending_app")


def weekly_flags(window: Window, salary_mean: pl.DataFrame, span: pl.DataFrame) -> pl.DataFrame:
    """Per customer: `<flag>_week_{mean,std,min,max}` for every flag in FLAGS.

    `span` has `customer_id` and `tx_history_days` (the oldest event's age in the window): a
    customer's series covers only the weeks since then.
    """
    tx = window.transactions
    category = pl.col("category")
    n_weeks = (
        (pl.col("tx_history_days") / 7).ceil().clip(lower_bound=1, upper_bound=window.n_weeks)
    ).alias("n_weeks")
    # only the rows of the flagged categories are grouped by week: a small part of the window
    flagged = tx.filter(category.is_in(("atm_withdrawal", "gambling", "lending_app")))
    weeks = flagged.group_by("customer_id", "week").agg(
        atm=pl.col("abs_amount").filter(category == "atm_withdrawal").sum(),
        gambling=(category == "gambling").any(),
        lending_app=(category == "lending_app").any(),
    )
    weeks = (
        weeks.join(span.select("customer_id", n_weeks), on="customer_id", how="left")
        .join(salary_mean, on="customer_id", how="left")
        .with_columns(atm_weekly_mean=pl.col("atm").sum().over("customer_id") / pl.col("n_weeks"))
        .with_columns(
            cash_hoarding=pl.col("atm") > HOARDING_SHARE_OF_SALARY * pl.col("salary_mean_amount"),
            atm_spike=(pl.col("atm") > 0)
            & (pl.col("atm") > SPIKE_FACTOR * pl.col("atm_weekly_mean")),
        )
    )
    counts = weeks.group_by("customer_id").agg(
        pl.col("n_weeks").first(),
        *(pl.col(flag).fill_null(False).cast(pl.Int64).sum().alias(flag) for flag in FLAGS),
    )
    summaries = []
    for flag in FLAGS:
        mean = pl.col(flag) / pl.col("n_weeks")
        summaries += [
            mean.alias(f"{flag}_week_mean"),
            (mean * (1 - mean)).sqrt().alias(f"{flag}_week_std"),
            (pl.col(flag) >= pl.col("n_weeks")).cast(pl.Float64).alias(f"{flag}_week_min"),
            (pl.col(flag) > 0).cast(pl.Float64).alias(f"{flag}_week_max"),
        ]
    return counts.select("customer_id", *summaries)


# The catalogue entries of the features computed above.
CASH_ENTRIES = declare(
    __name__,
    "cash",
    [
        (
            "cash_hoarding_week_mean",
            "Share of weeks with cash hoarding (cash > 25% of salary)",
            "share",
            WEEKLY,
            "cash hoarding in {v} of weeks",
        ),
        (
            "cash_hoarding_week_std",
            "Std of the weekly cash-hoarding flag",
            "ratio",
            WEEKLY,
            "erratic cash hoarding",
        ),
        (
            "cash_hoarding_week_min",
            "Min of the weekly cash-hoarding flag",
            "flag",
            WEEKLY,
            "cash hoarding every week",
        ),
        (
            "cash_hoarding_week_max",
            "Max of the weekly cash-hoarding flag",
            "flag",
            WEEKLY,
            "cash hoarding in some week",
        ),
        (
            "atm_spike_week_mean",
            "Share of weeks with an ATM spike (> 2x the weekly mean)",
            "share",
            WEEKLY,
            "ATM spikes in {v} of weeks",
        ),
        (
            "atm_spike_week_std",
            "Std of the weekly ATM-spike flag",
            "ratio",
            WEEKLY,
            "erratic ATM spikes",
        ),
        (
            "atm_spike_week_min",
            "Min of the weekly ATM-spike flag",
            "flag",
            WEEKLY,
            "ATM spike every week",
        ),
        (
            "atm_spike_week_max",
            "Max of the weekly ATM-spike flag",
            "flag",
            WEEKLY,
            "an ATM spike in some week",
        ),
    ],
)


PATTERNS_ENTRIES = declare(
    __name__,
    "patterns",
    [
        (
            "gambling_week_mean",
            "Share of weeks with gambling",
            "share",
            WEEKLY,
            "gambling in {v} of weeks",
        ),
        (
            "gambling_week_std",
            "Std of the weekly gambling flag",
            "ratio",
            WEEKLY,
            "intermittent gambling",
        ),
        (
            "gambling_week_min",
            "Min of the weekly gambling flag",
            "flag",
            WEEKLY,
            "gambling every week",
        ),
        (
            "gambling_week_max",
            "Max of the weekly gambling flag",
            "flag",
            WEEKLY,
            "gambling in some week",
        ),
        (
            "lending_app_week_mean",
            "Share of weeks with lending-app transfers",
            "share",
            WEEKLY,
            "lending-app transfers in {v} of weeks",
        ),
        (
            "lending_app_week_std",
            "Std of the weekly lending-app flag",
            "ratio",
            WEEKLY,
            "intermittent lending-app use",
        ),
        (
            "lending_app_week_min",
            "Min of the weekly lending-app flag",
            "flag",
            WEEKLY,
            "lending-app transfers every week",
        ),
        (
            "lending_app_week_max",
            "Max of the weekly lending-app flag",
            "flag",
            WEEKLY,
            "lending-app transfers in some week",
        ),
    ],
)
