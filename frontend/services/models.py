"""Model Performance and promotion: bundles under PDE_MODEL_DIR and the version registry."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.errors import PdeError
from pde.frontend.services.tables import MV

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundleView:
    version: str
    directory: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]  # metrics.json (curves, importance, tiers); {} when absent
    is_current: bool


def current_version(model_dir: Path) -> str | None:
    from pde.contracts.bundle import BundleError, current_bundle_dir

    try:
        return current_bundle_dir(model_dir).name
    except BundleError:
        return None


def bundles(model_dir: Path) -> list[str]:
    from pde.contracts.bundle import list_bundles

    return list_bundles(model_dir)


def load_bundle(model_dir: Path, version: str | None = None) -> BundleView:
    """The bundle `version` (default: the current one); raises PdeError when missing."""
    from pde.contracts.bundle import current_bundle_dir, read_manifest

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


def registry(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(sa.select(MV).order_by(MV.c.registered_at.desc()).limit(50))
    return [dict(r._mapping) for r in rows]


def promote(session: Session, *, model_dir: Path, version: str, actor: str) -> None:
    """Makes `version` the champion (registry, audited) and moves the `current` pointer."""
    from pde.contracts.bundle import read_manifest, set_current
    from pde.db.model_registry import ensure_model_version, set_status
    from pde.db.models import ModelStatus

    read_manifest(model_dir / version)  # refuses an incomplete or corrupt bundle
    ensure_model_version(session=session, version=version, actor=actor)
    set_status(session=session, version=version, status=ModelStatus.CHAMPION, actor=actor)
    try:  # last: a failure here rolls the registry change back with the caller's transaction
        set_current(model_dir, version)
    except OSError as exc:
        raise PdeError(f"cannot move the current pointer in {model_dir}: {exc.strerror}") from exc


def reload_server(services: Any) -> str:
    """Asks the scoring server to load the current bundle; returns the version it serves."""
    try:
        info = services.client().reload(timeout=120.0)
    except PdeError as exc:
        raise PdeError(f"the bundle was promoted but the server did not reload: {exc}") from exc
    return str(info.version)
