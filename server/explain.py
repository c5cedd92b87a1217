"""Explanations: per-feature SHAP contributions of the ensemble and readable reason texts.

Each native model gives exact TreeSHAP values on its own log-odds scale; the ensemble's
contribution of a feature is the weighted sum of the three (weights from the manifest), an
additive approximation of the calibrated ensemble on the log-odds scale.

Reasons are the features that raise the risk most, protective factors the ones that lower it
most; protected features (the bundle's `protected`) are dropped before either is ranked. Each
carries its standard reason code and a text with the customer's value and what is usual.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pde.contracts.catalogue import CatalogueEntry, FeatureStatistics, plain_reason
from pde.core.names import MODEL_NAMES
from pde.server.bundle import LoadedBundle, row_scores
from pde.server.ensemble import F32, F64


@dataclass(frozen=True)
class Reason:
    """One feature that pushes the score up (or, as a protective factor, down), with its
    standard reason code and the text a risk officer reads."""

    feature: str
    value: float
    contribution: float  # log-odds
    text: str
    code: str = ""  # empty when the bundle's catalogue has no code for the feature
    code_text: str = ""


@dataclass(frozen=True)
class Explanation:
    probability: float
    base_value: float  # log-odds of the average prediction
    contributions: dict[str, float]
    reasons: list[Reason]
    protective: list[Reason]
    # Miss within 7, 14 and 30 days and expected days to it; None without a hazard model.
    miss: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Ranked:
    """The reasons of a score and its protective factors."""

    reasons: list[Reason]
    protective: list[Reason]

    @classmethod
    def of(cls, explanation: Explanation) -> Ranked:
        return cls(explanation.reasons, explanation.protective)


# Protective factors returned beside the reasons.
PROTECTIVE_FACTORS = 2


def reason_text(
    catalogue: Mapping[str, CatalogueEntry],
    feature: str,
    value: float,
    statistics: Mapping[str, FeatureStatistics] | None = None,
) -> str:
    """The reason text of the feature's entry in the bundle's catalogue, with what is usual
    when `statistics` has the feature, or `feature = value` when the bundle ships no entry (a
    `--table` bundle)."""
    entry = catalogue.get(feature)
    if entry is None:
        return plain_reason(feature, value)
    return entry.reason_text(value, None if statistics is None else statistics.get(feature))


def _reason(
    feature: str,
    *,
    value: float,
    contribution: float,
    catalogue: Mapping[str, CatalogueEntry],
    statistics: Mapping[str, FeatureStatistics] | None,
) -> Reason:
    entry = catalogue.get(feature)
    return Reason(
        feature=feature,
        value=value,
        contribution=contribution,
        text=reason_text(catalogue, feature, value, statistics),
        code=(entry.reason_code or "") if entry is not None else "",
        code_text=entry.code_text if entry is not None else "",
    )


def top_reasons(
    feature_names: Sequence[str],
    *,
    values: F32,
    contributions: F64,
    k: int,
    catalogue: Mapping[str, CatalogueEntry],
    statistics: Mapping[str, FeatureStatistics] | None = None,
    protected: Collection[str] = (),
    protective: bool = False,
) -> list[Reason]:
    """The k features that raise the risk most (positive contributions only), largest first,
    with the texts of `catalogue` (the served bundle's); with `protective`, the k that lower it
    most (negative contributions only). Features in `protected` are never ranked."""
    if k <= 0:
        return []
    signed = -contributions if protective else contributions
    order = [
        int(i) for i in np.argsort(-signed, kind="stable") if feature_names[i] not in protected
    ][:k]
    return [
        _reason(
            feature_names[i],
            value=float(values[i]),
            contribution=float(contributions[i]),
            catalogue=catalogue,
            statistics=statistics,
        )
        for i in order
        if signed[i] > 0
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
    scored = row_scores(bundle.score(row))[0]
    return Explanation(
        probability=scored.probability,
        miss=scored.miss,
        base_value=float(contributions[-1]),
        contributions={name: float(v) for name, v in zip(names, per_feature, strict=True)},
        reasons=ranked(bundle, row[0], per_feature, k=top_k),
        protective=ranked(bundle, row[0], per_feature, k=PROTECTIVE_FACTORS, protective=True),
    )


def ranked(
    bundle: LoadedBundle, values: F32, contributions: F64, *, k: int, protective: bool = False
) -> list[Reason]:
    """`top_reasons` with the bundle's catalogue, statistics and protected features."""
    return top_reasons(
        bundle.spec.feature_names,
        values=values,
        contributions=contributions,
        k=k,
        catalogue=bundle.catalogue,
        statistics=bundle.statistics,
        protected=bundle.protected,
        protective=protective,
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
    # the same ranking as one row's: codes, usual values, protected features left out
    reasons = [
        ranked(bundle, rows[index], per_feature[index], k=top_k) if top_k > 0 else []
        for index in range(rows.shape[0])
    ]
    return BatchExplanation(
        probability=bundle.score(rows).probability,
        base_value=contributions[:, -1],
        reasons=reasons,
    )
