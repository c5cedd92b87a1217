"""The app's server-side sessions. The caller owns the transaction; nothing here commits.

The browser's cookie carries a random token; the table stores only HMAC-SHA256(secret key,
token), so neither a copy of the table nor a forged cookie opens a session, and rotating the
secret key ends every session. Each request re-reads the user's role and active flag through
`resolve`; signing out, deactivating the user and resetting their password delete the rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from pde.db.models.enums import Role
from pde.db.models.session import AppSession
from pde.db.models.user import User
from pde.db.types import utc_now

TOUCH_EVERY = timedelta(seconds=15)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class SessionUser:
    """Who a valid session belongs to, as the database says now."""

    username: str
    full_name: str
    role: Role
    must_change_password: bool
    csrf_token: str


@dataclass(frozen=True)
class Lookup:
    """The answer of `resolve`: the user, or None (`expired` when a session timed out)."""

    user: SessionUser | None
    expired: bool = False


def token_hash(token: str, *, key: str) -> str:
    return hmac.new(key.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def open_session(
    session: Session, *, username: str, key: str, client_address: str | None
) -> tuple[str, AppSession]:
    """A new session for the (existing) user: the cookie's token, and the stored row."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    row = AppSession(
        token_hash=token_hash(token, key=key),
        username=username,
        csrf_token=secrets.token_urlsafe(32),
        client_address=(client_address or "")[:64] or None,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return token, row


def resolve(
    session: Session,
    *,
    token: str,
    key: str,
    idle: timedelta,
    lifetime: timedelta,
    touch: bool = True,
    now: datetime | None = None,
) -> Lookup:
    """The session's user when the token is known, the session neither idle nor older than
    `lifetime`, and the user active; an expired or orphaned session is deleted."""
    now = now or utc_now()
    found = session.exec(
        select(AppSession, User)
        .join(User, col(User.username) == col(AppSession.username))
        .where(col(AppSession.token_hash) == token_hash(token, key=key))
    ).first()
    if found is None:
        return Lookup(None)
    row, user = found
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        session.delete(row)
        return Lookup(None, expired=True)
    if not user.is_active:
        session.delete(row)
        return Lookup(None)
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return Lookup(
        SessionUser(
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            must_change_password=user.must_change_password,
            csrf_token=row.csrf_token,
        )
    )


def revoke(session: Session, *, token: str, key: str) -> str | None:
    """Deletes the token's session; returns its user, or None when there was none."""
    row = session.get(AppSession, token_hash(token, key=key))
    if row is None:
        return None
    session.delete(row)
    session.flush()
    return row.username


def revoke_user(session: Session, username: str) -> int:
    """Deletes every session of the user (deactivation, password reset); returns how many."""
    result = session.execute(sa.delete(AppSession).where(col(AppSession.username) == username))
    return int(getattr(result, "rowcount", 0) or 0)


def prune(session: Session, *, idle: timedelta, lifetime: timedelta) -> int:
    """Deletes sessions that can no longer be used; returns how many."""
    now = utc_now()
    result = session.execute(
        sa.delete(AppSession).where(
            (col(AppSession.last_seen_at) < now - idle)
            | (col(AppSession.created_at) < now - lifetime)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
