"""Drift of a scoring date against the bundle's reference distributions (docs/monitoring.md).

PSI per feature and for the calibrated score, with missing values a bin of their own, and a
two-sample KS test of the score against the bundle's held-out sample. Stored in
`drift_checks` / `feature_drift`; the portfolio job calls `record_date_drift` for each date
it scores, `pde jobs run drift` recomputes it for stored dates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import special, stats
from sqlalchemy.engine import Engine

from pde.contracts.bundle import BundleError, read_reference
from pde.contracts.data.io import load_dataset
from pde.contracts.reference import Bins, ReferenceDistributions
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.core.settings import get_settings
from pde.db import monitoring
from pde.db.engine import session_scope
from pde.db.models import DriftCheck, DriftLevel, FeatureDrift
from pde.jobs.calendar import follows_calendar
from pde.training.features import compute_features

log = logging.getLogger(__name__)

# Empty bins count as this share, so that PSI stays finite (a common convention).
PSI_FLOOR = 1e-4


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Population stability index of two binned distributions: sum (a - e) ln(a / e), the
    symmetrised Kullback-Leibler divergence (scipy's rel_entr both ways)."""
    e = np.clip(np.asarray(expected, dtype=np.float64), PSI_FLOOR, None)
    a = np.clip(np.asarray(actual, dtype=np.float64), PSI_FLOOR, None)
    return float(np.sum(special.rel_entr(a, e) + special.rel_entr(e, a)))


def level_of(value: float, *, warn: float, alert: float) -> DriftLevel:
    if value >= alert:
        return DriftLevel.ALERT
    return DriftLevel.WARN if value >= warn else DriftLevel.OK


def binned_psi(bins: Bins, values: npt.ArrayLike) -> tuple[float, float]:
    """PSI of `values` against the reference bins, and the values' missing share."""
    shares, missing = bins.distribution(values)
    return psi(bins.with_missing(), np.append(shares, missing)), missing


@dataclass(frozen=True)
class Thresholds:
    warn: float
    alert: float


def thresholds_from_settings() -> Thresholds:
    settings = get_settings()
    return Thresholds(settings.psi_warn, settings.psi_alert)


def measure_drift(
    reference: ReferenceDistributions,
    *,
    features: pl.DataFrame,
    probabilities: npt.ArrayLike,
    as_of: date,
    model_version: str,
    thresholds: Thresholds,
) -> tuple[DriftCheck, list[FeatureDrift]]:
    """One date's drift (not stored): features missing from `features` are skipped."""
    scores = np.asarray(probabilities, dtype=np.float64)
    score_psi, _ = binned_psi(reference.score, scores)
    ks = stats.ks_2samp(scores, np.asarray(reference.score_sample), method="asymp")
    rows = []
    for name, bins in reference.features.items():
        if name not in features.columns:
            continue
        values = features[name].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        value, missing = binned_psi(bins, values)
        rows.append(
            FeatureDrift(
                as_of=as_of,
                model_version=model_version,
                feature=name,
                psi=value,
                missing_share=missing,
                reference_missing_share=bins.missing,
                level=level_of(value, warn=thresholds.warn, alert=thresholds.alert),
                calendar=follows_calendar(name),
            )
        )
    # features that follow the calendar are stored but never raise the level (calendar.py)
    counted = [row for row in rows if not row.calendar]
    largest = max((row.psi for row in counted), default=None)
    worst = max(score_psi, largest if largest is not None else 0.0)
    check = DriftCheck(
        as_of=as_of,
        model_version=model_version,
        rows=int(scores.shape[0]),
        score_psi=score_psi,
        score_ks_statistic=float(ks.statistic),
        score_ks_pvalue=float(ks.pvalue),
        max_feature_psi=largest,
        features_checked=len(rows),
        features_warn=sum(row.level == DriftLevel.WARN for row in counted),
        features_alert=sum(row.level == DriftLevel.ALERT for row in counted),
        level=level_of(worst, warn=thresholds.warn, alert=thresholds.alert),
        psi_warn=thresholds.warn,
        psi_alert=thresholds.alert,
    )
    return check, rows


@dataclass(frozen=True)
class DriftSummary:
    """What a drift check found, for the CLI and the job's log."""

    as_of: date
    model_version: str
    level: str
    score_psi: float
    score_ks_pvalue: float
    # the most drifted that count (not following the calendar), largest PSI first
    top_features: list[tuple[str, float]]


def record_date_drift(
    *,
    bundle_dir: Path,
    features: pl.DataFrame,
    probabilities: npt.ArrayLike,
    as_of: date,
    model_version: str,
    engine: Engine | None = None,
    thresholds: Thresholds | None = None,
) -> DriftSummary | None:
    """Measures and stores one date's drift; None (logged) when the bundle has no reference
    distributions or is not under the model directory."""
    try:
        reference = read_reference(bundle_dir)
    except BundleError as exc:
        log.warning("no drift for %s: %s", as_of, exc)
        return None
    if reference is None:
        log.warning("no drift for %s: bundle %s has no reference distributions", as_of, bundle_dir)
        return None
    check, rows = measure_drift(
        reference,
        features=features,
        probabilities=probabilities,
        as_of=as_of,
        model_version=model_version,
        thresholds=thresholds or thresholds_from_settings(),
    )
    summary = DriftSummary(
        as_of=as_of,
        model_version=model_version,
        level=check.level.value,
        score_psi=check.score_psi,
        score_ks_pvalue=check.score_ks_pvalue,
        top_features=[
            (row.feature, row.psi) for row in sorted(rows, key=lambda r: -r.psi) if not row.calendar
        ][:5],
    )
    with session_scope(engine=engine) as session:
        monitoring.record_drift(session=session, check=check, features=rows)
    if check.level != DriftLevel.OK:
        log.warning(
            "drift %s on %s (%s): score PSI %.3f, %d features warn, %d alert",
            check.level.value,
            as_of,
            model_version,
            check.score_psi,
            check.features_warn,
            check.features_alert,
        )
    return summary


def recompute_drift(
    *,
    data_dir: Path,
    model_dir: Path,
    engine: Engine | None = None,
    latest: int = 4,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> list[DriftSummary]:
    """Drift of the `latest` stored scoring dates (every model that scored them), from the
    data's features and the stored scores."""
    with session_scope(engine=engine) as session:
        dates = monitoring.scored_dates(session)
    wanted = sorted({d for d, _ in dates})[-latest:] if latest > 0 else []
    pairs = [(d, v) for d, v in dates if d in wanted]
    if not pairs:
        return []
    data = load_dataset(data_dir)
    everything = compute_features(data, wanted, lookback_days=lookback_days)
    found = []
    for as_of, version in pairs:
        with session_scope(engine=engine) as session:
            _, probability, _ = monitoring.scores_of(session, as_of=as_of, model_version=version)
        summary = record_date_drift(
            bundle_dir=model_dir / version,
            features=everything.filter(pl.col("as_of") == as_of),
            probabilities=probability,
            as_of=as_of,
            model_version=version,
            engine=engine,
        )
        if summary is not None:
            found.append(summary)
    return found


__all__ = [
    "DriftSummary",
    "Thresholds",
    "measure_drift",
    "psi",
    "recompute_drift",
    "record_date_drift",
]
