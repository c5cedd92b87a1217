"""Signing in and out, sessions and passwords, through pde.db (server-side sessions, login
throttling, audit). The app's cookie holds only the session token these functions return."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pde.core.errors import PdeError
from pde.db import audit, login, sessions
from pde.db.models.user import MIN_PASSWORD_LENGTH
from pde.db.users import set_password
from pde.frontend.services.access import SignedIn
from pde.frontend.services.base import Services

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ActiveSession",
    "SignInResult",
    "WeakPasswordError",
    "change_password",
    "resolve",
    "sign_in",
    "sign_out",
]

log = logging.getLogger(__name__)

MAX_SESSION_HOURS = 12
MAX_PASSWORD_LENGTH = 256


class WeakPasswordError(PdeError):
    """The new password is too short or too long."""


@dataclass(frozen=True)
class SignInResult:
    """A successful sign-in: the user, the session token for the cookie, and whether the
    password was set by an administrator (and must be changed first)."""

    user: SignedIn
    token: str
    csrf_token: str
    must_change_password: bool


@dataclass(frozen=True)
class LockedOut:
    """Too many failed attempts for the username or from the address."""

    until: datetime


@dataclass(frozen=True)
class ActiveSession:
    """The user of a valid session, as the database says at this request."""

    user: SignedIn
    csrf_token: str
    must_change_password: bool


def _key(services: Services) -> str:
    return services.settings.app_secret()


def _policy(services: Services) -> login.ThrottlePolicy:
    settings = services.settings
    return login.ThrottlePolicy(
        attempts_per_user=settings.login_attempts,
        attempts_per_address=settings.login_attempts_per_address,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


def sign_in(
    services: Services, *, username: str, password: str, address: str | None
) -> SignInResult | LockedOut | None:
    """A new session for the active user whose password matches; LockedOut while throttled;
    None for every other failure (the same answer whether or not the user exists)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[: MAX_PASSWORD_LENGTH + 1]  # still wrong, but cheap to hash
    result = login.sign_in(
        services.session,
        username=username,
        password=password,
        address=address,
        key=_key(services),
        policy=_policy(services),
    )
    if result.locked_until is not None:
        return LockedOut(result.locked_until)
    if result.user is None or result.token is None or result.csrf_token is None:
        return None
    found = result.user
    return SignInResult(
        SignedIn(found.username, found.full_name, found.role),
        token=result.token,
        csrf_token=result.csrf_token,
        must_change_password=found.must_change_password,
    )


def resolve(services: Services, *, token: str, idle_minutes: float, touch: bool) -> sessions.Lookup:
    """The session's user now (role and active flag re-read), or why there is none."""
    with services.session() as session:
        return sessions.resolve(
            session,
            token=token,
            key=_key(services),
            idle=timedelta(minutes=idle_minutes),
            lifetime=timedelta(hours=MAX_SESSION_HOURS),
            touch=touch,
        )


def active(lookup: sessions.Lookup) -> ActiveSession | None:
    found = lookup.user
    if found is None:
        return None
    return ActiveSession(
        SignedIn(found.username, found.full_name, found.role),
        csrf_token=found.csrf_token,
        must_change_password=found.must_change_password,
    )


def sign_out(services: Services, *, token: str, address: str | None) -> None:
    """Ends the session (its row is deleted: the cookie is worthless afterwards); audited."""
    with services.session() as session:
        username = sessions.revoke(session, token=token, key=_key(services))
        if username is not None:
            audit.append(
                session,
                actor=username,
                action="user.sign_out",
                entity_type="user",
                entity_id=username,
                before=None,
                after={"remote_addr": address},
            )


def change_password(services: Services, user: SignedIn, *, password: str) -> None:
    """The user's own new password (long enough; the caller checked the confirmation)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    with services.session() as session:
        set_password(
            session=session, username=user.username, password=password, actor=user.username
        )


def prune_sessions(services: Services) -> None:
    """Deletes sessions that can no longer be used (at start-up; failures are logged)."""
    try:
        with services.session() as session:
            sessions.prune(
                session,
                idle=timedelta(hours=MAX_SESSION_HOURS),
                lifetime=timedelta(hours=MAX_SESSION_HOURS),
            )
    except PdeError as exc:
        log.warning("could not prune old sessions: %s", exc)
