"""The in-memory form of a canonical data directory."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class CanonicalData:
    """Validated canonical tables as polars frames, with the schema's dtypes.

    Dates are `pl.Date`, timestamps `pl.Datetime("us")`, identifiers `pl.String`, amounts
    `pl.Float64`. `transactions` may be empty (some sources, such as UCI Taiwan, have none).
    """

    customers: pl.DataFrame
    transactions: pl.DataFrame
    payments: pl.DataFrame

    @property
    def has_transactions(self) -> bool:
        return self.transactions.height > 0
