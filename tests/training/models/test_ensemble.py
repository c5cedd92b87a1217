import numpy as np
import pytest

from pde.training.models.ensemble import blend, calibrate, fit_calibration, learn_weights


def _scores() -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(0)
    truth = rng.random(4000)
    y = (rng.random(4000) < truth).astype(np.int8)
    noisy = {
        "catboost": np.clip(truth + rng.normal(0, 0.1, 4000), 0, 1),
        "xgboost": np.clip(truth + rng.normal(0, 0.4, 4000), 0, 1),
        "lightgbm": rng.random(4000),
    }
    return noisy, y


def test_ensemble_learned_weights_favour_the_best_model() -> None:
    scores, y = _scores()
    weights = learn_weights(scores, y, step=0.1)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["catboost"] == max(weights.values())
    assert weights["lightgbm"] == pytest.approx(0.1)


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_ensemble_calibration_is_monotone_and_improves_brier(method: str) -> None:
    scores, y = _scores()
    raw = blend(scores, {"catboost": 0.6, "xgboost": 0.2, "lightgbm": 0.2}) ** 3  # miscalibrated
    calibration = fit_calibration(raw, y, method=method)  # type: ignore[arg-type]
    p = calibrate(raw, calibration)
    order = np.argsort(raw)
    assert np.all(np.diff(p[order]) >= -1e-12)
    assert np.mean((p - y) ** 2) < np.mean((raw - y) ** 2)
    assert abs(p.mean() - y.mean()) < 0.02
