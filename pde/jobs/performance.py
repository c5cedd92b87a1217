"""Performance figures of one scoring date: realised once the 30-day outcomes are known, and
estimated from the calibrated probabilities before (confidence-based performance estimation,
CBPE). Pure functions of arrays; `pde.jobs.realised` stores them (docs/monitoring.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats
from sklearn.metrics import roc_auc_score

# Label draws for the CBPE interval; more draws give a smoother interval, not a better one.
CBPE_DRAWS = 200
INTERVAL = (5.0, 95.0)  # percentiles: a 90 % interval


@dataclass(frozen=True)
class Figures:
    """AUC, KS, predicted and observed default rate, and calibration by tier."""

    rows: int
    predicted_rate: float
    auc: float | None = None
    auc_low: float | None = None
    auc_high: float | None = None
    ks: float | None = None
    predicted_rate_low: float | None = None
    predicted_rate_high: float | None = None
    observed_rate: float | None = None
    labelled_rows: int | None = None
    by_tier: list[dict[str, Any]] = field(default_factory=list)


def _by_tier(
    p: npt.NDArray[np.float64], tiers: Sequence[str], labels: npt.NDArray[np.int8] | None
) -> list[dict[str, Any]]:
    names = np.asarray(tiers)
    found = []
    for tier in dict.fromkeys(tiers):
        mask = names == tier
        row: dict[str, Any] = {
            "tier": tier,
            "rows": int(mask.sum()),
            "predicted_rate": float(p[mask].mean()),
        }
        if labels is not None:
            row["observed_rate"] = float(labels[mask].mean())
        found.append(row)
    return sorted(found, key=lambda r: r["predicted_rate"])


def realised(
    p: npt.NDArray[np.float64], labels: npt.NDArray[np.int8], tiers: Sequence[str]
) -> Figures:
    """AUC and KS (max distance between the defaulters' and the others' score distributions)
    on the customers whose outcome is known, calibration by tier, predicted against observed
    default rate. AUC and KS are None when only one class occurred."""
    both = 0 < int(labels.sum()) < labels.shape[0]
    ks = stats.ks_2samp(p[labels == 1], p[labels == 0]).statistic if both else None
    return Figures(
        rows=int(p.shape[0]),
        labelled_rows=int(labels.shape[0]),
        predicted_rate=float(p.mean()) if p.size else float("nan"),
        observed_rate=float(labels.mean()) if labels.size else None,
        auc=float(roc_auc_score(labels, p)) if both else None,
        ks=float(ks) if ks is not None else None,
        by_tier=_by_tier(p, tiers, labels) if p.size else [],
    )


def expected_auc(p: npt.NDArray[np.float64]) -> float:
    """The AUC to expect if the calibrated probabilities are right: each customer counts as
    p of a defaulter and 1 - p of a non-defaulter in the expected ROC curve (CBPE)."""
    order = np.argsort(-p, kind="stable")
    ranked = p[order]
    tpr = np.concatenate([[0.0], np.cumsum(ranked) / ranked.sum()])
    fpr = np.concatenate([[0.0], np.cumsum(1.0 - ranked) / (1.0 - ranked).sum()])
    return float(np.trapezoid(tpr, fpr))


def estimated(
    p: npt.NDArray[np.float64], tiers: Sequence[str], *, draws: int = CBPE_DRAWS, seed: int = 0
) -> Figures:
    """CBPE: expected AUC and default rate from the probabilities, with a 90 % interval from
    `draws` sets of outcomes drawn as Bernoulli(p) (the spread the outcomes could show if the
    model is calibrated)."""
    if p.size == 0:
        return Figures(rows=0, predicted_rate=float("nan"))
    rng = np.random.default_rng(seed)
    outcomes = rng.random((draws, p.shape[0])) < p  # each row: one possible set of outcomes
    positives = outcomes.sum(axis=1)
    # AUC of each draw by the Mann-Whitney identity over the ranks of p (ties averaged)
    ranks = stats.rankdata(p)
    negatives = p.shape[0] - positives
    usable = (positives > 0) & (negatives > 0)
    rank_sums = outcomes.astype(np.float64) @ ranks
    with np.errstate(invalid="ignore", divide="ignore"):
        aucs = (rank_sums - positives * (positives + 1) / 2) / (positives * negatives)
    aucs = aucs[usable]
    rates = positives / p.shape[0]
    low_auc, high_auc = (
        (float(v) for v in np.percentile(aucs, INTERVAL)) if aucs.size else (None, None)
    )
    low_rate, high_rate = (float(v) for v in np.percentile(rates, INTERVAL))
    return Figures(
        rows=int(p.shape[0]),
        predicted_rate=float(p.mean()),
        predicted_rate_low=low_rate,
        predicted_rate_high=high_rate,
        auc=expected_auc(p),
        auc_low=low_auc,
        auc_high=high_auc,
        by_tier=_by_tier(p, tiers, None),
    )
