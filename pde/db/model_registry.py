"""The model version registry: champion, challengers, retired bundles."""

from __future__ import annotations

from sqlmodel import Session, select

from pde.db import audit
from pde.db.errors import NotFoundError
from pde.db.models.enums import ModelStatus
from pde.db.models.scoring import ModelVersion, ModelVersionCreate
from pde.db.types import utc_now


def ensure_model_version(*, session: Session, version: str, actor: str) -> ModelVersion:
    """The registered version, registering it as a challenger when it is new."""
    found = session.get(ModelVersion, version)
    if found is not None:
        return found
    return register_model_version(
        session=session, data=ModelVersionCreate(version=version), actor=actor
    )


def register_model_version(
    *, session: Session, data: ModelVersionCreate, actor: str
) -> ModelVersion:
    audit.lock_chain(session)
    row = ModelVersion.model_validate(data)
    if row.status == ModelStatus.CHAMPION:
        _retire_champion(session)
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="model_version.register",
        entity_type="model_version",
        entity_id=row.version,
        before=None,
        after=audit.snapshot(row),
    )
    return row


def champion(session: Session) -> ModelVersion | None:
    return session.exec(
        select(ModelVersion).where(ModelVersion.status == ModelStatus.CHAMPION)
    ).one_or_none()


def _retire_champion(session: Session) -> None:
    current = champion(session)
    if current is not None:
        current.status, current.status_changed_at = ModelStatus.RETIRED, utc_now()
        session.add(current)
        session.flush()  # before the new champion: at most one at any time


def set_status(*, session: Session, version: str, status: ModelStatus, actor: str) -> ModelVersion:
    """Changes a version's status; promoting a champion retires the previous one."""
    audit.lock_chain(session)
    row = session.get(ModelVersion, version)
    if row is None:
        raise NotFoundError(f"model version {version!r} is not registered")
    before = audit.snapshot(row)
    if status == ModelStatus.CHAMPION and row.status != ModelStatus.CHAMPION:
        _retire_champion(session)
    row.status, row.status_changed_at = status, utc_now()
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="model_version.set_status",
        entity_type="model_version",
        entity_id=version,
        before=before,
        after=audit.snapshot(row),
    )
    return row
