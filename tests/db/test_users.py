from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import select

from pde.db import users
from pde.db.errors import ConstraintViolationError, PermissionDeniedError
from pde.db.models import AuditEntry, Role, UserCreate, UserUpdate


def test_users_create_hashes_with_argon2_and_audits_without_hash(db, password: str) -> None:
    with db.scope() as s:
        user = users.create_user(
            session=s,
            data=UserCreate(
                username="Alice", full_name="Alice A", role=Role.OFFICER, password=password
            ),
            actor="system:cli",  # the first user comes from the operator's CLI
        )
        assert user.username == "alice" and user.must_change_password
        assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash
        entry = s.exec(select(AuditEntry)).one()
        assert entry.action == "user.create" and "password_hash" not in entry.after
        assert password not in str(entry.after)


def test_users_authenticate(staffed_db, password: str) -> None:
    with staffed_db.scope() as s:
        assert users.authenticate(s, username="off1", password=password).last_login_at is not None
        assert users.authenticate(s, username="off1", password="wrong password!") is None
        assert users.authenticate(s, username="nobody", password=password) is None
        users.update_user(
            session=s, username="off1", data=UserUpdate(is_active=False), actor="admin"
        )
        assert users.authenticate(s, username="off1", password=password) is None
        with pytest.raises(PermissionDeniedError, match="deactivated"):
            users.require_role(s, "off1", Role.OFFICER)


def test_users_duplicate_username_is_clear(staffed_db, password: str) -> None:
    data = UserCreate(username="off1", full_name="Again", role=Role.OFFICER, password=password)
    with (
        pytest.raises(ConstraintViolationError, match="uq_users_username"),
        staffed_db.scope() as s,
    ):
        users.create_user(session=s, data=data, actor="admin")


def test_users_short_password_and_bad_name_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        UserCreate(username="ok", full_name="x", role=Role.OFFICER, password="short")
    with pytest.raises(ValidationError):
        UserCreate(username="no spaces", full_name="x", role=Role.OFFICER, password=password)


def test_users_set_password(staffed_db, password: str) -> None:
    with staffed_db.scope() as s:
        users.set_password(
            session=s, username="off2", password="a new long passphrase", actor="off2"
        )
    with staffed_db.scope() as s:
        user = users.authenticate(s, username="off2", password="a new long passphrase")
        assert user is not None and not user.must_change_password


def test_users_generated_passwords_differ() -> None:
    assert len({users.generate_password() for _ in range(20)}) == 20
