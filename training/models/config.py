"""Settings of one training run, the progress callback and the training errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pde.contracts.bundle import AlertPolicy
from pde.core.errors import PdeError
from pde.core.settings import DEFAULT_ACTION_COSTS
from pde.decision.policy import default_policy

# Called as (stage, detail) when a stage starts; detail may be empty.
StageCallback = Callable[[str, str], None]

DEFAULT_WEIGHTS = {"catboost": 0.6, "xgboost": 0.2, "lightgbm": 0.2}
# The seed's operating point: metrics are also reported where validation recall reaches 85%.
OPERATING_RECALL = 0.85


class TrainingError(PdeError):
    """The training data or settings cannot produce a model."""


class ParityError(PdeError):
    """An exported ONNX graph disagrees with its native model; no bundle is written."""


def no_progress(stage: str, detail: str) -> None:
    """A StageCallback that ignores the progress."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that shapes a training run; defaults are the full run."""

    trials: int = 5
    cv_folds: int = 5
    seed: int = 42
    quick: bool = False
    # Out-of-time split: number of latest as-of dates for test and, before them, validation
    # (None: a fifth of the dates each, between 1 and 4).
    test_periods: int | None = None
    validation_periods: int | None = None
    # Rows fitted on must have their label window (as_of, as_of + gap] closed at the first
    # test date; the dates in between are left out.
    gap_days: int = 0
    # Stratified split (data without time): shares of rows.
    test_share: float = 0.2
    validation_share: float = 0.2
    clip_percentiles: tuple[float, float] = (0.5, 99.5)
    # Features whose share of the screening model's total gain is below this are pruned.
    prune_min_share: float = 0.001
    smote: bool = False
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    learn_weights: bool = False
    # "auto": the candidate (platt, beta, isotonic_interp) of least validation log-loss.
    calibration: Literal["auto", "platt", "beta", "isotonic_interp"] = "auto"
    # Capacity and economics of the alerts evaluated on the held-out rows (pde.decision).
    policy: AlertPolicy = field(default_factory=default_policy)
    # The recommender the uplift figures are computed with (pde.decision.recommend), and the
    # customer columns the fairness report covers beside age bands.
    action_costs: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_ACTION_COSTS))
    max_contacts_30d: int = 2
    cool_down_days: int = 7
    protected: tuple[str, ...] = ()
    fairness_ratio: float = 0.8
    parity_tolerance: float = 1e-4
    threads: int = 2
    # Tuning keeps the trial cheapest to score among those within this many standard errors
    # of the best validation AUC (the one-standard-error rule); 0 keeps the best AUC.
    parsimony_se: float = 1.0
    max_trees: int = 500
    early_stopping_rounds: int = 30
    # Caps in rows that keep a large panel within the time budget: weekly snapshots of the
    # same customers are much alike, so random rows from every customer lose little.
    # Cross-validation uses every training and validation row up to its cap.
    tune_max_rows: int = 25_000
    fit_max_rows: int = 60_000
    cv_max_rows: int = 150_000
    # Validation rows watched for early stopping (calibration and threshold use them all).
    stop_max_rows: int = 20_000

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise TrainingError("--trials must be at least 1")
        if not 0 <= self.parsimony_se <= 10:
            raise TrainingError("--parsimony-se must be between 0 and 10")
        if self.cv_folds < 2:
            raise TrainingError("cross-validation needs at least 2 folds")
        caps = ("tune_max_rows", "fit_max_rows", "cv_max_rows", "stop_max_rows")
        for cap in caps:
            if getattr(self, cap) < 100:
                raise TrainingError(f"{cap} must be at least 100 rows")
        if set(self.weights) != set(DEFAULT_WEIGHTS) or abs(sum(self.weights.values()) - 1) > 1e-6:
            raise TrainingError("weights must name catboost, xgboost and lightgbm and sum to 1")
        if min(self.weights.values()) < 0:
            raise TrainingError("weights must not be negative")
        low, high = self.clip_percentiles
        if not 0 <= low < high <= 100:
            raise TrainingError("clip percentiles must satisfy 0 <= low < high <= 100")

    @classmethod
    def quick_run(cls, **overrides: object) -> TrainConfig:
        """Few trees, one or two trials and 2-fold CV: for tests and smoke runs."""
        values: dict[str, object] = {
            "trials": 1,
            "cv_folds": 2,
            "quick": True,
            "max_trees": 60,
            "early_stopping_rounds": 15,
            "tune_max_rows": 20_000,
            "fit_max_rows": 50_000,
            "cv_max_rows": 20_000,
            "stop_max_rows": 10_000,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
