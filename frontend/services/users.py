"""User administration for admins, through pde.db.users (audited)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from pde.db import users as db_users
from pde.db.models import Role, UserCreate, UserUpdate
from pde.frontend.services.tables import USERS


def list_users(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(
            USERS.c.username,
            USERS.c.full_name,
            USERS.c.role,
            USERS.c.is_active,
            USERS.c.last_login_at,
        ).order_by(USERS.c.username)
    )
    return [dict(r._mapping) for r in rows]


def create_user(session: Session, *, username: str, full_name: str, role: str, actor: str) -> str:
    """Creates the user with a one-time password, returned to show once."""
    password = db_users.generate_password()
    db_users.create_user(
        session=session,
        data=UserCreate(username=username, full_name=full_name, role=Role(role), password=password),
        actor=actor,
    )
    return password


def set_active(session: Session, *, username: str, active: bool, actor: str) -> None:
    if username == actor and not active:
        raise ValueError("you cannot deactivate yourself")
    db_users.update_user(
        session=session, username=username, data=UserUpdate(is_active=active), actor=actor
    )
