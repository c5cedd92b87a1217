"""User administration for admins, through pde.db.users (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from pydantic import ValidationError

from pde.core.errors import PdeError
from pde.core.names import Role
from pde.db import users as db_users
from pde.db.models import UserCreate, UserUpdate
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.tables import USERS


@dataclass(frozen=True)
class UserRow:
    username: str
    full_name: str
    role: str
    is_active: bool
    last_login_at: datetime | None


def list_users(services: Services, user: access.SignedIn) -> list[UserRow]:
    access.require(access.can_manage_users(user), "manage users")
    with services.session() as session:
        rows = session.execute(
            sa.select(
                USERS.c.username,
                USERS.c.full_name,
                USERS.c.role,
                USERS.c.is_active,
                USERS.c.last_login_at,
            ).order_by(USERS.c.username)
        )
        return [UserRow(str(u), str(n), str(r), bool(a), at) for u, n, r, a, at in rows]


def create_user(
    services: Services, user: access.SignedIn, *, username: str, full_name: str, role: str
) -> str:
    """Creates the user with a one-time password, returned to show once."""
    access.require(access.can_manage_users(user), "manage users")
    if not username.strip() or not full_name.strip():
        raise PdeError("give a username and a full name")
    password = db_users.generate_password()
    try:
        data = UserCreate(
            username=username.strip().lower(),
            full_name=full_name.strip(),
            role=Role(role),
            password=password,
        )
    except (ValidationError, ValueError) as exc:
        raise PdeError(_invalid(exc)) from None
    with services.session() as session:
        if session.execute(sa.select(USERS.c.id).where(USERS.c.username == data.username)).first():
            raise PdeError(f"A user named {data.username} already exists: choose another name.")
        db_users.create_user(session=session, data=data, actor=user.username)
    return password


def _invalid(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "value"
        return f"{field}: {str(first['msg']).removeprefix('Value error, ')}"
    return str(exc)


def toggle_active(services: Services, user: access.SignedIn, *, username: str) -> bool:
    """Deactivates an active user or reactivates an inactive one; returns the new state."""
    access.require(access.can_manage_users(user), "manage users")
    with services.session() as session:
        active = session.execute(
            sa.select(USERS.c.is_active).where(USERS.c.username == username)
        ).scalar_one_or_none()
        if active is None:
            raise PdeError(f"no user {username!r}")
        if username == user.username and active:
            raise PdeError("you cannot deactivate yourself")
        db_users.update_user(
            session=session,
            username=username,
            data=UserUpdate(is_active=not active),
            actor=user.username,
        )
    return not active
