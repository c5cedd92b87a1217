"""Model bundles and their promotion: the one audited path used by the CLI and the app.

Training writes a bundle and registers it as a challenger (`register_trained`); only `promote`
moves the `current` pointer. Promoting a version checks its bundle completely, passes the gate
(`gate_checks`: the challenger's held-out AUC, and its realised AUC on the matured rows both
models scored, may be lower than the champion's by at most PDE_PROMOTION_AUC_TOLERANCE, unless
forced with a reason), makes it the champion in the model registry (the previous champion is
retired), records the move in the audit log and moves the `current` pointer, all in one unit
of work: a pointer that cannot be moved rolls the registry back. After the commit, the scoring
server is asked to load the new `current` bundle. The first bundle of an empty model directory
is promoted when it is registered: there is nothing to serve otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from pde.client.sync import RiskClient
from pde.contracts.bundle import (
    BundleError,
    current_bundle_dir,
    list_bundles,
    read_manifest,
    set_current,
)
from pde.core.errors import PdeError
from pde.core.settings import get_settings
from pde.db import audit, challenger, monitoring
from pde.db.engine import session_scope
from pde.db.model_registry import ensure_model_version, set_status
from pde.db.models import ModelStatus, ModelVersion, RiskScore

log = logging.getLogger(__name__)

RELOAD_TIMEOUT_S = 120.0
# Fewer matured rows scored by both models than this say too little to gate on.
MIN_PAIRED_ROWS = 100


class PromotionRefusedError(PdeError):
    """The challenger is worse than the champion beyond the tolerance, and not forced."""


@dataclass(frozen=True)
class BundleStatus:
    """One bundle under the model directory, with its place in the registry."""

    version: str
    created_at: datetime
    auc: float | None  # the ensemble's held-out AUC, from the manifest
    registry_status: str | None  # champion, challenger or retired; None when not registered
    is_current: bool  # the `current` pointer names it: the server loads it on (re)start


@dataclass(frozen=True)
class Promotion:
    """What `promote` did: the new champion, the bundle it replaced, and the server's answer."""

    version: str
    previous: str | None  # the bundle `current` named before, None when there was none
    served_version: str | None  # what the server reports after reloading; None if not asked
    reload_error: str | None  # why the server did not reload (the promotion still stands)
    checks: tuple[GateCheck, ...] = ()  # the gate's checks against the previous champion
    forced_reason: str | None = None  # set when a failed gate was overridden (audited)
    rescored: tuple[date, ...] = ()  # the dates re-scored with the new champion
    rescore_error: str | None = None  # why they were not (the promotion still stands)


@dataclass(frozen=True)
class GateCheck:
    """One comparison of the challenger with the champion."""

    name: str  # held_out_auc, realised_auc
    challenger: float
    champion: float
    tolerance: float
    rows: int | None = None  # the matured rows both models scored (realised_auc)

    @property
    def passed(self) -> bool:
        return self.challenger >= self.champion - self.tolerance

    def describe(self) -> str:
        where = f" on {self.rows:,} matured rows" if self.rows is not None else ""
        verdict = "ok" if self.passed else f"worse by more than {self.tolerance:g}"
        return (
            f"{self.name}{where}: challenger {self.challenger:.4f},"
            f" champion {self.champion:.4f} ({verdict})"
        )


@dataclass(frozen=True)
class Registration:
    """A freshly trained bundle in the registry; promoted only when nothing was current."""

    version: str
    status: str
    promotion: Promotion | None


def current_version(model_dir: Path) -> str | None:
    """The version the `current` pointer names, or None when it names no bundle."""
    try:
        return current_bundle_dir(model_dir).name
    except BundleError:
        return None


def held_out_auc(model_dir: Path, version: str) -> float | None:
    """The ensemble's held-out AUC from the bundle's manifest."""
    auc = (read_manifest(model_dir / version, verify=False).metrics.get("ensemble") or {}).get(
        "auc"
    )
    return float(auc) if isinstance(auc, int | float) else None


