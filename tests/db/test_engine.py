from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from pde.core.settings import get_settings
from pde.db import engine as engine_module
from pde.db.models import Customer
from pde.db.types import utc_now


def test_engine_sqlite_pragmas(tmp_path: Path) -> None:
    engine = engine_module.make_engine(f"sqlite:///{tmp_path}/sub/dir/x.db")
    with engine.connect() as c:
        assert c.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
    assert (tmp_path / "sub" / "dir" / "x.db").is_file()


def test_engine_built_lazily_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDE_DATABASE_URL", f"sqlite:///{tmp_path}/lazy.db")
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
    try:
        engine = engine_module.get_engine()
        assert engine is engine_module.get_engine()
        assert str(engine.url).endswith("lazy.db")
    finally:
        engine_module.get_engine().dispose()
        engine_module.get_engine.cache_clear()
        get_settings.cache_clear()


def test_engine_session_scope_commits_or_rolls_back(db, add_customer) -> None:
    with pytest.raises(RuntimeError), db.scope() as s:
        add_customer(s, "R1")
        s.flush()
        raise RuntimeError("boom")
    with db.scope() as s:
        add_customer(s, "R2")
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == 1


def test_engine_timestamps_round_trip_in_utc(db, add_customer) -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=paris)
    with db.scope() as s:
        add_customer(s, "T1").created_at = moment
    with db.scope() as s:
        stored = s.get(Customer, "T1").created_at
        assert stored == moment and stored.tzinfo == UTC and stored.hour == 11


def test_engine_naive_timestamps_refused(db, add_customer) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive"), db.scope() as s:
        add_customer(s, "T2").created_at = datetime(2026, 1, 1)


def test_engine_utc_now_is_aware() -> None:
    assert utc_now().tzinfo == UTC
