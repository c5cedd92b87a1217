"""Calendar features and drift: a clean simulated portfolio scored at weekly dates raises no
drift alert (its calendar features move, are stored, and are kept out of the level), while
the same portfolio with incomes and spending shifted from a given week does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

WEEKS = 14
DRIFT_WEEK = 8
TRAIN_WEEKS = 6  # the bundle is trained on weeks 0..5
# a clean portfolio is checked on the weeks from the training window to a month after it;
# later, the simulator's balances wander for real (a random walk), which is drift, not calendar
CLEAN_WEEKS = range(3, 10)


@dataclass(frozen=True)
class Checked:
    level: str
    score_psi: float
    alerted: set[str]  # features at the alert level that count
    calendar_alerted: set[str]  # features at the alert level that follow the calendar


@dataclass(frozen=True)
class Runs:
    clean: dict[int, Checked]
    drifted: dict[int, Checked]


def _simulate(root: Path, drift: int | None) -> tuple[Path, dict[int, date]]:
    from pde.training.data.simulate import SimulationConfig, simulate

    config = SimulationConfig(customers=500, weeks=WEEKS, seed=11, drift_from_week=drift)
    target = root / ("drifted" if drift is not None else "clean")
    simulate(config, target)
    return target, {
        k: config.start + timedelta(days=int(d)) for k, d in enumerate(config.as_of_days)
    }


def _checks(data_dir: Path, bundle_dir: Path, weeks: dict[int, date]) -> dict[int, Checked]:
    from pde.contracts.bundle import read_reference
    from pde.contracts.data.io import load_dataset
    from pde.jobs.drift import Thresholds, measure_drift
    from pde.server.bundle import load_bundle
    from pde.training.features import compute_features

    reference = read_reference(bundle_dir)
    assert reference is not None
    bundle = load_bundle(bundle_dir)
    wanted = sorted(set(CLEAN_WEEKS) | {WEEKS - 2, WEEKS - 1})
    features = compute_features(load_dataset(data_dir), [weeks[k] for k in wanted])
    found = {}
    for k in wanted:
        rows = features.filter(pl.col("as_of") == weeks[k]).sort("customer_id")
        matrix = rows.select(bundle.manifest.feature_names).cast(pl.Float32).to_numpy()
        check, drift = measure_drift(
            reference,
            features=rows,
            probabilities=bundle.score(matrix).probability,
            as_of=weeks[k],
            model_version=bundle.version,
            thresholds=Thresholds(0.1, 0.25),
        )
        found[k] = Checked(
            level=check.level.value,
            score_psi=check.score_psi,
            alerted={f.feature for f in drift if f.level == "alert" and not f.calendar},
            calendar_alerted={f.feature for f in drift if f.level == "alert" and f.calendar},
        )
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    from pde.training.models import ParityError, TrainConfig, load_canonical_frame, train_frame

    root = tmp_path_factory.mktemp("calendar")
    clean, weeks = _simulate(root, None)
    drifted, same_weeks = _simulate(root, DRIFT_WEEK)
    assert weeks == same_weeks
    frame = load_canonical_frame(clean, as_of_dates=[weeks[k] for k in range(TRAIN_WEEKS)])
    for seed in (42, 7, 2026):
        try:
            result = train_frame(
                frame, config=TrainConfig.quick_run(threads=1, seed=seed), model_dir=root / "m"
            )
            break
        except ParityError:
            continue
    else:
        pytest.fail("the quick training run failed its parity check with every seed")
    return Runs(
        _checks(clean, result.bundle_dir, weeks), _checks(drifted, result.bundle_dir, weeks)
    )


def test_calendar_features_are_catalogue_features() -> None:
    from pde.jobs.calendar import CALENDAR_FEATURES
    from pde.training.features import FEATURE_NAMES

    assert set(CALENDAR_FEATURES) <= set(FEATURE_NAMES)
    assert all(reason for reason in CALENDAR_FEATURES.values())


def test_calendar_a_clean_run_raises_no_alert(runs: Runs) -> None:
    clean = [runs.clean[k] for k in CLEAN_WEEKS]
    assert all(c.level != "alert" and not c.alerted for c in clean), [
        (c.level, c.alerted) for c in clean
    ]
    assert all(c.score_psi < 0.1 for c in clean)
    # the false alarm is real: calendar features alone would have alerted on most dates
    assert sum(bool(c.calendar_alerted) for c in clean) >= len(clean) // 2


def test_calendar_injected_drift_still_alerts(runs: Runs) -> None:
    for k in (WEEKS - 2, WEEKS - 1):
        found = runs.drifted[k]
        assert found.level == "alert", k
        assert {"salary_amount_change", "salary_amount_cv"} & found.alerted, found.alerted
    before = [runs.drifted[k] for k in CLEAN_WEEKS if k < DRIFT_WEEK]
    assert all(c.level != "alert" for c in before)
    assert np.mean([runs.clean[k].score_psi for k in CLEAN_WEEKS]) < 0.1
