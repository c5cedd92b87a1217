"""Train / validation / test splits, cross-validation folds and customer-grouped sampling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from pde.training.models.config import TrainConfig, TrainingError
from pde.training.models.frame import TrainingFrame


@dataclass(frozen=True)
class Split:
    """Row indices of each part, and how they were chosen (for the report)."""

    kind: Literal["out_of_time", "stratified"]
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    periods: dict[str, list[str]]

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "rows": {
                "train": len(self.train),
                "validation": len(self.validation),
                "test": len(self.test),
            },
            "periods": self.periods,
        }


def _check_both_classes(y: np.ndarray, split: Split) -> None:
    for name, rows in (("train", split.train), ("validation", split.validation)):
        labels = y[rows]
        if len(rows) == 0 or labels.min() == labels.max():
            raise TrainingError(f"the {name} split has {len(rows)} rows and not both classes")
    if len(split.test) == 0:
        raise TrainingError("the test split is empty")


def held_out_periods(count: int) -> int:
    """Default number of as-of dates for test and for validation: a fifth each, 1 to 4."""
    return min(4, max(1, count // 5))


def out_of_time_split(times: np.ndarray, *, config: TrainConfig) -> Split:
    """Latest as-of dates -> test; the dates before -> validation, then train.

    Deployment is simulated at the first test date: only rows whose label window
    (as_of, as_of + gap_days] has closed by then may be fitted on, so the as-of dates within
    `gap_days` before the test set are left out of both validation and train.
    """
    periods = np.unique(times)
    n_test = config.test_periods or held_out_periods(len(periods))
    n_val = config.validation_periods or held_out_periods(len(periods))
    if len(periods) <= n_test:
        raise TrainingError(
            f"out-of-time split needs more than {n_test} as-of dates, the data has {len(periods)}"
        )
    test_start = periods[-n_test]
    gap = np.timedelta64(config.gap_days, "D")
    eligible = periods[periods + gap <= test_start]
    if len(eligible) < n_val + 1:
        raise TrainingError(
            f"out-of-time split: {len(eligible)} as-of dates end their {config.gap_days}-day label"
            f" window before the {n_test} test dates, {n_val + 1} needed; use fewer test or"
            " validation periods or a smaller --gap-days"
        )
    validation_start = eligible[-n_val]
    train = np.flatnonzero(times < validation_start)
    validation = np.flatnonzero((times >= validation_start) & (times <= eligible[-1]))
    test = np.flatnonzero(times >= test_start)

    def dates(rows: np.ndarray) -> list[str]:
        values = np.unique(times[rows])
        return [str(values[0]), str(values[-1])]

    return Split(
        "out_of_time",
        train,
        validation,
        test,
        {"train": dates(train), "validation": dates(validation), "test": dates(test)},
    )


def _group_aware_holdout(
    rows: np.ndarray, y: np.ndarray, groups: np.ndarray | None, *, share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Splits rows into (kept, held) with about `share` held out, stratified, customers intact."""
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    if groups is None or len(np.unique(groups[rows])) == len(rows):
        kept, held = train_test_split(rows, test_size=share, stratify=y[rows], random_state=seed)
        return np.sort(kept), np.sort(held)
    folds = max(2, round(1 / share))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    kept_pos, held_pos = next(splitter.split(rows, y[rows], groups[rows]))
    return rows[kept_pos], rows[held_pos]


def stratified_split(frame: TrainingFrame, *, config: TrainConfig) -> Split:
    """Stratified by label (and grouped by customer when ids repeat)."""
    every = np.arange(frame.n_rows)
    rest, test = _group_aware_holdout(
        every, frame.y, frame.groups, share=config.test_share, seed=config.seed
    )
    share = config.validation_share / (1 - config.test_share)
    train, validation = _group_aware_holdout(
        rest, frame.y, frame.groups, share=share, seed=config.seed + 1
    )
    return Split("stratified", train, validation, test, {})


def make_split(frame: TrainingFrame, *, config: TrainConfig) -> Split:
    """Out-of-time when the frame has times, stratified otherwise."""
    if frame.times is not None:
        split = out_of_time_split(frame.times, config=config)
    else:
        split = stratified_split(frame, config=config)
    _check_both_classes(frame.y, split)
    return split


def sample_by_group(
    rows: np.ndarray, groups: np.ndarray | None, *, max_rows: int, seed: int
) -> np.ndarray:
    """At most max_rows of `rows`, taking whole customers at random (rows stay in order)."""
    if len(rows) <= max_rows:
        return rows
    rng = np.random.default_rng(seed)
    if groups is None:
        return np.sort(rng.choice(rows, size=max_rows, replace=False))
    names, inverse, counts = np.unique(groups[rows], return_inverse=True, return_counts=True)
    order = rng.permutation(len(names))
    kept = np.zeros(len(names), dtype=bool)
    kept[order[np.cumsum(counts[order]) <= max_rows]] = True
    return rows[kept[inverse]]


def cv_folds(
    rows: np.ndarray, y: np.ndarray, groups: np.ndarray | None, *, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds over `rows`, grouped by customer: no customer is on both sides."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if groups is None:
        plain = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        pairs = plain.split(rows, y[rows])
    else:
        grouped = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        pairs = grouped.split(rows, y[rows], groups[rows])
    return [(rows[fit], rows[held]) for fit, held in pairs]
