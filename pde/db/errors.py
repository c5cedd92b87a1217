"""Errors of the operational database, and the translation of driver errors into them."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from pde.core.errors import PdeError


class DatabaseError(PdeError):
    """Something the operator can act on went wrong in the operational database."""


class NotFoundError(DatabaseError):
    """The requested row does not exist."""


class InvalidTransitionError(DatabaseError):
    """An intervention cannot move from its current status to the one asked for."""


class CoolDownError(DatabaseError):
    """An intervention of the same type was created for this customer too recently."""


class DoNotContactError(DatabaseError):
    """The customer asked not to be contacted: no new intervention until the flag is cleared."""


class PermissionDeniedError(DatabaseError):
    """The acting user's role does not allow this action."""


class ConcurrentUpdateError(DatabaseError):
    """Someone else changed the row since it was read; reload and try again."""


class ConstraintViolationError(DatabaseError):
    """A unique, foreign-key, check or not-null constraint refused the change."""


class AuditChainError(DatabaseError):
    """The audit log's hash chain is broken (a row was edited, inserted, deleted or moved)."""


class MigrationError(DatabaseError):
    """The migrations could not be found or applied."""


_SQLITE_PATTERNS = (
    (re.compile(r"UNIQUE constraint failed: (.+)"), "unique"),
    (re.compile(r"CHECK constraint failed: (.+)"), "check"),
    (re.compile(r"NOT NULL constraint failed: (.+)"), "not-null"),
    (re.compile(r"FOREIGN KEY constraint failed"), "foreign-key"),
)
_PG_KINDS = {"23505": "unique", "23503": "foreign-key", "23514": "check", "23502": "not-null"}


def describe_integrity_error(exc: IntegrityError) -> str:
    """One line naming the kind of constraint and the constraint or columns involved."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg2 reports the constraint, table and column by name
        kind = _PG_KINDS.get(getattr(orig, "pgcode", "") or "", "integrity")
        target = diag.constraint_name or (
            f"{diag.table_name}.{diag.column_name}" if diag.column_name else diag.table_name
        )
        detail = (diag.message_detail or "").strip()
        return f"{kind} constraint {target} violated" + (f": {detail}" if detail else "")
    text = str(orig)
    for pattern, kind in _SQLITE_PATTERNS:
        match = pattern.search(text)
        if match:
            if not match.groups():  # SQLite does not say which key
                return f"{kind} constraint violated: a referenced row does not exist"
            return f"{kind} constraint violated on {match.group(1)}"
    return f"integrity constraint violated: {text.splitlines()[0]}"


def constraint_error(exc: IntegrityError) -> ConstraintViolationError:
    return ConstraintViolationError(describe_integrity_error(exc))
