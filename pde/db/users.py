"""Users: creation with an argon2 hash, authentication, role checks.

Administration (creating users, changing them, setting someone else's password) needs an
actor who is an active admin in this database, or a `system:` actor: the operator's own
processes (`pde db ...`, seeds, jobs), which the app can never claim since usernames cannot
contain a colon.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from pde.db import audit, sessions
from pde.db.errors import ConstraintViolationError, NotFoundError, PermissionDeniedError
from pde.db.models.enums import Role
from pde.db.models.user import User, UserCreate, UserUpdate
from pde.db.types import utc_now

_HASHER = PasswordHasher()  # argon2id with the library's vetted defaults
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_SECRET_FIELDS = frozenset({"password_hash"})
SYSTEM_PREFIX = "system:"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def generate_password(length: int = 16) -> str:
    """A random one-time password (letters and digits, easy to read out)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def get_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(col(User.username) == username)).one_or_none()
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    return user


def require_role(session: Session, username: str, *roles: Role) -> User:
    """The active user `username`, provided their role is one of `roles`."""
    user = session.exec(select(User).where(col(User.username) == username)).one_or_none()
    if user is None:
        raise PermissionDeniedError(f"{username!r} is not a user")
    if not user.is_active:
        raise PermissionDeniedError(f"user {username!r} is deactivated")
    if roles and user.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise PermissionDeniedError(f"{username!r} is {user.role.value}: this needs {allowed}")
    return user


def is_system(actor: str) -> bool:
    return actor.startswith(SYSTEM_PREFIX)


def require_admin(session: Session, actor: str) -> None:
    """Refuses unless `actor` is an active admin or a `system:` process."""
    if not is_system(actor):
        require_role(session, actor, Role.ADMIN)


def create_user(*, session: Session, data: UserCreate, actor: str) -> User:
    """Adds a user who must change the password at first sign-in; audited. Admins only."""
    require_admin(session, actor)
    exists = session.exec(select(User.id).where(col(User.username) == data.username)).first()
    if exists is not None:
        raise ConstraintViolationError(
            f"a user named {data.username!r} already exists (unique constraint uq_users_username)"
        )
    user = User(
        username=data.username,
        full_name=data.full_name,
        role=data.role,
        is_active=data.is_active,
        password_hash=hash_password(data.password),
    )
    audit.lock_chain(session)
    session.add(user)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=user.username,
        before=None,
        after=audit.snapshot(user, exclude=_SECRET_FIELDS),
    )
    return user


def update_user(*, session: Session, username: str, data: UserUpdate, actor: str) -> User:
    """Changes the user's name, role or active flag; audited. Admins only. Deactivating ends
    the user's sessions."""
    require_admin(session, actor)
    user = get_user(session, username)
    before = audit.snapshot(user, exclude=_SECRET_FIELDS)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(user, key, value)
    audit.lock_chain(session)
    session.add(user)
    session.flush()
    if not user.is_active:
        sessions.revoke_user(session, username)
    audit.append(
        session,
        actor=actor,
        action="user.update",
        entity_type="user",
        entity_id=username,
        before=before,
        after=audit.snapshot(user, exclude=_SECRET_FIELDS),
    )
    return user


def set_password(*, session: Session, username: str, password: str, actor: str) -> None:
    """Replaces the password (the hash is never written to the audit log): the user's own
    choice, or an admin's (then it must be changed at the next sign-in)."""
    if actor != username:
        require_admin(session, actor)
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.must_change_password = actor != username
    session.add(user)
    audit.append(
        session,
        actor=actor,
        action="user.set_password",
        entity_type="user",
        entity_id=username,
        before=None,
        after={"must_change_password": user.must_change_password},
    )


def reset_password(*, session: Session, username: str, actor: str) -> str:
    """A new one-time password for the user (returned to show once): it must be changed at
    the next sign-in, the user's sessions end, and the reset is audited. Admins only."""
    require_admin(session, actor)
    user = get_user(session, username)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    audit.lock_chain(session)
    session.add(user)
    session.flush()
    ended = sessions.revoke_user(session, username)
    audit.append(
        session,
        actor=actor,
        action="user.reset_password",
        entity_type="user",
        entity_id=username,
        before=None,
        after={"must_change_password": True, "sessions_ended": ended},
    )
    return password


@dataclass(frozen=True)
class PasswordCheck:
    """A password checked against the hash read for a username, outside any transaction:
    the hash it matched (None when it did not) and, when that hash's parameters are outdated,
    the new hash to store."""

    matched_hash: str | None
    rehash: str | None = None


def active_password_hash(session: Session, *, username: str) -> str | None:
    """The password hash of the active user `username`; None when there is none."""
    user = session.exec(select(User).where(col(User.username) == username)).one_or_none()
    return user.password_hash if user is not None and user.is_active else None


def check_password(password_hash: str | None, password: str) -> PasswordCheck:
    """Checks `password` against `password_hash` (argon2: slow on purpose, so no transaction
    should be open around it); without a hash it spends the same time and fails."""
    if password_hash is None:
        _HASHER.hash(password)  # spend the same time as a real check
        return PasswordCheck(None)
    try:
        _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return PasswordCheck(None)
    rehash = hash_password(password) if _HASHER.check_needs_rehash(password_hash) else None
    return PasswordCheck(password_hash, rehash)


def complete_sign_in(session: Session, *, username: str, check: PasswordCheck) -> User | None:
    """The active user whose stored hash is still the one the password matched (not changed,
    and the user not deactivated, since it was read); their last sign-in is recorded."""
    if check.matched_hash is None:
        return None
    user = session.exec(select(User).where(col(User.username) == username)).one_or_none()
    if user is None or not user.is_active or user.password_hash != check.matched_hash:
        return None
    if check.rehash is not None:
        user.password_hash = check.rehash
    user.last_login_at = utc_now()
    session.add(user)
    return user


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user whose password matches, or None (same answer for every failure)."""
    check = check_password(active_password_hash(session, username=username), password)
    return complete_sign_in(session, username=username, check=check)
