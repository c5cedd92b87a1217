"""Turns one chunk's arrays into canonical polars frames (customers, transactions, payments)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pde.contracts.data.schema import (
    AUTO_DEBIT_STATUSES,
    CHANNELS,
    EMPLOYMENT_TYPES,
    INCOME_BRACKETS,
    OBLIGATION_KINDS,
    PRODUCTS,
    TRANSACTION_CATEGORIES,
)
from pde.training.data.simulate.config import SimulationConfig
from pde.training.data.simulate.events import Events
from pde.training.data.simulate.obligations import Obligations
from pde.training.data.simulate.population import REGIONS, Profiles

_EPOCH = date(1970, 1, 1)
_US_PER_DAY = 86_400_000_000


def customer_ids(first: int, size: int) -> pl.Series:
    return pl.Series("customer_id", [f"C{i:07d}" for i in range(first + 1, first + size + 1)])


def _pick(values: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(codes.astype(np.int64))


def dates(start: date, days: np.ndarray) -> pl.Series:
    epoch = np.asarray(days, dtype=float) + (start - _EPOCH).days
    return pl.Series(epoch).cast(pl.Int32, strict=False).cast(pl.Date)


def customers_frame(
    rng: np.random.Generator,
    *,
    config: SimulationConfig,
    ids: pl.Series,
    profiles: Profiles,
    stress_at_start: np.ndarray,
) -> pl.DataFrame:
    """Profiles and exposure as of the first simulated day (so they leak nothing later)."""
    n = profiles.size
    revolving = np.isin(
        profiles.product, (PRODUCTS.index("credit_card"), PRODUCTS.index("overdraft"))
    )
    usage = np.clip(0.35 + 0.2 * stress_at_start + 0.15 * rng.standard_normal(n), 0.02, 1.0)
    usage = np.where(revolving, usage, rng.uniform(0.15, 0.95, n))
    declared = np.round(profiles.income * np.exp(0.1 * rng.standard_normal(n)), -1)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "open_date": dates(config.start, -profiles.tenure_days),
            "birth_year": config.start.year - profiles.age.astype(np.int64),
            "income_bracket": _pick(INCOME_BRACKETS, profiles.bracket),
            "employment_type": _pick(EMPLOYMENT_TYPES, profiles.employment),
            "region": _pick(REGIONS, profiles.region),
            "product": _pick(PRODUCTS, profiles.product),
            "credit_limit": profiles.credit_limit,
            "outstanding_balance": np.round(profiles.credit_limit * usage, 2),
            "monthly_obligation": profiles.obligation,
            "declared_income": pl.Series(np.where(rng.random(n) < 0.2, np.nan, declared)).fill_nan(
                None
            ),
        }
    )


def transactions_frame(
    *,
    config: SimulationConfig,
    ids: pl.Series,
    events: Events,
    opening_balance: np.ndarray,
    first_number: int,
) -> pl.DataFrame:
    """Transactions sorted by customer and time, numbered from `first_number`, with balances."""
    order = np.lexsort((events.second, events.day, events.customer))
    customer = events.customer[order]
    amount = events.amount[order]
    running = np.cumsum(amount)
    starts = np.searchsorted(customer, np.arange(ids.len()))
    before = np.concatenate([[0.0], running])[starts]
    balance = running - before[customer] + opening_balance[customer]
    start_us = (config.start - _EPOCH).days * _US_PER_DAY
    stamp = start_us + events.day[order].astype(np.int64) * _US_PER_DAY
    stamp += events.second[order].astype(np.int64) * 1_000_000
    numbers = np.arange(first_number, first_number + order.shape[0])
    return pl.DataFrame(
        {
            "transaction_id": pl.Series(numbers).cast(pl.String).str.zfill(10),
            "customer_id": ids.gather(customer.astype(np.int64)),
            "timestamp": pl.Series(stamp).cast(pl.Datetime("us")),
            "amount": amount,
            "category": _pick(TRANSACTION_CATEGORIES, events.category[order]),
            "channel": _pick(CHANNELS, events.channel[order]),
            "balance_after": np.round(balance, 2),
        }
    ).with_columns((pl.lit("T") + pl.col("transaction_id")).alias("transaction_id"))


def payments_frame(
    *, config: SimulationConfig, ids: pl.Series, obligations: Obligations, month_label: np.ndarray
) -> pl.DataFrame:
    o = obligations
    order = np.lexsort((o.kind, o.due_day, o.customer))
    customer = ids.gather(o.customer[order].astype(np.int64))
    kind = _pick(OBLIGATION_KINDS, o.kind[order])
    statuses = pl.Series([None, *AUTO_DEBIT_STATUSES], dtype=pl.String)
    status_text = statuses.gather(o.status[order].astype(np.int64) + 1)
    frame = pl.DataFrame(
        {
            "obligation_id": pl.Series(month_label[o.month[order]]).cast(pl.String),
            "customer_id": customer,
            "kind": kind,
            "due_date": dates(config.start, o.due_day[order]),
            "amount_due": o.amount_due[order],
            "paid_date": dates(config.start, o.paid_day[order]),
            "amount_paid": o.amount_paid[order],
            "auto_debit": o.auto_debit[order],
            "auto_debit_status": status_text,
        }
    )
    return frame.with_columns(
        pl.concat_str(["customer_id", "kind", "obligation_id"], separator="-").alias(
            "obligation_id"
        ),
    )


def truth_frame(*, config: SimulationConfig, ids: pl.Series, truth: np.ndarray) -> pl.DataFrame:
    """One row per customer and weekly as-of date; null probability when nothing is due."""
    weeks = config.as_of_days.shape[0]
    return pl.DataFrame(
        {
            "customer_id": ids.gather(np.repeat(np.arange(ids.len()), weeks)),
            "as_of": dates(config.start, np.tile(config.as_of_days, ids.len())),
            "true_probability": pl.Series(truth.reshape(-1)).fill_nan(None),
        }
    )
