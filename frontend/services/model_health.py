"""A model's health on one scale (0-100) from its held-out metrics, and its F1 at the alert
threshold. Health weighs discrimination (AUC from 0.5, useless, to 0.9, excellent) at 60%
and calibration (expected calibration error from 0.05, poor, to 0, perfect) at 40%."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AUC_USELESS, AUC_EXCELLENT = 0.5, 0.9
ECE_POOR = 0.05
WEIGHTS = (0.6, 0.4)


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def health_score(ensemble: Mapping[str, Any]) -> int | None:
    """0-100, or None when the metrics lack the AUC or the ECE."""
    auc, ece = _number(ensemble.get("auc")), _number(ensemble.get("ece"))
    if auc is None or ece is None:
        return None
    discrimination = _clamp((auc - AUC_USELESS) / (AUC_EXCELLENT - AUC_USELESS))
    calibration = _clamp(1 - ece / ECE_POOR)
    return round(100 * (WEIGHTS[0] * discrimination + WEIGHTS[1] * calibration))


def f1_at_threshold(ensemble: Mapping[str, Any]) -> float | None:
    found = ensemble.get("at_threshold")
    return _number(found.get("f1")) if isinstance(found, Mapping) else None
