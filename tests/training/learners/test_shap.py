"""The learners' native TreeSHAP against `shap.TreeExplainer`.

For these three libraries `shap.TreeExplainer` hands path-dependent TreeSHAP to the library's
own code, but reads the trees itself for its raw predictions: the contributions must add up
to that independent margin. shap's own TreeSHAP runs on its reading of the XGBoost and
LightGBM trees; CatBoost's symmetric trees have leaves no training row reaches, which that
algorithm refuses, so CatBoost is checked through shap's delegation and the margin only.
"""

from typing import Any

import numpy as np
import pytest

from pde.core.names import MODEL_NAMES
from pde.training.learners import get_learner

Parts = dict[str, tuple[np.ndarray, np.ndarray]]
# shap's plotting colours, set up on import, use calls matplotlib will deprecate.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def _rows(rows: Parts) -> np.ndarray:
    """Held-out rows, and a copy with a third of the values missing."""
    x = rows["held"][0][:200]
    holed = x.copy()
    holed[np.random.default_rng(8).random(x.shape) < 0.3] = np.nan
    return np.vstack([x, holed])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shap_tree_explainer_agrees_with_the_native_contributions(
    name: str, rows: Parts, fitted: dict[str, Any]
) -> None:
    import shap

    x = _rows(rows)
    native = get_learner(name).contributions(fitted[name], x)
    explainer = shap.TreeExplainer(fitted[name])
    explanation = explainer(x)
    np.testing.assert_allclose(explanation.values, native[:, :-1], atol=1e-6)
    np.testing.assert_allclose(explanation.base_values, native[:, -1], atol=1e-6)
    # shap's own reading of the trees: each row sums to the model's raw margin.
    margin = explainer.model.predict(x)
    np.testing.assert_allclose(native.sum(axis=1), margin, atol=1e-5)


@pytest.mark.parametrize("name", ["xgboost", "lightgbm"])
def test_shap_own_tree_shap_agrees_with_the_native_contributions(
    name: str, rows: Parts, fitted: dict[str, Any]
) -> None:
    import shap

    x = _rows(rows)
    native = get_learner(name).contributions(fitted[name], x)
    # A list of parsed trees makes shap run its own TreeSHAP instead of the library's.
    trees = shap.TreeExplainer(fitted[name]).model.trees
    own = shap.TreeExplainer(trees).shap_values(x, check_additivity=False)
    assert np.abs(native[:, :-1]).max() > 0.1
    np.testing.assert_allclose(own, native[:, :-1], atol=1e-5)
