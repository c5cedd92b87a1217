"""Model Performance and promotion: bundles under PDE_MODEL_DIR and the version registry.

Promotion is pde.jobs.models.promote, the same audited path as `pde models promote`."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pde.contracts.bundle import current_bundle_dir, list_bundles, read_manifest
from pde.frontend.services import access
from pde.frontend.services.base import Services, database_errors
from pde.frontend.services.tables import MODEL_VERSIONS
from pde.jobs import models as model_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundleView:
    version: str
    directory: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]  # metrics.json (curves, importance, tiers); {} when absent
    is_current: bool


@dataclass(frozen=True)
class AlertPolicyFigures:
    """The alert policy applied to the held-out rows (metrics.json's `alerts`)."""

    alerts: int | None
    capacity: int | None
    share_alerted: float | None
    capacity_used: float | None
    precision: float | None
    recall: float | None
    lift: float | None


@dataclass(frozen=True)
class TierFigures:
    """One risk tier on the held-out rows (metrics.json's `tiers`)."""

    tier: str
    lower: float
    share: float | None
    default_rate: float | None


@dataclass(frozen=True)
class PolicyView:
    """The decision figures of a bundle; each part None (or empty) when the bundle predates it."""

    alerts: AlertPolicyFigures | None
    ece: float | None  # the ensemble's expected calibration error on the test rows
    tiers: list[TierFigures]
    # Where the expected effect of an action comes from: the uplift models, or the prior.
    effect_basis: str = ""
    # Fairness of the learned policy per protected attribute (age bands always): groups
    # and the four-fifths-rule flags; empty without uplift models.
    fairness: list[FairnessFigures] = field(default_factory=list)


@dataclass(frozen=True)
class FairnessFigures:
    attribute: str
    groups: list[str]
    flags: list[str]
    ratio: float


def _effect_basis(manifest: dict[str, Any]) -> str:
    uplift = manifest.get("uplift")
    if isinstance(uplift, dict) and uplift.get("actions"):
        actions = ", ".join(str(a).replace("_", " ") for a in uplift["actions"])
        return f"learned: uplift models ({uplift.get('method', 't_learner')}) for {actions}"
    effect = (manifest.get("policy") or {}).get("action_effect")
    shown = f" of {effect:.0%}" if isinstance(effect, int | float) else ""
    return f"prior: PDE_ACTION_EFFECT{shown} for every action (no uplift models in this bundle)"


def _fairness(metrics: dict[str, Any]) -> list[FairnessFigures]:
    report = (metrics.get("uplift") or {}).get("fairness")
    if not isinstance(report, dict):
        return []
    ratio = _number(report.get("ratio")) or 0.8
    return [
        FairnessFigures(
            attribute=str(name),
            groups=sorted(str(g) for g in (section.get("groups") or {})),
            flags=[str(f) for f in section.get("flags") or []],
            ratio=ratio,
        )
        for name, section in (report.get("attributes") or {}).items()
        if isinstance(section, dict)
    ]


@dataclass(frozen=True)
class PromotionResult:
    version: str
    served_version: str | None
    reload_error: str | None


def current_version(model_dir: Path) -> str | None:
    return model_jobs.current_version(model_dir)


def bundles(model_dir: Path) -> list[str]:
    """Versions of the complete bundles, oldest first."""
    return list_bundles(model_dir)


def load_bundle(model_dir: Path, version: str | None = None) -> BundleView:
    """The bundle `version` (default: the current one); raises PdeError when missing."""
    current = current_version(model_dir)
    directory = model_dir / version if version else current_bundle_dir(model_dir)
    manifest = read_manifest(directory, verify=False)
    metrics_path = directory / "metrics.json"
    metrics: dict[str, Any] = {}
    if metrics_path.is_file():
        try:
            metrics = json.loads(metrics_path.read_text())
        except ValueError:
            log.warning("%s is not valid JSON", metrics_path)
    return BundleView(
        version=manifest.version,
        directory=directory,
        manifest=manifest.model_dump(mode="json"),
        metrics=metrics,
        is_current=manifest.version == current,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def policy_view(bundle: BundleView) -> PolicyView:
    """The alert policy figures, the ensemble's ECE and the tier table of `bundle`, read from
    its metrics.json (the manifest's training record as a fallback for the alerts)."""
    metrics, manifest = bundle.metrics, bundle.manifest
    section = metrics.get("alerts") or (manifest.get("training") or {}).get("alerts")
    alerts = (
        AlertPolicyFigures(
            alerts=_count(section.get("alerts")),
            capacity=_count(section.get("capacity")),
            share_alerted=_number(section.get("share_alerted")),
            capacity_used=_number(section.get("capacity_used")),
            precision=_number(section.get("precision")),
            recall=_number(section.get("recall")),
            lift=_number(section.get("lift")),
        )
        if isinstance(section, dict)
        else None
    )
    per_model = metrics.get("metrics") or manifest.get("metrics") or {}
    ensemble = per_model.get("ensemble") if isinstance(per_model, dict) else None
    ece = _number(ensemble.get("ece")) if isinstance(ensemble, dict) else None
    tiers = [
        TierFigures(
            tier=str(row.get("tier", "")),
            lower=float(row.get("lower", 0.0)),
            share=_number(row.get("share")),
            default_rate=_number(row.get("default_rate")),
        )
        for row in metrics.get("tiers") or []
        if isinstance(row, dict)
    ]
    return PolicyView(
        alerts=alerts,
        ece=ece,
        tiers=tiers,
        effect_basis=_effect_basis(manifest),
        fairness=_fairness(metrics),
    )


def registry_status(services: Services, version: str) -> str | None:
    """champion, challenger or retired; None when the version is not registered."""
    with services.session() as session:
        status = session.execute(
            sa.select(MODEL_VERSIONS.c.status).where(MODEL_VERSIONS.c.version == version)
        ).scalar_one_or_none()
    return None if status is None else str(status)


def promote(
    services: Services, user: access.SignedIn, version: str, *, force_reason: str | None = None
) -> PromotionResult:
    """Makes `version` the champion and the current bundle, audited under the user, and asks
    the scoring server to load it. A challenger the gate finds worse than the champion is
    refused (PromotionRefusedError, a PdeError) unless `force_reason` is given (audited)."""
    access.require(access.can_manage_models(user), "promote a model")
    with database_errors():
        done = model_jobs.promote(
            version,
            actor=user.username,
            model_dir=services.settings.model_dir,
            engine=services.engine,
            client=services.client() if services.client_factory is not None else None,
            force_reason=force_reason,
            data_dir=services.settings.data_dir,
        )
    return PromotionResult(done.version, done.served_version, done.reload_error)
