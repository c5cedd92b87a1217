"""Model bundles and their promotion: the one audited path used by the CLI and the app.

Promoting a version checks its bundle completely, makes it the champion in the model registry
(the previous champion is retired), records the move in the audit log and moves the `current`
pointer, all in one unit of work: a pointer that cannot be moved rolls the registry back.
After the commit, the scoring server is asked to load the new `current` bundle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from pde.client.sync import RiskClient
from pde.contracts.bundle import (
    BundleError,
    current_bundle_dir,
    list_bundles,
    read_manifest,
    set_current,
)
from pde.core.errors import PdeError
from pde.db import audit
from pde.db.engine import session_scope
from pde.db.model_registry import ensure_model_version, set_status
from pde.db.models import ModelStatus, ModelVersion

log = logging.getLogger(__name__)

RELOAD_TIMEOUT_S = 120.0


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


def current_version(model_dir: Path) -> str | None:
    """The version the `current` pointer names, or None when it names no bundle."""
    try:
        return current_bundle_dir(model_dir).name
    except BundleError:
        return None


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
) -> Promotion:
    """Makes `version` the champion and the `current` bundle, audited under `actor`; then, when
    a client is given, asks its server to load it. Raises PdeError (nothing changed) when the
    bundle is missing, incomplete or corrupt, or the pointer cannot be moved."""
    read_manifest(model_dir / version)  # every file present and matching its sha256
    previous = current_version(model_dir)
    moved = False
    try:
        with session_scope(engine=engine) as session:
            ensure_model_version(session=session, version=version, actor=actor)
            set_status(session=session, version=version, status=ModelStatus.CHAMPION, actor=actor)
            audit.append(
                session,
                actor=actor,
                action="model_version.promote",
                entity_type="model_version",
                entity_id=version,
                before={"current": previous},
                after={"current": version},
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
    log.info("%s promoted %s (was %s)", actor, version, previous)
    if client is None:
        return Promotion(version, previous, served_version=None, reload_error=None)
    try:
        served = client.reload(timeout=reload_timeout).version
    except PdeError as exc:
        log.warning("the server did not reload after promoting %s: %s", version, exc)
        return Promotion(version, previous, served_version=None, reload_error=str(exc))
    return Promotion(version, previous, served_version=served, reload_error=None)
