import numpy as np
import pytest

from pde.training.models import TrainConfig, TrainingError, TrainingFrame
from pde.training.models.splits import cv_folds, make_split, out_of_time_split, sample_by_group


def test_splits_out_of_time_never_trains_on_later_dates(panel_frame: TrainingFrame) -> None:
    assert panel_frame.times is not None
    config = TrainConfig(test_periods=3, validation_periods=2, gap_days=14)
    split = make_split(panel_frame, config=config)
    times = panel_frame.times
    assert split.kind == "out_of_time"
    assert times[split.train].max() < times[split.validation].min()
    assert times[split.validation].max() < times[split.test].min()
    assert len(np.unique(times[split.test])) == 3
    assert len(np.unique(times[split.validation])) == 2
    # rows fitted on have their 14-day label window closed at the first test date
    test_start = times[split.test].min()
    fitted_on = np.concatenate([split.train, split.validation])
    assert (times[fitted_on] + np.timedelta64(14, "D")).max() <= test_start
    assert test_start - times[split.validation].max() == np.timedelta64(14, "D")
    assert not set(split.train) & set(split.test)


def test_splits_out_of_time_default_periods_are_a_fifth(panel_frame: TrainingFrame) -> None:
    split = make_split(panel_frame, config=TrainConfig())
    assert panel_frame.times is not None
    assert len(np.unique(panel_frame.times[split.test])) == 3  # 16 dates // 5
    assert len(np.unique(panel_frame.times[split.validation])) == 3


def test_splits_out_of_time_needs_enough_dates() -> None:
    times = np.array(["2025-01-06", "2025-01-13", "2025-01-20"], dtype="datetime64[D]")
    with pytest.raises(TrainingError, match="needed"):
        out_of_time_split(times, config=TrainConfig(test_periods=2, validation_periods=2))
    with pytest.raises(TrainingError, match="gap-days"):
        out_of_time_split(times, config=TrainConfig(test_periods=1, gap_days=14))


def test_splits_stratified_keeps_customers_on_one_side(table_frame: TrainingFrame) -> None:
    split = make_split(table_frame, config=TrainConfig())
    assert split.kind == "stratified"
    groups = table_frame.groups
    assert groups is not None
    parts = [set(groups[rows]) for rows in (split.train, split.validation, split.test)]
    assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
    rates = [table_frame.y[rows].mean() for rows in (split.train, split.validation, split.test)]
    assert max(rates) - min(rates) < 0.05
    assert len(split.train) + len(split.validation) + len(split.test) == table_frame.n_rows


def test_splits_grouped_cv_never_shares_a_customer(panel_frame: TrainingFrame) -> None:
    rows = np.arange(panel_frame.n_rows)
    folds = cv_folds(rows, panel_frame.y, panel_frame.groups, folds=5, seed=0)
    assert panel_frame.groups is not None
    assert len(folds) == 5
    held_all = np.concatenate([held for _, held in folds])
    assert sorted(held_all) == list(rows)
    for fit, held in folds:
        assert not set(panel_frame.groups[fit]) & set(panel_frame.groups[held])


def test_splits_sample_by_group_takes_whole_customers(panel_frame: TrainingFrame) -> None:
    groups = panel_frame.groups
    assert groups is not None
    rows = np.arange(panel_frame.n_rows)
    sample = sample_by_group(rows, groups, max_rows=1000, seed=0)
    assert 0 < len(sample) <= 1000
    counts = {g: int((groups == g).sum()) for g in set(groups[sample])}
    for g, n in counts.items():
        assert int((groups[sample] == g).sum()) == n
    assert np.all(np.diff(sample) > 0)
