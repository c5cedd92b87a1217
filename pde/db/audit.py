"""The hash-chained audit log: append in the caller's transaction, verify the whole chain.

Each row's `row_hash` is the SHA-256 of a canonical JSON of its content (position, time, actor,
action, entity, before, after) and of `prev_hash`, the previous row's hash. Editing, inserting,
deleting or re-ordering rows breaks the chain at that point, which `verify_chain` reports.
Rows past the last verified head can only be vouched for by keeping that head elsewhere
(`pde db verify-audit` prints it; pass it back with `--expect-head`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from pde.db.models.audit import GENESIS_HASH, AuditEntry
from pde.db.types import utc_now

MAX_PROBLEMS = 20


def to_jsonable(value: Any) -> Any:
    """Plain JSON values for the audit's before/after images (money as exact strings)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def snapshot(row: SQLModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The row's columns as a JSON-ready dict (the image stored in before/after)."""
    data = {k: v for k, v in row.model_dump().items() if k not in exclude}
    result: dict[str, Any] = to_jsonable(data)
    return result


def canonical_json(content: Mapping[str, Any]) -> str:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over everything the row says, including its position and its predecessor."""
    content = {
        "id": entry.id,
        "occurred_at": to_jsonable(entry.occurred_at),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialises writers until the transaction ends, so the chain never forks.

    PostgreSQL: a table lock that blocks other appenders (readers are not blocked). SQLite: a
    write statement, which takes the database's single write lock.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(sa.text("LOCK TABLE action_audit_log IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(sa.text("UPDATE action_audit_log SET id = id WHERE 1 = 0"))


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEntry:
    """Adds one chained row in the caller's transaction (flushed, not committed)."""
    lock_chain(session)
    head = session.exec(
        select(AuditEntry.id, AuditEntry.row_hash).order_by(col(AuditEntry.id).desc()).limit(1)
    ).first()
    entry = AuditEntry(
        id=(head[0] + 1) if head else 1,
        occurred_at=utc_now(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=to_jsonable(before) if before is not None else None,
        after=to_jsonable(after) if after is not None else None,
        prev_hash=head[1] if head else GENESIS_HASH,
        row_hash="",
    )
    entry.row_hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    """Result of `verify_chain`: `ok` when every row links and hashes correctly."""

    rows: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def _add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1


def verify_chain(
    session: Session, *, expect_head: str | None = None, batch_size: int = 2000
) -> ChainReport:
    """Re-computes every row's hash in chain order and checks each link."""
    report = ChainReport()
    expected_id = 1
    prev_hash = GENESIS_HASH
    seen_expected_head = expect_head is None
    rows = session.exec(
        select(AuditEntry).order_by(col(AuditEntry.id)).execution_options(yield_per=batch_size)
    )
    for entry in rows:
        report.rows += 1
        if entry.id != expected_id:
            report._add(
                f"row {entry.id}: expected position {expected_id} (rows missing or inserted)"
            )
        if entry.prev_hash != prev_hash:
            report._add(
                f"row {entry.id}: prev_hash does not match the previous row's hash "
                "(a row before it was deleted, inserted or moved)"
            )
        if entry_hash(entry) != entry.row_hash:
            report._add(f"row {entry.id}: content does not match its hash (the row was edited)")
        if entry.row_hash == expect_head:
            seen_expected_head = True
        expected_id = entry.id + 1
        prev_hash = entry.row_hash
        session.expunge(entry)
    report.head_hash = prev_hash
    if not seen_expected_head:
        report._add(f"the expected head {expect_head} is not in the chain (rows were removed)")
    return report
