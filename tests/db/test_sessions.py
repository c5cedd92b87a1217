"""Server-side app sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pde.db import sessions, users
from pde.db.errors import PermissionDeniedError
from pde.db.models import Role, UserCreate, UserUpdate
from pde.db.types import utc_now

KEY = "a session key of at least thirty-two chars"
IDLE, LIFETIME = timedelta(minutes=30), timedelta(hours=12)


def _resolve(db, token: str, *, key: str = KEY, now=None) -> sessions.Lookup:
    with db.scope() as s:
        return sessions.resolve(s, token=token, key=key, idle=IDLE, lifetime=LIFETIME, now=now)


def test_sessions_re_read_the_user_and_end_with_deactivation(staffed_db) -> None:
    with staffed_db.scope() as s:
        token, row = sessions.open_session(s, username="admin", key=KEY, client_address="10.0.0.1")
    assert row.token_hash != token and len(row.token_hash) == 64
    found = _resolve(staffed_db, token).user
    assert found is not None and found.role is Role.ADMIN
    assert _resolve(staffed_db, token, key="another key").user is None  # a rotated key
    assert _resolve(staffed_db, "made-up").user is None
    with staffed_db.scope() as s:
        users.update_user(
            session=s, username="admin", data=UserUpdate(role=Role.OFFICER), actor="system:test"
        )
    assert _resolve(staffed_db, token).user.role is Role.OFFICER  # type: ignore[union-attr]
    with staffed_db.scope() as s:
        users.update_user(
            session=s, username="admin", data=UserUpdate(is_active=False), actor="system:test"
        )
        assert s.execute(sa.text("SELECT count(*) FROM app_sessions")).scalar_one() == 0
    assert _resolve(staffed_db, token).user is None


def test_sessions_expire_when_idle_or_old_and_revoke(staffed_db) -> None:
    with staffed_db.scope() as s:
        token, _ = sessions.open_session(s, username="off1", key=KEY, client_address=None)
        other, _ = sessions.open_session(s, username="off1", key=KEY, client_address=None)
    later = utc_now() + IDLE + timedelta(seconds=1)
    assert _resolve(staffed_db, token, now=later) == sessions.Lookup(None, expired=True)
    assert _resolve(staffed_db, token).user is None  # deleted when found expired
    with staffed_db.scope() as s:
        assert sessions.revoke(s, token=other, key=KEY) == "off1"
        assert sessions.revoke(s, token=other, key=KEY) is None
    assert _resolve(staffed_db, other).user is None


def test_users_admin_operations_need_an_existing_active_admin(staffed_db, password: str) -> None:
    data = UserCreate(username="newbie", full_name="N", role=Role.ADMIN, password=password)
    for actor, reason in (
        ("off1", "'off1' is officer: this needs admin"),
        ("ghost", "'ghost' is not a user"),
    ):
        with pytest.raises(PermissionDeniedError, match=reason), staffed_db.scope() as s:
            users.create_user(session=s, data=data, actor=actor)
        with pytest.raises(PermissionDeniedError, match=reason), staffed_db.scope() as s:
            users.update_user(
                session=s, username="off2", data=UserUpdate(is_active=False), actor=actor
            )
        with pytest.raises(PermissionDeniedError, match=reason), staffed_db.scope() as s:
            users.reset_password(session=s, username="off2", actor=actor)
        with pytest.raises(PermissionDeniedError, match=reason), staffed_db.scope() as s:
            users.set_password(session=s, username="off2", password=password, actor=actor)
    with staffed_db.scope() as s:
        users.update_user(
            session=s, username="admin", data=UserUpdate(is_active=False), actor="system:test"
        )
    with pytest.raises(PermissionDeniedError, match="deactivated"), staffed_db.scope() as s:
        users.update_user(
            session=s, username="admin", data=UserUpdate(is_active=True), actor="admin"
        )
    with staffed_db.scope() as s:
        assert users.create_user(session=s, data=data, actor="system:cli").username == "newbie"
