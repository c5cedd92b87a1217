"""Fairness at the level of actions: per protected group, who is alerted, with what, how
often it works, and whether the probabilities hold.

Groups are age bands and any customer attribute a bank declares protected
(`PDE_PROTECTED_ATTRIBUTES`). A group's rate below `ratio` times the highest group's rate
(default 0.8, the four-fifths rule) is flagged; so is a group whose mean predicted probability
and observed default rate differ by more than that ratio. Groups of fewer than `min_rows` rows
are reported but never flagged (too few to tell).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pde.contracts.interventions import ARMS

AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("18-24", 0, 25),
    ("25-34", 25, 35),
    ("35-49", 35, 50),
    ("50-64", 50, 65),
    ("65+", 65, np.inf),
)
MIN_ROWS = 50


def age_bands(age_years: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """The age band of each age in years (`unknown` when missing)."""
    age = np.asarray(age_years, dtype=np.float64)
    bands = np.full(age.shape, "unknown", dtype=object)
    for name, low, high in AGE_BANDS:
        bands[(age >= low) & (age < high)] = name
    return bands.astype(str)


@dataclass(frozen=True)
class Outcomes:
    """Per row: alerted, the arm (an action or `none`), cured (1/0 or the expected cure
    probability), the predicted default probability and the observed default (0/1)."""

    alerted: npt.NDArray[np.bool_]
    arm: npt.NDArray[np.str_]
    cured: npt.NDArray[np.float64]
    p: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]


def _group_figures(o: Outcomes, mask: npt.NDArray[np.bool_]) -> dict[str, Any]:
    rows = int(mask.sum())
    alerted = o.alerted & mask
    arms = o.arm[alerted]
    mix = {arm: float(np.mean(arms == arm)) if len(arms) else 0.0 for arm in ARMS[1:]}
    return {
        "rows": rows,
        "share_alerted": float(alerted.sum() / rows) if rows else 0.0,
        "action_mix": mix,
        "cure_rate": float(o.cured[alerted].mean()) if alerted.any() else float("nan"),
        "mean_probability": float(o.p[mask].mean()) if rows else float("nan"),
        "default_rate": float(o.y[mask].mean()) if rows else float("nan"),
    }


def _flags(groups: dict[str, dict[str, Any]], *, ratio: float, min_rows: int) -> list[str]:
    sized = {g: f for g, f in groups.items() if f["rows"] >= min_rows}
    flags: list[str] = []
    for figure in ("share_alerted", "cure_rate"):
        values = {g: f[figure] for g, f in sized.items() if np.isfinite(f[figure])}
        top = max(values.values(), default=0.0)
        for group, value in values.items():
            if top > 0 and value < ratio * top:
                flags.append(f"{figure} of {group} is {value / top:.2f} of the highest group's")
    for group, f in sized.items():
        predicted, observed = f["mean_probability"], f["default_rate"]
        if observed > 0 and predicted > 0 and not ratio <= predicted / observed <= 1 / ratio:
            flags.append(
                f"calibration of {group}: mean predicted {predicted:.3f} against observed"
                f" {observed:.3f}"
            )
    return flags


def fairness_report(
    outcomes: Outcomes,
    attributes: Mapping[str, npt.ArrayLike],
    *,
    ratio: float = 0.8,
    min_rows: int = MIN_ROWS,
) -> dict[str, Any]:
    """Per attribute and group: share alerted, action mix, cure rate, mean predicted
    probability and default rate; and the disparities past `ratio` (see the module)."""
    report: dict[str, Any] = {"ratio": ratio, "min_rows": min_rows, "attributes": {}}
    for name, values in attributes.items():
        labels = np.asarray(values).astype(str)
        groups = {
            str(g): _group_figures(outcomes, labels == g) for g in sorted(set(labels.tolist()))
        }
        report["attributes"][name] = {
            "groups": groups,
            "flags": _flags(groups, ratio=ratio, min_rows=min_rows),
        }
    return report