def gate_checks(
    version: str,
    champion: str,
    *,
    model_dir: Path,
    engine: Engine | None = None,
    tolerance: float | None = None,
) -> list[GateCheck]:
    """The challenger against the champion: held-out AUC (each bundle's own test rows), and
    realised AUC on the matured rows both scored (a parallel run in `risk_scores`, else the
    shadow run's `challenger_scores`), when there are enough of both classes."""
    from sklearn.metrics import roc_auc_score

    allowed = get_settings().promotion_auc_tolerance if tolerance is None else tolerance
    checks = []
    mine, theirs = held_out_auc(model_dir, version), held_out_auc(model_dir, champion)
    if mine is not None and theirs is not None:
        checks.append(GateCheck("held_out_auc", mine, theirs, allowed))
    with session_scope(engine=engine) as session:
        p_mine, p_theirs, labels = monitoring.paired_outcomes(
            session, first=version, second=champion
        )
        if labels.shape[0] < MIN_PAIRED_ROWS:  # no parallel run: the shadow run's scores
            shadow = challenger.paired_scores(session, challenger=version, champion=champion)
            known = shadow.label >= 0
            p_mine, p_theirs = shadow.challenger[known], shadow.champion[known]
            labels = shadow.label[known]
    positives = int(labels.sum())
    if labels.shape[0] >= MIN_PAIRED_ROWS and 0 < positives < labels.shape[0]:
        checks.append(
            GateCheck(
                "realised_auc",
                float(roc_auc_score(labels, p_mine)),
                float(roc_auc_score(labels, p_theirs)),
                allowed,
                rows=int(labels.shape[0]),
            )
        )
    return checks


def list_models(*, model_dir: Path, engine: Engine | None = None) -> list[BundleStatus]:
    """Every complete bundle under model_dir, oldest first, with its registry status."""
    versions = list_bundles(model_dir)
    with session_scope(engine=engine) as session:
        registered = {
            row.version: row.status.value
            for row in session.exec(
                select(ModelVersion).where(col(ModelVersion.version).in_(versions))
            )
        }
    current = current_version(model_dir)
    found = []
    for version in versions:
        manifest = read_manifest(model_dir / version, verify=False)
        auc = (manifest.metrics.get("ensemble") or {}).get("auc")
        found.append(
            BundleStatus(
                version=version,
                created_at=manifest.created_at,
                auc=float(auc) if isinstance(auc, int | float) else None,
                registry_status=registered.get(version),
                is_current=version == current,
            )
        )
    return found


def promote(
    version: str,
    *,
    actor: str,
    model_dir: Path,
    engine: Engine | None = None,
    client: RiskClient | None = None,
    reload_timeout: float = RELOAD_TIMEOUT_S,
    force_reason: str | None = None,
    tolerance: float | None = None,
    data_dir: Path | None = None,
    rescore_weeks: int | None = None,
) -> Promotion:
    """Makes `version` the champion and the `current` bundle, audited under `actor`; then, when
    a client is given, asks its server to load it and re-scores the newest scored dates with
    it (`rescore_after_promotion`). Raises PromotionRefusedError when the gate fails and no
    `force_reason` is given, PdeError (nothing changed) when the bundle is missing, incomplete
    or corrupt, or the pointer cannot be moved."""
    done = _promote(
        version,
        actor=actor,
        model_dir=model_dir,
        engine=engine,
        client=client,
        reload_timeout=reload_timeout,
        force_reason=force_reason,
        tolerance=tolerance,
    )
    # Separate from the promotion, which has succeeded whatever happens here.
    if client is None or done.served_version != version:
        return done
    return rescore_after_promotion(
        done,
        client=client,
        model_dir=model_dir,
        engine=engine,
        data_dir=data_dir,
        weeks=rescore_weeks,
    )


