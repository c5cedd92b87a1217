"""Explanations: per-feature SHAP contributions of the ensemble and readable reason texts.

Each native model gives exact TreeSHAP values on its own log-odds scale; the ensemble's
contribution of a feature is the weighted sum of the three (weights from the manifest), an
additive approximation of the calibrated ensemble on the log-odds scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pde.contracts.catalogue import CatalogueEntry, plain_reason
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


def reason_text(catalogue: Mapping[str, CatalogueEntry], feature: str, value: float) -> str:
    """The reason text of the feature's entry in the bundle's catalogue, or `feature = value`
    when the bundle ships none (a `--table` bundle)."""
    entry = catalogue.get(feature)
    return plain_reason(feature, value) if entry is None else entry.reason_text(value)


def top_reasons(
    feature_names: Sequence[str],
    *,
    values: F32,
    contributions: F64,
    k: int,
    catalogue: Mapping[str, CatalogueEntry],
) -> list[Reason]:
    """The k features that raise the risk most (positive contributions only), largest first,
    with the texts of `catalogue` (the served bundle's)."""
    if k <= 0:
        return []
    order = np.argsort(-contributions, kind="stable")[:k]
    return [
        Reason(
            feature=feature_names[i],
            value=float(values[i]),
            contribution=float(contributions[i]),
            text=reason_text(catalogue, feature_names[i], float(values[i])),
        )
        for i in order
        if contributions[i] > 0
    ]


def ensemble_contributions(bundle: LoadedBundle, rows: F32, *, threads: int = 1) -> F64:
    """[rows, features + 1] weighted SHAP values of the three models, bias last; each library
    uses up to `threads` threads."""
    clipped = bundle.spec.clip(rows)
    total = np.zeros((rows.shape[0], rows.shape[1] + 1), dtype=np.float64)
    for weight, name in zip(bundle.spec.weights, MODEL_NAMES, strict=True):
        total += weight * bundle.native(name).contributions(clipped, threads=threads)
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
        reasons=top_reasons(
            names, values=row[0], contributions=per_feature, k=top_k, catalogue=bundle.catalogue
        ),
    )


@dataclass(frozen=True)
class BatchExplanation:
    """Explanations of a batch of rows, in the order of the rows."""

    probability: F64
    base_value: F64
    reasons: list[list[Reason]]


def explain_rows(
    bundle: LoadedBundle, rows: F32, *, top_k: int, threads: int = 1
) -> BatchExplanation:
    """Explains rows [rows, features] in model order (raw values, before clipping): each
    library's contributions computed once for the whole batch, with up to `threads` threads
    (TreeSHAP costs far more per row than scoring: LightGBM's about 8 ms a row at 325 trees
    of 63 leaves)."""
    contributions = ensemble_contributions(bundle, rows, threads=threads)
    per_feature = contributions[:, :-1]
    names = bundle.spec.feature_names
    reasons: list[list[Reason]] = [[] for _ in range(rows.shape[0])]
    if top_k > 0:
        k = min(top_k, len(names))
        order = np.argsort(-per_feature, axis=1, kind="stable")[:, :k]
        for index, features in enumerate(order.tolist()):
            values, row = rows[index], per_feature[index]
            reasons[index] = [
                Reason(
                    feature=names[i],
                    value=float(values[i]),
                    contribution=float(row[i]),
                    text=reason_text(bundle.catalogue, names[i], float(values[i])),
                )
                for i in features
                if row[i] > 0
            ]
    return BatchExplanation(
        probability=bundle.score(rows).probability,
        base_value=contributions[:, -1],
        reasons=reasons,
    )
