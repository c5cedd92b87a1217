"""Signal sanity: the customers the truth ranks riskiest show each stress signal more often."""

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from pde.contracts.data.io import load_dataset
from pde.contracts.data.label_rule import missed
from pde.training.data.simulate import SimulationSummary

from .conftest import SMALL

# The margin: in the top decile of true risk each signal is seen at least RATIO times as often
# as in the bottom half, and at least GAP (absolute share of customers) more often.
RATIO = 1.5
GAP = 0.01
AS_OF = SMALL.start + timedelta(days=int(SMALL.as_of_days[6]))
LOOKBACK = timedelta(days=42)


def signal_flags(out: Path) -> pl.DataFrame:
    """One row per customer labelled at AS_OF: its true probability and 0/1 signal columns."""
    data = load_dataset(out)
    start, end = AS_OF - LOOKBACK, AS_OF
    window = data.transactions.filter(
        pl.col("timestamp").is_between(
            datetime.combine(start, datetime.min.time()),
            datetime.combine(end, datetime.min.time()),
            closed="left",
        )
    )
    due = data.payments.filter(pl.col("due_date").is_between(start, end - timedelta(days=6)))
    category = pl.col("category")
    earners = data.transactions.filter(category == "salary").select("customer_id").unique()
    paid_salary = window.filter(category == "salary").select("customer_id").unique()
    atm = window.filter(category == "atm_withdrawal").group_by("customer_id").len()
    signals = {
        "no_salary_credit": earners.join(paid_salary, on="customer_id", how="anti"),
        "savings_drawdown": window.filter(
            (category == "savings_transfer") & (pl.col("amount") > 0)
        ),
        "atm_cash_4_plus": atm.filter(pl.col("len") >= 4),
        "gambling": window.filter(category == "gambling"),
        "lending_app": window.filter(category == "lending_app"),
        "late_utility_or_rent": due.filter(pl.col("kind").is_in(["utility", "rent"]) & missed()),
        "failed_auto_debit": due.filter(pl.col("auto_debit_status") == "failed"),
        "overdrawn": window.filter(pl.col("balance_after") < 0),
    }
    truth = pl.read_parquet(out / "truth.parquet")
    flags = (
        truth.filter(pl.col("as_of") == AS_OF)
        .drop_nulls()
        .select("customer_id", "true_probability")
    )
    for name, rows in signals.items():
        seen = rows.select("customer_id").unique().with_columns(pl.lit(1).alias(name))
        flags = flags.join(seen, on="customer_id", how="left").with_columns(
            pl.col(name).fill_null(0)
        )
    return flags


def test_signals_more_frequent_in_top_risk_decile(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    flags = signal_flags(small_simulation[0])
    risk = pl.col("true_probability")
    top = flags.filter(risk >= risk.quantile(0.9))
    bottom = flags.filter(risk <= risk.quantile(0.5))
    assert top.height >= 150 and bottom.height >= 800
    failures = []
    for name in flags.columns[2:]:
        high, low = float(top[name].mean()), float(bottom[name].mean())  # type: ignore[arg-type]
        if not (high >= RATIO * low and high >= low + GAP):
            failures.append(f"{name}: top decile {high:.3f}, bottom half {low:.3f}")
    assert not failures, failures


def test_signals_are_noisy_not_separable(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    """Healthy customers use cash and some gamble; most of the riskiest do not gamble."""
    flags = signal_flags(small_simulation[0])
    risk = pl.col("true_probability")
    top = flags.filter(risk >= risk.quantile(0.9))
    bottom = flags.filter(risk <= risk.quantile(0.5))
    assert float(bottom["atm_cash_4_plus"].mean()) > 0.2  # type: ignore[arg-type]
    assert float(bottom["gambling"].mean()) > 0.02  # type: ignore[arg-type]
    assert float(top["gambling"].mean()) < 0.5  # type: ignore[arg-type]