def rescore_after_promotion(
    done: Promotion,
    *,
    client: RiskClient,
    model_dir: Path,
    engine: Engine | None = None,
    data_dir: Path | None = None,
    weeks: int | None = None,
) -> Promotion:
    """Re-scores the newest `weeks` weekly dates of `risk_scores` (default
    PDE_PROMOTION_RESCORE_WEEKS, ending at the newest scored date) from the canonical data
    (default PDE_DATA_DIR) with the model the client's server now serves, so trends and
    changes compare scores of one model. A failure is logged and reported in the result;
    the promotion stands."""
    from pde.jobs.portfolio import score_portfolio

    settings = get_settings()
    weeks = settings.promotion_rescore_weeks if weeks is None else weeks
    newest = _newest_scored_date(engine)
    if weeks <= 0 or newest is None:
        return done
    try:
        results = score_portfolio(
            data_dir=data_dir or settings.data_dir,
            client=client,
            as_of=newest,
            weeks=weeks,
            engine=engine,
            model_dir=model_dir,
        )
    except (PdeError, OSError) as exc:
        log.warning(
            "promoted %s, but the last %d weeks were not re-scored: %s", done.version, weeks, exc
        )
        return replace(done, rescore_error=str(exc))
    rescored = tuple(result.as_of for result in results)
    log.info("re-scored %d dates with %s after its promotion", len(rescored), done.version)
    return replace(done, rescored=rescored)


def _newest_scored_date(engine: Engine | None) -> date | None:
    with session_scope(engine=engine) as session:
        newest: date | None = session.exec(select(func.max(RiskScore.as_of))).one()
    return newest


def _promote(
    version: str,
    *,
    actor: str,
    model_dir: Path,
    engine: Engine | None,
    client: RiskClient | None,
    reload_timeout: float,
    force_reason: str | None,
    tolerance: float | None,
) -> Promotion:
    """The promotion itself (gate, registry, audit, pointer, reload)."""
    read_manifest(model_dir / version)  # every file present and matching its sha256
    previous = current_version(model_dir)
    reason = (force_reason or "").strip() or None
    checks: list[GateCheck] = []
    if previous is not None and previous != version:
        checks = gate_checks(
            version, previous, model_dir=model_dir, engine=engine, tolerance=tolerance
        )
    failed = [check for check in checks if not check.passed]
    if failed and reason is None:
        raise PromotionRefusedError(
            f"{version} is worse than the champion {previous}: "
            + "; ".join(check.describe() for check in failed)
            + ". Promote it anyway only with a reason (--force REASON), which is audited"
        )
    forced = reason if failed else None
    moved = False
    try:
        with session_scope(engine=engine) as session:
            ensure_model_version(session=session, version=version, actor=actor)
            set_status(session=session, version=version, status=ModelStatus.CHAMPION, actor=actor)
            after: dict[str, object] = {"current": version}
            if checks:
                after["gate"] = [{**check.__dict__, "passed": check.passed} for check in checks]
            if forced is not None:
                after["forced_reason"] = forced
            audit.append(
                session,
                actor=actor,
                action="model_version.promote_forced" if forced else "model_version.promote",
                entity_type="model_version",
                entity_id=version,
                before={"current": previous},
                after=after,
            )
            try:  # last: a failure here rolls the registry change back with the transaction
                set_current(model_dir, version)
            except OSError as exc:
                raise PdeError(
                    f"cannot move the current pointer in {model_dir}: {exc.strerror}"
                ) from exc
            moved = True
    except BaseException:
        if moved and previous is not None:  # the commit failed after the pointer moved
            set_current(model_dir, previous)
        raise
    log.info("%s promoted %s (was %s)%s", actor, version, previous, " FORCED" if forced else "")
    if client is None:
        return Promotion(version, previous, None, None, tuple(checks), forced)
    try:
        served = client.reload(timeout=reload_timeout).version
    except PdeError as exc:
        log.warning("the server did not reload after promoting %s: %s", version, exc)
        return Promotion(version, previous, None, str(exc), tuple(checks), forced)
    return Promotion(version, previous, served, None, tuple(checks), forced)


def register_trained(
    version: str, *, actor: str, model_dir: Path, engine: Engine | None = None
) -> Registration:
    """Registers a new bundle as a challenger (audited). When the model directory has no
    current bundle it is promoted at once (the first champion); otherwise `current` stays."""
    read_manifest(model_dir / version)
    with session_scope(engine=engine) as session:
        row = ensure_model_version(session=session, version=version, actor=actor)
        status = row.status.value
    if current_version(model_dir) is not None:
        return Registration(version, status, None)
    done = promote(version, actor=actor, model_dir=model_dir, engine=engine)
    return Registration(version, ModelStatus.CHAMPION.value, done)
