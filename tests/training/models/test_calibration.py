"""Smooth calibration: strictly inside (0, 1), strictly increasing, chosen by log-loss."""

from __future__ import annotations

import numpy as np
import pytest

from pde.contracts.bundle import Calibration
from pde.training.models.calibration import (
    CANDIDATES,
    calibrate,
    choose_calibration,
    fit_method,
    log_loss,
)
from pde.training.models.metrics import expected_calibration_error


def _scores(rows: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores that rank well but are miscalibrated (too high), with a saturated top."""
    rng = np.random.default_rng(seed)
    truth = rng.beta(0.8, 6, size=rows)
    y = (rng.random(rows) < truth).astype(np.float64)
    raw = np.clip(np.sqrt(truth) + rng.normal(0, 0.03, rows), 0, 1)
    return raw, y


@pytest.mark.parametrize("method", CANDIDATES)
def test_calibration_candidates_are_strictly_increasing_inside_zero_one(method: str) -> None:
    raw, y = _scores()
    fitted = fit_method(raw, y, method)  # type: ignore[arg-type]
    assert fitted is not None and fitted.method == method
    grid = np.r_[0.0, 1e-12, np.linspace(1e-6, 1 - 1e-6, 5001), 1 - 1e-12, 1.0]
    p = calibrate(grid, fitted)
    assert np.all((p > 0) & (p < 1))
    inner = p[2:-2]  # exactly 0/1 and 1e-12 share the clip bound of the raw score
    assert np.all(np.diff(inner) > 0)
    calibrated = calibrate(raw, fitted)
    assert log_loss(calibrated, y) < log_loss(np.clip(raw, 1e-7, 1 - 1e-7), y)
    assert expected_calibration_error(calibrated, y) < 0.02


def test_calibration_auto_picks_the_least_out_of_fold_log_loss() -> None:
    raw, y = _scores(seed=1)
    choice = choose_calibration(raw, y, seed=3)
    assert set(choice.candidates) == set(CANDIDATES)
    assert choice.calibration.method == min(choice.candidates, key=lambda m: choice.candidates[m])
    forced = choose_calibration(raw, y, method="platt")
    assert forced.calibration.method == "platt" and set(forced.candidates) == {"platt"}


def test_calibration_isotonic_interp_has_no_plateau_at_the_top() -> None:
    """Where a plain isotonic fit gives the riskiest rows one value (often 1.0), the
    interpolated fit keeps them apart and below 1."""
    rng = np.random.default_rng(2)
    raw = rng.random(5000)
    y = (raw > 0.9).astype(np.float64)  # every row above 0.9 defaults: a block of rate 1
    y[raw < 0.02] = 0
    fitted = fit_method(raw, y, "isotonic_interp")
    assert fitted is not None
    p = calibrate(raw, fitted)
    top = np.sort(p)[-len(p) // 100 :]
    assert len(np.unique(top)) == len(top)
    assert p.max() < 1 and p.min() > 0


def test_calibration_beta_drops_a_negative_term() -> None:
    raw, y = _scores(seed=4)
    fitted = fit_method(raw, y, "beta")
    assert fitted is not None and fitted.a >= 0 and fitted.b >= 0


def test_calibration_manifest_refuses_decreasing_maps() -> None:
    with pytest.raises(ValueError, match="a > 0"):
        Calibration(method="platt", a=-1.0)
    with pytest.raises(ValueError, match="increasing"):
        Calibration(method="isotonic_interp", x=[0.1, 0.5], y=[0.4, 0.2])
    with pytest.raises(ValueError, match="not both 0"):
        Calibration(method="beta", a=0.0, b=0.0)


def test_calibration_legacy_isotonic_bundles_still_apply() -> None:
    legacy = Calibration(method="isotonic", x=[0.0, 0.5, 1.0], y=[0.0, 0.1, 1.0])
    assert calibrate(np.array([0.25, 0.75]), legacy) == pytest.approx([0.05, 0.55])


def test_calibration_ece_is_the_weighted_gap_per_bin() -> None:
    p = np.r_[np.full(50, 0.1), np.full(50, 0.5)]
    y = np.r_[np.zeros(45), np.ones(5), np.zeros(40), np.ones(10)]
    # bins of 10: the first five bins predict 0.1 (observed 0, 0, 0, 0, 0.5); the rest 0.5
    # (observed 0 x 4, 1)
    expected = (4 * 0.1 + 0.4 + 4 * 0.5 + 0.5) / 10
    assert expected_calibration_error(p, y, bins=10) == pytest.approx(expected)
