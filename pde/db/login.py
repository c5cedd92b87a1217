"""Signing in with throttling: failed attempts counted per username and per client address in
`login_throttle`, shared by every app process through the database.

An attempt is two short units of work with the password check between them: the first reads
the lockouts and the stored hash, then argon2 checks the password (about 0.3 s, slow on
purpose) with no transaction open, then the second locks the two counter rows (PostgreSQL row
locks; SQLite's one writer), decides and counts. Holding the locks through the check made
every sign-in wait for the ones before it (SQLite has one writer, and an office behind one
address shares its address row), so fifty people signing in at nine ran out of the busy
timeout. Parallel guesses are still counted one by one: a check's result is only used under
the locks, and once a counter reaches its limit the username or address is locked out for
the cool-off and every later result, right or wrong, is refused. Attempts during a lockout
are refused without looking at the password. Failures, lockouts and refused attempts are
audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from pde.db import audit, sessions, users
from pde.db.models.session import LoginThrottle
from pde.db.models.user import User
from pde.db.types import utc_now

# Opens one unit of work (a session that commits when its block ends): `session_scope`.
UnitOfWork = Callable[[], AbstractContextManager[Session]]

ANONYMOUS = "anonymous"  # the audit actor of attempts that did not prove who they are
FIELD_LIMIT = 64


@dataclass(frozen=True)
class ThrottlePolicy:
    attempts_per_user: int = 5
    attempts_per_address: int = 20
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignIn:
    """The result of an attempt: `user` and the session `token` on success; `locked_until`
    when the username or the address is locked out; all None for a wrong password."""

    user: User | None = None
    token: str | None = None
    csrf_token: str | None = None
    locked_until: datetime | None = None


def _keys(username: str, address: str | None) -> dict[str, str]:
    return {"user": f"user:{username}", "address": f"address:{address or 'unknown'}"}


def _lock_rows(session: Session, keys: list[str], now: datetime) -> dict[str, LoginThrottle]:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key in sorted(keys):  # one order everywhere: no deadlock between two attempts
        session.execute(
            insert(LoginThrottle)
            .values(key=key, failures=0, window_start=now, locked_until=None)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    rows = session.exec(
        select(LoginThrottle)
        .where(col(LoginThrottle.key).in_(keys))
        .order_by(col(LoginThrottle.key))
        .with_for_update()
    ).all()
    return {row.key: row for row in rows}


def _audit(
    session: Session, *, actor: str, action: str, username: str, after: Mapping[str, object]
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        entity_type="user",
        entity_id=username,
        before=None,
        after=after,
    )


def _lockout(session: Session, keys: list[str], now: datetime) -> datetime | None:
    """The lockout in force for any of `keys`, read without locking (the second unit of
    work decides; this spares a locked-out attempt the password check)."""
    ends = session.exec(
        select(LoginThrottle.locked_until).where(col(LoginThrottle.key).in_(keys))
    ).all()
    current = [end for end in ends if end is not None and end > now]
    return max(current) if current else None


def sign_in(
    unit_of_work: UnitOfWork,
    *,
    username: str,
    password: str,
    address: str | None,
    key: str,
    policy: ThrottlePolicy,
) -> SignIn:
    """One sign-in attempt: throttled, checked, counted, audited; a session opened on success."""
    username, address = username[:FIELD_LIMIT], (address or "")[:FIELD_LIMIT] or None
    keys = _keys(username, address)
    with unit_of_work() as session:
        locked = _lockout(session, list(keys.values()), utc_now())
        stored = None if locked else users.active_password_hash(session, username=username)
    check = users.PasswordCheck(None) if locked else users.check_password(stored, password)
    with unit_of_work() as session:
        return _decide(
            session,
            username=username,
            address=address,
            check=check,
            locked=locked,
            key=key,
            policy=policy,
        )


def _decide(
    session: Session,
    *,
    username: str,
    address: str | None,
    check: users.PasswordCheck,
    locked: datetime | None,
    key: str,
    policy: ThrottlePolicy,
) -> SignIn:
    """The attempt's outcome under the counters' locks; `locked`: the lockout the first unit
    of work saw (the password was not checked)."""
    now = utc_now()
    keys = _keys(username, address)
    rows = _lock_rows(session, list(keys.values()), now)
    limits = {"user": policy.attempts_per_user, "address": policy.attempts_per_address}
    for row in rows.values():
        if row.locked_until is None and now - row.window_start > policy.lockout:
            row.failures, row.window_start = 0, now  # an old streak of failures is forgotten
        elif row.locked_until is not None and row.locked_until <= now:
            row.failures, row.window_start, row.locked_until = 0, now, None
        session.add(row)
    locks = [r.locked_until for r in rows.values() if r.locked_until is not None]
    if locked is not None:
        locks.append(locked)  # it may have ended since: the password was not checked
    where = {"remote_addr": address}
    if locks:
        until = max(locks)
        _audit(
            session,
            actor=ANONYMOUS,
            action="user.sign_in_throttled",
            username=username,
            after={**where, "locked_until": until},
        )
        return SignIn(locked_until=until)
    user = users.complete_sign_in(session, username=username, check=check)
    if user is not None:
        rows[keys["user"]].failures = 0
        token, opened = sessions.open_session(
            session, username=user.username, key=key, client_address=address
        )
        _audit(session, actor=user.username, action="user.sign_in", username=username, after=where)
        return SignIn(user=user, token=token, csrf_token=opened.csrf_token)
    locked_now: datetime | None = None
    for kind, name in keys.items():
        row = rows[name]
        row.failures += 1
        if row.failures >= limits[kind]:
            row.locked_until = locked_now = now + policy.lockout
        session.add(row)
    failures = {kind: rows[name].failures for kind, name in keys.items()}
    _audit(
        session,
        actor=ANONYMOUS,
        action="user.sign_in_failed",
        username=username,
        after={**where, "failures": failures},
    )
    if locked_now is not None:
        _audit(
            session,
            actor=ANONYMOUS,
            action="user.locked_out",
            username=username,
            after={**where, "failures": failures, "locked_until": locked_now},
        )
    return SignIn()


def unlock(session: Session, *, username: str) -> bool:
    """Clears the username's failure count and lockout; True when there was one."""
    result = session.execute(
        sa.delete(LoginThrottle).where(col(LoginThrottle.key) == f"user:{username}")
    )
    return bool(getattr(result, "rowcount", 0))
