"""Model monitoring for the Model page: drift per scoring date and the most drifted features,
realised and estimated performance per scoring date, calibration by tier (docs/monitoring.md).

Read from the tables the drift and performance jobs fill, and the shadow challenger's stored
scores; managers see the whole portfolio's monitoring, officers nothing of it
(`access.sees_model_monitoring`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pde.db import monitoring
from pde.db.models import DriftLevel, PerformanceKind
from pde.frontend.services import access
from pde.frontend.services.base import Services, database_errors
from pde.jobs.shadow import ShadowComparison, shadow_comparison


@dataclass(frozen=True)
class DriftPoint:
    """One scoring date's drift of one model."""

    as_of: date
    model_version: str
    rows: int
    score_psi: float
    score_ks_statistic: float
    score_ks_pvalue: float
    max_feature_psi: float | None
    features_warn: int
    features_alert: int
    level: str  # ok, warn, alert


@dataclass(frozen=True)
class FeatureDriftRow:
    feature: str
    psi: float
    missing_share: float
    reference_missing_share: float
    level: str
    calendar: bool = False  # follows the calendar: shown, never raises the level


@dataclass(frozen=True)
class DriftOverview:
    """The drift trend (oldest date first), the latest date's most drifted features that
    count, and whether the latest date raises an alert (PSI at or above PDE_PSI_ALERT).
    `calendar_features`: the latest date's most drifted features that follow the calendar
    (pde.jobs.calendar), kept out of the level."""

    trend: list[DriftPoint]
    latest: DriftPoint | None
    top_features: list[FeatureDriftRow]
    alert_raised: bool
    warning_raised: bool
    psi_warn: float
    psi_alert: float
    calendar_features: list[FeatureDriftRow] = field(default_factory=list)


@dataclass(frozen=True)
class PerformancePoint:
    """One scoring date's performance of one model, realised or estimated (CBPE)."""

    as_of: date
    model_version: str
    kind: str  # realised, estimated
    rows: int
    labelled_rows: int | None
    auc: float | None
    auc_low: float | None
    auc_high: float | None
    ks: float | None
    predicted_rate: float
    predicted_rate_low: float | None
    predicted_rate_high: float | None
    observed_rate: float | None


@dataclass(frozen=True)
class TierCalibration:
    tier: str
    rows: int
    predicted_rate: float
    observed_rate: float | None


@dataclass(frozen=True)
class PerformanceOverview:
    """Stability trends: realised figures for the dates whose outcomes are known, estimated
    ones for every date; calibration by tier on the latest date with outcomes."""

    realised: list[PerformancePoint]
    estimated: list[PerformancePoint]
    calibration_date: date | None
    calibration: list[TierCalibration]


def drift_overview(
    services: Services,
    user: access.SignedIn,
    *,
    model_version: str | None = None,
    top: int = 10,
    or_latest: bool = False,
) -> DriftOverview:
    """Drift per scoring date (every model, or `model_version`) and the latest date's `top`
    most drifted features; with `or_latest`, a `model_version` not checked yet falls back to
    the model of the newest check."""
    access.require(access.sees_model_monitoring(user), "see model monitoring")
    settings = services.settings
    with services.session() as session:
        checks = monitoring.drift_checks(session, model_version=model_version)
        if not checks and model_version is not None and or_latest:
            latest_version = monitoring.latest_checked_version(session)
            if latest_version is not None:
                checks = monitoring.drift_checks(session, model_version=latest_version)
        trend = [
            DriftPoint(
                as_of=c.as_of,
                model_version=c.model_version,
                rows=c.rows,
                score_psi=c.score_psi,
                score_ks_statistic=c.score_ks_statistic,
                score_ks_pvalue=c.score_ks_pvalue,
                max_feature_psi=c.max_feature_psi,
                features_warn=c.features_warn,
                features_alert=c.features_alert,
                level=c.level.value,
            )
            for c in checks
        ]
        latest = trend[-1] if trend else None
        features = (
            monitoring.feature_drift(
                session, as_of=latest.as_of, model_version=latest.model_version
            )
            if latest is not None
            else []
        )
        rows = [
            FeatureDriftRow(
                f.feature, f.psi, f.missing_share, f.reference_missing_share, f.level, f.calendar
            )
            for f in features
        ]
    level = latest.level if latest is not None else DriftLevel.OK.value
    return DriftOverview(
        trend=trend,
        latest=latest,
        top_features=[row for row in rows if not row.calendar][:top],
        calendar_features=[row for row in rows if row.calendar][:top],
        alert_raised=level == DriftLevel.ALERT.value,
        warning_raised=level in (DriftLevel.WARN.value, DriftLevel.ALERT.value),
        psi_warn=settings.psi_warn,
        psi_alert=settings.psi_alert,
    )


def performance_overview(
    services: Services, user: access.SignedIn, *, model_version: str | None = None
) -> PerformanceOverview:
    """Realised and estimated performance per scoring date, oldest first."""
    access.require(access.sees_model_monitoring(user), "see model monitoring")
    with services.session() as session:
        stored = monitoring.performance(session, model_version=model_version)
    points = [
        PerformancePoint(
            as_of=row.as_of,
            model_version=row.model_version,
            kind=row.kind.value,
            rows=row.rows,
            labelled_rows=row.labelled_rows,
            auc=row.auc,
            auc_low=row.auc_low,
            auc_high=row.auc_high,
            ks=row.ks,
            predicted_rate=row.predicted_rate,
            predicted_rate_low=row.predicted_rate_low,
            predicted_rate_high=row.predicted_rate_high,
            observed_rate=row.observed_rate,
        )
        for row in stored
    ]
    realised = [p for p in points if p.kind == PerformanceKind.REALISED.value]
    last = next((row for row in reversed(stored) if row.kind == PerformanceKind.REALISED), None)
    calibration = (
        [
            TierCalibration(
                tier=str(t["tier"]),
                rows=int(t["rows"]),
                predicted_rate=float(t["predicted_rate"]),
                observed_rate=None if t.get("observed_rate") is None else float(t["observed_rate"]),
            )
            for t in last.by_tier
        ]
        if last is not None
        else []
    )
    return PerformanceOverview(
        realised=realised,
        estimated=[p for p in points if p.kind == PerformanceKind.ESTIMATED.value],
        calibration_date=last.as_of if last is not None else None,
        calibration=calibration,
    )


def shadow_overview(
    services: Services, user: access.SignedIn, *, model_version: str | None = None
) -> ShadowComparison | None:
    """The champion/challenger comparison from the stored shadow scores: of `model_version`
    as the challenger, else as the champion, else the pair scored most recently; None when
    nothing was shadow-scored."""
    access.require(access.sees_model_monitoring(user), "see model monitoring")
    with database_errors():
        if model_version is None:
            return shadow_comparison(engine=services.engine)
        return shadow_comparison(
            engine=services.engine, challenger=model_version
        ) or shadow_comparison(engine=services.engine, champion=model_version)
