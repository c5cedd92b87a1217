"""Time to miss: the discrete-time hazard model's intervals and how its per-interval hazards
become the chance of a miss within 7, 14 and 30 days and an expected number of days.

The label window `(t, t + 30 days]` is cut into `INTERVAL_ENDS`; the hazard model gives, per
interval k, the probability of a first miss in k given none before it. Training and the
server combine hazards with these functions only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pde.contracts.data.schema import LABEL_HORIZON_DAYS

# Days after the as-of date at which each interval ends: (0, 7], (7, 14], (14, 21], (21, 30].
INTERVAL_ENDS: tuple[int, ...] = (7, 14, 21, LABEL_HORIZON_DAYS)
_STARTS = (0, *INTERVAL_ENDS[:-1])
# Where in its interval a miss is counted for the expected days (the middle).
_MIDPOINTS = np.array([(a + b) / 2 for a, b in zip(_STARTS, INTERVAL_ENDS, strict=True)])

F64 = npt.NDArray[np.float64]


def with_intervals(x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Each row repeated once per interval with the interval index appended, row-major:
    [rows * intervals, features + 1], the input of the hazard graph."""
    rows = np.asarray(x, dtype=np.float32)
    repeated = np.repeat(rows, len(INTERVAL_ENDS), axis=0)
    index = np.tile(np.arange(len(INTERVAL_ENDS), dtype=np.float32), rows.shape[0])[:, None]
    return np.hstack([repeated, index])


def concat(parts: list[MissForecast]) -> MissForecast:
    """The forecasts of consecutive batches as one."""
    return MissForecast(*(np.concatenate([getattr(p, name) for p in parts]) for name in _FIELDS))


def interval_of(days: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The interval index (0-based) of a miss `days` after the as-of date (1..30)."""
    return np.searchsorted(np.asarray(INTERVAL_ENDS), np.asarray(days), side="left")


@dataclass(frozen=True)
class MissForecast:
    """Per row: the probability of a miss within 7, 14 and 30 days, and the expected days
    to the miss given one within 30 days."""

    within_7d: F64
    within_14d: F64
    within_30d: F64
    expected_days: F64


_FIELDS = ("within_7d", "within_14d", "within_30d", "expected_days")


def forecast(hazards: npt.ArrayLike) -> MissForecast:
    """Combines hazards [rows, len(INTERVAL_ENDS)] into a `MissForecast`."""
    h = np.clip(np.asarray(hazards, dtype=np.float64), 0.0, 1.0)
    if h.ndim != 2 or h.shape[1] != len(INTERVAL_ENDS):
        raise ValueError(f"hazards must be [rows, {len(INTERVAL_ENDS)}], got {h.shape}")
    survival: F64 = np.cumprod(1.0 - h, axis=1, dtype=np.float64)
    before = np.hstack([np.ones((h.shape[0], 1)), survival[:, :-1]])
    first_miss = before * h  # probability the first miss falls in each interval
    within: F64 = 1.0 - survival
    total = within[:, -1]
    expected = np.divide(
        first_miss @ _MIDPOINTS,
        total,
        out=np.full(total.shape, float(LABEL_HORIZON_DAYS)),
        where=total > 0,
    )
    return MissForecast(
        within_7d=within[:, 0],
        within_14d=within[:, 1],
        within_30d=total,
        expected_days=expected,
    )


def forecast_one(hazards: list[float]) -> tuple[float, float, float, float]:
    """`forecast` of ONE row's hazards in plain floats (the one-row scoring path has no use
    for arrays): (within 7 days, within 14, within 30, expected days)."""
    survival, total_days = 1.0, 0.0
    within: list[float] = []
    for hazard, midpoint in zip(hazards, _MIDPOINTS.tolist(), strict=True):
        h = min(max(hazard, 0.0), 1.0)
        total_days += survival * h * midpoint
        survival *= 1.0 - h
        within.append(1.0 - survival)
    total = within[-1]
    expected = total_days / total if total > 0 else float(LABEL_HORIZON_DAYS)
    return within[0], within[1], total, expected
