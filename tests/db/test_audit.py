from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from pde.db import audit
from pde.db.models import AuditEntry

EDITED = "content does not match its hash (the row was edited)"
MOVED = (
    "prev_hash does not match the previous row's hash"
    " (a row before it was deleted, inserted or moved)"
)


def fill(db, n: int = 5) -> None:
    for i in range(n):
        with db.scope() as s:
            audit.append(
                s,
                actor=f"user{i}",
                action="thing.update",
                entity_type="thing",
                entity_id=i,
                before={"amount": "1.10", "n": i},
                after={"amount": "2.20", "n": i + 1, "note": "é ü"},
            )


def tamper(db, *statements: str) -> None:
    """Runs raw SQL as a DBA would, with the append-only triggers out of the way."""
    with db.engine.begin() as c:
        if db.backend == "postgres":
            c.execute(
                sa.text("ALTER TABLE action_audit_log DISABLE TRIGGER action_audit_log_append_only")
            )
        else:
            c.execute(sa.text("DROP TRIGGER action_audit_log_no_update"))
            c.execute(sa.text("DROP TRIGGER action_audit_log_no_delete"))
        for statement in statements:
            c.execute(sa.text(statement))


def verify(db, **kwargs) -> audit.ChainReport:
    with db.scope() as s:
        return audit.verify_chain(s, **kwargs)


def test_audit_intact_chain_verifies(db) -> None:
    fill(db)
    report = verify(db)
    assert report.ok and report.rows == 5
    with db.scope() as s:
        first, second = s.get(AuditEntry, 1), s.get(AuditEntry, 2)
        assert first.prev_hash == audit.GENESIS_HASH
        assert second.prev_hash == first.row_hash
        assert report.head_hash == s.get(AuditEntry, 5).row_hash


def test_audit_empty_chain_is_ok(db) -> None:
    report = verify(db)
    assert report.ok and report.rows == 0 and report.head_hash == audit.GENESIS_HASH


def test_audit_log_refuses_update_and_delete(db) -> None:
    fill(db, 1)
    for statement in ("UPDATE action_audit_log SET actor = 'x'", "DELETE FROM action_audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as c:
            c.execute(sa.text(statement))


def test_audit_detects_edited_row(db) -> None:
    fill(db)
    tamper(db, "UPDATE action_audit_log SET actor = 'mallory' WHERE id = 3")
    report = verify(db)
    assert not report.ok
    assert report.problems == ["row 3: content does not match its hash (the row was edited)"]


def test_audit_detects_edited_json_value(db) -> None:
    fill(db)
    after = json.dumps({"amount": "9999.00", "n": 3, "note": "é ü"})
    tamper(db, f"UPDATE action_audit_log SET after = '{after}' WHERE id = 2")
    assert verify(db).problems == ["row 2: content does not match its hash (the row was edited)"]


def test_audit_detects_deleted_row(db) -> None:
    fill(db)
    tamper(db, "DELETE FROM action_audit_log WHERE id = 2")
    assert verify(db).problems == [
        "row 3: expected position 2 (rows missing or inserted)",
        f"row 3: {MOVED}",
    ]


def test_audit_detects_reordered_rows(db) -> None:
    fill(db)
    # Swap the positions of rows 2 and 3 (move 3 away, 2 -> 3, then the old 3 -> 2).
    tamper(
        db,
        "UPDATE action_audit_log SET id = 1000 WHERE id = 3",
        "UPDATE action_audit_log SET id = 3 WHERE id = 2",
        "UPDATE action_audit_log SET id = 2 WHERE id = 1000",
    )
    assert verify(db).problems == [
        f"row 2: {MOVED}",
        f"row 2: {EDITED}",
        f"row 3: {MOVED}",
        f"row 3: {EDITED}",
        f"row 4: {MOVED}",
    ]


def test_audit_detects_inserted_row(db) -> None:
    fill(db)
    with db.scope() as s:
        prev = s.get(AuditEntry, 2).row_hash
    forged = AuditEntry(
        id=3,
        occurred_at=audit.utc_now(),
        actor="mallory",
        action="thing.update",
        entity_type="thing",
        entity_id="9",
        before=None,
        after={"n": 1},
        prev_hash=prev,
        row_hash="",
    )
    forged.row_hash = audit.entry_hash(forged)
    tamper(
        db,
        *(f"UPDATE action_audit_log SET id = {i + 1} WHERE id = {i}" for i in (5, 4, 3)),
    )
    with db.scope() as s:
        s.add(forged)
    # The forged row breaks the link into it; the rows moved after it no longer match their
    # hashes (the position is hashed).
    assert verify(db).problems == [
        f"row 4: {MOVED}",
        f"row 4: {EDITED}",
        f"row 5: {EDITED}",
        f"row 6: {EDITED}",
    ]


def test_audit_detects_truncated_tail_with_expected_head(db) -> None:
    fill(db)
    head = verify(db).head_hash
    tamper(db, "DELETE FROM action_audit_log WHERE id = 5")
    assert verify(db).ok  # a chain cut at its end still links...
    report = verify(db, expect_head=head)  # ...but the head kept elsewhere is gone
    assert not report.ok
    assert report.problems == [f"the expected head {head} is not in the chain (rows were removed)"]


def test_audit_canonical_json_is_stable() -> None:
    assert audit.canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'


def test_audit_concurrent_appenders_never_fork(db) -> None:
    import threading

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        barrier.wait()
        try:
            for i in range(15):
                with db.scope() as s:
                    s.execute(sa.select(AuditEntry.id).limit(1)).all()  # read first, then write
                    audit.append(
                        s,
                        actor=name,
                        action="a",
                        entity_type="t",
                        entity_id=i,
                        before=None,
                        after=None,
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    report = verify(db)
    assert report.ok and report.rows == 30
