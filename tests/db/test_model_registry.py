from __future__ import annotations

import pytest
from sqlmodel import select

from pde.db import model_registry
from pde.db.errors import ConstraintViolationError, NotFoundError
from pde.db.models import ModelStatus, ModelVersion, ModelVersionCreate


def test_model_registry_one_champion(db) -> None:
    with db.scope() as s:
        for version in ("v1", "v2"):
            model_registry.register_model_version(
                session=s, data=ModelVersionCreate(version=version), actor="admin"
            )
        model_registry.set_status(
            session=s, version="v1", status=ModelStatus.CHAMPION, actor="admin"
        )
    with db.scope() as s:
        model_registry.set_status(
            session=s, version="v2", status=ModelStatus.CHAMPION, actor="admin"
        )
    with db.scope() as s:
        statuses = {m.version: m.status for m in s.exec(select(ModelVersion)).all()}
        assert statuses == {"v1": ModelStatus.RETIRED, "v2": ModelStatus.CHAMPION}
        assert model_registry.champion(s).version == "v2"


def test_model_registry_second_champion_refused_by_database(db) -> None:
    # PostgreSQL names the index; SQLite names the column.
    match = (
        "uq_model_versions_one_champion" if db.backend == "postgres" else r"model_versions\.status"
    )
    with pytest.raises(ConstraintViolationError, match=match), db.scope() as s:
        s.add(ModelVersion(version="a", status=ModelStatus.CHAMPION))
        s.add(ModelVersion(version="b", status=ModelStatus.CHAMPION))


def test_model_registry_unknown_version(db) -> None:
    with db.scope() as s, pytest.raises(NotFoundError, match="not registered"):
        model_registry.set_status(
            session=s, version="zz", status=ModelStatus.RETIRED, actor="admin"
        )
