"""Signing in and out, and choosing a password, through pde.db.users (audited)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pde.core.errors import PdeError
from pde.db import audit
from pde.db.models.user import MIN_PASSWORD_LENGTH
from pde.db.users import authenticate, set_password
from pde.frontend.services.access import SignedIn
from pde.frontend.services.base import Services

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SignInResult",
    "WeakPasswordError",
    "change_password",
    "record_session",
    "sign_in",
]

log = logging.getLogger(__name__)


class WeakPasswordError(PdeError):
    """The new password is too short."""


@dataclass(frozen=True)
class SignInResult:
    user: SignedIn
    must_change_password: bool  # the password was set by an administrator


def sign_in(services: Services, *, username: str, password: str) -> SignInResult | None:
    """The active user whose password matches, or None (the same answer for every failure)."""
    with services.session() as session:
        found = authenticate(session, username=username, password=password)
        if found is None:
            return None
        return SignInResult(
            SignedIn(found.username, found.full_name, found.role),
            must_change_password=found.must_change_password,
        )


def change_password(services: Services, user: SignedIn, *, password: str) -> None:
    """The user's own new password (long enough; the caller checked the confirmation)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    with services.session() as session:
        set_password(
            session=session, username=user.username, password=password, actor=user.username
        )


def record_session(
    services: Services, *, username: str, action: str, remote_addr: str | None
) -> None:
    """Audits a sign-in or sign-out; a failed write is logged, never raised (signing in must
    not fail because the audit write failed)."""
    try:
        with services.session() as session:
            audit.append(
                session,
                actor=username,
                action=action,
                entity_type="user",
                entity_id=username,
                before=None,
                after={"remote_addr": remote_addr},
            )
    except Exception as exc:  # any database error: the sign-in itself stands
        log.warning("could not audit %s for %s: %s", action, username, exc)
