"""The first stages of a run: which rows serve what, then outlier clipping and feature pruning,
ending in the float32 matrices every later stage fits and scores on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pde.training.models.config import TrainConfig
from pde.training.models.frame import TrainingFrame
from pde.training.models.preprocess import (
    Pruning,
    apply_clip,
    clip_bounds,
    prune_features,
    smote_resample,
)
from pde.training.models.splits import Split, make_split, sample_by_group


@dataclass(frozen=True)
class Rows:
    """The split, and the rows of it that fit, tune and early stopping use (row indices)."""

    split: Split
    fit: np.ndarray
    tune: np.ndarray
    stop: np.ndarray


@dataclass(frozen=True)
class Clipped:
    """Clip bounds of every feature, and the tuning and stopping rows clipped to them."""

    bounds: dict[str, tuple[float, float]]
    x_tune: np.ndarray
    x_stop: np.ndarray


@dataclass(frozen=True)
class Features:
    """The features the models see: kept by pruning, in input order, with their clip bounds."""

    pruning: Pruning
    names: list[str]
    bounds: dict[str, tuple[float, float]]

    def prepare(self, frame: TrainingFrame, rows: np.ndarray) -> np.ndarray:
        """The rows' kept features, clipped, as float32."""
        columns = np.ix_(rows, np.asarray(self.pruning.kept))
        return apply_clip(frame.x[columns], self.names, self.bounds)


@dataclass(frozen=True)
class Matrices:
    """Clipped float32 matrices of the kept features for each use."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_tune: np.ndarray
    y_tune: np.ndarray
    x_stop: np.ndarray
    y_stop: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    # Tuning used every fitting row: its best models are the fitted ones.
    tune_is_fit: bool


def split_rows(frame: TrainingFrame, *, config: TrainConfig) -> Rows:
    """The split, then random rows from every customer within the row caps.

    Weekly snapshots of a customer are much alike: random rows from every customer carry most
    of the information of the whole panel.
    """
    split = make_split(frame, config=config)
    fit = sample_by_group(split.train, None, max_rows=config.fit_max_rows, seed=config.seed)
    tune = sample_by_group(fit, None, max_rows=config.tune_max_rows, seed=config.seed + 1)
    stop = sample_by_group(
        split.validation, None, max_rows=config.stop_max_rows, seed=config.seed + 2
    )
    return Rows(split, fit, tune, stop)


def clip(frame: TrainingFrame, rows: Rows, *, config: TrainConfig) -> Clipped:
    """Bounds at the fitting rows' percentiles; the tuning and stopping rows clipped."""
    names = frame.feature_names
    bounds = clip_bounds(frame.x[rows.fit], names, percentiles=config.clip_percentiles)
    x_tune = apply_clip(frame.x[rows.tune], names, bounds)
    x_stop = apply_clip(frame.x[rows.stop], names, bounds)
    return Clipped(bounds, x_tune, x_stop)


def prune(frame: TrainingFrame, rows: Rows, clipped: Clipped, *, config: TrainConfig) -> Features:
    """Drops the features a screening model finds no use for."""
    pruning = prune_features(
        x_train=clipped.x_tune,
        y_train=frame.y[rows.tune],
        x_val=clipped.x_stop,
        y_val=frame.y[rows.stop],
        names=frame.feature_names,
        config=config,
    )
    kept = [frame.feature_names[i] for i in pruning.kept]
    bounds = {name: clipped.bounds[name] for name in kept if name in clipped.bounds}
    return Features(pruning, kept, bounds)


def matrices(
    frame: TrainingFrame,
    rows: Rows,
    clipped: Clipped,
    features: Features,
    *,
    config: TrainConfig,
) -> Matrices:
    """The kept features of every part; SMOTE resamples fitting and tuning rows if asked."""
    x_fit, y_fit = features.prepare(frame, rows.fit), frame.y[rows.fit]
    x_tune, y_tune = clipped.x_tune[:, features.pruning.kept], frame.y[rows.tune]
    if config.smote:
        x_fit, y_fit = smote_resample(x_fit, y_fit, seed=config.seed)
        x_tune, y_tune = smote_resample(x_tune, y_tune, seed=config.seed)
    validation, test = rows.split.validation, rows.split.test
    return Matrices(
        x_fit=x_fit,
        y_fit=y_fit,
        x_tune=x_tune,
        y_tune=y_tune,
        x_stop=clipped.x_stop[:, features.pruning.kept],
        y_stop=frame.y[rows.stop],
        x_val=features.prepare(frame, validation),
        y_val=frame.y[validation],
        x_test=features.prepare(frame, test),
        y_test=frame.y[test],
        tune_is_fit=len(rows.tune) == len(rows.fit),
    )
