"""Fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pde.core.settings import get_settings
from pde.db import engine as engine_module
from pde.db import migrate


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated SQLite database the CLI uses (PDE_DATABASE_URL), its data dir under tmp_path."""
    path = tmp_path / "pde.db"
    migrate.upgrade(engine=sa.create_engine(f"sqlite:///{path}"))
    monkeypatch.setenv("PDE_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PDE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
    yield path
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
