import numpy as np
import pytest

from pde.training.models.ensemble import blend, learn_weights


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


def test_ensemble_blend_is_the_weighted_average() -> None:
    scores, _ = _scores()
    weights = {"catboost": 0.6, "xgboost": 0.2, "lightgbm": 0.2}
    expected = 0.6 * scores["catboost"] + 0.2 * scores["xgboost"] + 0.2 * scores["lightgbm"]
    assert blend(scores, weights) == pytest.approx(expected)
