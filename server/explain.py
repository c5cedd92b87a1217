"""Explanations: per-feature SHAP contributions of the ensemble and readable reason texts.

Each native model gives exact TreeSHAP values on its own log-odds scale; the ensemble's
contribution of a feature is the weighted sum of the three (weights from the manifest), an
additive approximation of the calibrated ensemble on the log-odds scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pde.core.names import MODEL_NAMES
from pde.server.bundle import LoadedBundle
from pde.server.ensemble import F32, F64


@dataclass(frozen=True)
class Reason:
    """One feature that pushes the score up, with the text a risk officer reads."""

    feature: str
    value: float
    contribution: float  # log-odds
    text: str


@dataclass(frozen=True)
class Explanation:
    probability: float
    base_value: float  # log-odds of the average prediction
    contributions: dict[str, float]
    reasons: list[Reason]


@lru_cache(maxsize=4096)
def reason_text(feature: str, value: float) -> str:
    """The catalogue's reason text for the feature, or `feature = value` outside it."""
    try:
        from pde.training.features.catalogue import feature_spec

        return feature_spec(feature).format_reason(value)
    except (ImportError, KeyError):
        shown = "unknown" if math.isnan(value) else f"{value:.4g}"
        return f"{feature} = {shown}"


def top_reasons(
    feature_names: Sequence[str], *, values: F32, contributions: F64, k: int
) -> list[Reason]:
    """The k features that raise the risk most (positive contributions only), largest first."""
    if k <= 0:
        return []
    order = np.argsort(-contributions, kind="stable")[:k]
    return [
        Reason(
            feature=feature_names[i],
            value=float(values[i]),
            contribution=float(contributions[i]),
            text=reason_text(feature_names[i], float(values[i])),
        )
        for i in order
        if contributions[i] > 0
    ]


def ensemble_contributions(bundle: LoadedBundle, rows: F32) -> F64:
    """[rows, features + 1] weighted SHAP values of the three models, bias last."""
    clipped = bundle.spec.clip(rows)
    total = np.zeros((rows.shape[0], rows.shape[1] + 1), dtype=np.float64)
    for weight, name in zip(bundle.spec.weights, MODEL_NAMES, strict=True):
        total += weight * bundle.native(name).contributions(clipped)
    return total


def explain_row(bundle: LoadedBundle, row: F32, *, top_k: int) -> Explanation:
    """Explains one row [1, features] given in model order (raw values, before clipping)."""
    contributions = ensemble_contributions(bundle, row)[0]
    names = bundle.spec.feature_names
    per_feature = contributions[:-1]
    return Explanation(
        probability=float(bundle.score(row).probability[0]),
        base_value=float(contributions[-1]),
        contributions={name: float(v) for name, v in zip(names, per_feature, strict=True)},
        reasons=top_reasons(names, values=row[0], contributions=per_feature, k=top_k),
    )
