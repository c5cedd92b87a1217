"""The weighted ensemble of the three models (calibration: `calibration.py`).

`blend` is exactly what the server does with the manifest's `weights`, so the metrics of a
bundle are those of the served numbers.
"""

from __future__ import annotations

import itertools

import numpy as np

WEIGHT_STEP = 0.05


def blend(probabilities: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted average of each model's positive-class probability."""
    return np.asarray(np.sum([weights[name] * probabilities[name] for name in weights], axis=0))


def learn_weights(
    probabilities: dict[str, np.ndarray], y: np.ndarray, *, step: float = WEIGHT_STEP
) -> dict[str, float]:
    """Weights on a simplex grid (every model at least one step) maximising validation AUC."""
    from sklearn.metrics import roc_auc_score

    names = sorted(probabilities)
    units = round(1 / step)
    best_auc, best = -1.0, {name: 1 / len(names) for name in names}
    for head in itertools.product(range(1, units), repeat=len(names) - 1):
        last = units - sum(head)
        if last < 1:
            continue
        candidate = {name: share / units for name, share in zip(names, (*head, last), strict=True)}
        auc = float(roc_auc_score(y, blend(probabilities, candidate)))
        if auc > best_auc + 1e-9:
            best_auc, best = auc, candidate
    return best
