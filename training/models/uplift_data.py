"""The treated history of a training frame: each row's arm and 30-day outcome, and (for
simulated data) each arm's true miss probability, joined on customer and as-of date."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pde.contracts.data.io import load_interventions
from pde.contracts.interventions import (
    ARMS,
    UPLIFT_TRUTH_FILE,
    truth_column,
)
from pde.decision.outcomes import SUCCESS


@dataclass(frozen=True)
class UpliftData:
    """Per training row: the arm assigned on its as-of date (index into ARMS, -1: none
    assigned), 1 when the 30-day outcome was not a success, the customer's product and
    declared protected attributes; with the simulator's truth, (rows, arms) miss
    probabilities (NaN where unknown)."""

    arm: np.ndarray
    missed: np.ndarray
    product: np.ndarray
    attributes: dict[str, np.ndarray]
    truth: np.ndarray | None = None

    @property
    def assigned(self) -> np.ndarray:
        return np.asarray(self.arm >= 0)


def _join(keys: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    return keys.join(other, on=["customer_id", "as_of"], how="left", maintain_order="left")


def uplift_data(
    keys: pl.DataFrame,
    data_dir: Path,
    customers: pl.DataFrame,
    *,
    protected: tuple[str, ...] = (),
) -> UpliftData | None:
    """The treated history of the rows `keys` (customer_id, as_of in frame order); None when
    `data_dir` has no interventions file."""
    interventions = load_interventions(data_dir)
    if interventions is None or interventions.height == 0:
        return None
    keys = keys.select(pl.col("customer_id").cast(pl.String), pl.col("as_of").cast(pl.Date))
    arm_code = pl.Series(ARMS, dtype=pl.String)
    assigned = interventions.select(
        "customer_id",
        pl.col("date").alias("as_of"),
        pl.col("action")
        .replace_strict(arm_code, pl.Series(range(len(ARMS))), return_dtype=pl.Int64)
        .alias("arm"),
        (pl.col("outcome") != SUCCESS).cast(pl.Int8).alias("missed"),
    ).unique(["customer_id", "as_of"], keep="last", maintain_order=True)
    joined = _join(keys, assigned)
    unknown = [c for c in protected if c not in customers.columns]
    if unknown:
        raise ValueError(f"protected attributes {unknown} are not customer columns")
    profile = keys.join(
        customers.select("customer_id", "product", *protected),
        on="customer_id",
        how="left",
        maintain_order="left",
    )
    truth = None
    truth_path = data_dir / UPLIFT_TRUTH_FILE
    if truth_path.is_file():
        columns = [truth_column(arm) for arm in ARMS]
        table = pl.read_parquet(truth_path, columns=["customer_id", "as_of", *columns])
        truth = _join(keys, table).select(columns).to_numpy().astype(np.float64)
    return UpliftData(
        arm=joined["arm"].fill_null(-1).to_numpy().astype(np.int64),
        missed=joined["missed"].fill_null(0).to_numpy().astype(np.int8),
        product=profile["product"].to_numpy().astype(str),
        attributes={
            c: profile[c].cast(pl.String).fill_null("unknown").to_numpy() for c in protected
        },
        truth=truth,
    )
