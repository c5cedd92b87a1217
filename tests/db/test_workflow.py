from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pde.db import workflow
from pde.db.audit import verify_chain
from pde.db.errors import (
    ConcurrentUpdateError,
    CoolDownError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
)
from pde.db.models import (
    AuditEntry,
    InterventionCreate,
    InterventionOutcomeCreate,
    InterventionStatus,
    InterventionType,
    OutcomeKind,
    Priority,
)
from pde.db.policy import WorkflowPolicy
from pde.db.types import utc_now

REMINDER = InterventionCreate(
    customer_id="C001", type=InterventionType.SOFT_REMINDER, priority=Priority.HIGH
)


def create(db, data=REMINDER, actor="off1", **kwargs) -> int:
    with db.scope() as session:
        row = workflow.create_intervention(session=session, data=data, actor=actor, **kwargs)
        return int(row.id)


def test_workflow_full_life_cycle_is_audited(staffed_db) -> None:
    db = staffed_db
    before = utc_now()
    iid = create(db)
    with db.scope() as s:
        row = workflow.approve(session=s, intervention_id=iid, actor="sup1")
        assert row.status == InterventionStatus.APPROVED
        assert row.sla_due_at - row.created_at == timedelta(hours=24)  # high priority
        assert row.created_at >= before and row.created_at.tzinfo is not None
    with db.scope() as s:
        workflow.assign(session=s, intervention_id=iid, officer="off2", actor="sup1")
    with db.scope() as s:
        workflow.start(session=s, intervention_id=iid, actor="off2")
    with db.scope() as s:
        outcome = workflow.record_outcome(
            session=s,
            intervention_id=iid,
            data=InterventionOutcomeCreate(outcome=OutcomeKind.PROMISE_TO_PAY),
            actor="off2",
        )
        assert outcome.recorded_by == "off2"
    with db.scope() as s:
        row = workflow.complete(session=s, intervention_id=iid, actor="off2")
        assert row.status == InterventionStatus.COMPLETED
        assert row.version == 5
    with db.scope() as s:
        actions = s.execute(
            sa.select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)
        ).all()
        assert [tuple(a) for a in actions] == [
            ("intervention.create", "off1"),
            ("intervention.approve", "sup1"),
            ("intervention.assign", "sup1"),
            ("intervention.start", "off2"),
            ("intervention.record_outcome", "off2"),
            ("intervention.complete", "off2"),
        ]
        last = s.get(AuditEntry, 6)
        assert last.before["status"] == "in_progress" and last.after["status"] == "completed"
        assert verify_chain(s).ok


def test_workflow_invalid_transition_is_refused(staffed_db) -> None:
    iid = create(staffed_db)
    with (
        staffed_db.scope() as s,
        pytest.raises(InvalidTransitionError, match="recommended: cannot start"),
    ):
        workflow.start(session=s, intervention_id=iid, actor="sup1")
    with staffed_db.scope() as s:
        workflow.cancel(session=s, intervention_id=iid, actor="off1", reason="duplicate")
    with staffed_db.scope() as s, pytest.raises(InvalidTransitionError, match="cancelled"):
        workflow.approve(session=s, intervention_id=iid, actor="sup1")


def test_workflow_refused_change_writes_nothing(staffed_db) -> None:
    iid = create(staffed_db)
    with pytest.raises(InvalidTransitionError), staffed_db.scope() as s:
        workflow.complete(session=s, intervention_id=iid, actor="sup1")
    with staffed_db.scope() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one() == 1


def test_workflow_four_eyes_and_roles(staffed_db) -> None:
    iid = create(staffed_db, actor="sup1")
    with staffed_db.scope() as s, pytest.raises(PermissionDeniedError, match="another person"):
        workflow.approve(session=s, intervention_id=iid, actor="sup1")
    with staffed_db.scope() as s, pytest.raises(PermissionDeniedError, match="officer"):
        workflow.approve(session=s, intervention_id=iid, actor="off1")
    with staffed_db.scope() as s:
        workflow.approve(session=s, intervention_id=iid, actor="sup2")
        workflow.assign(session=s, intervention_id=iid, officer="off1", actor="sup2")
    with staffed_db.scope() as s, pytest.raises(PermissionDeniedError, match="assigned to 'off1'"):
        workflow.start(session=s, intervention_id=iid, actor="off2")


def test_workflow_cool_down(staffed_db) -> None:
    create(staffed_db)
    with pytest.raises(CoolDownError, match="within 7 days"):
        create(staffed_db)
    call = InterventionCreate(customer_id="C001", type=InterventionType.AGENT_CALL)
    create(staffed_db, data=call)  # another type is allowed
    create(staffed_db, now=utc_now() + timedelta(days=8))  # after the cool-down
    with pytest.raises(CoolDownError):
        create(
            staffed_db,
            data=call,
            policy=WorkflowPolicy(cool_down_days=30),
            now=utc_now() + timedelta(days=20),
        )


def test_workflow_cancelled_does_not_block(staffed_db) -> None:
    iid = create(staffed_db)
    with staffed_db.scope() as s:
        workflow.cancel(session=s, intervention_id=iid, actor="sup1", reason="wrong customer")
    create(staffed_db)


def test_workflow_sla_from_policy(staffed_db) -> None:
    policy = WorkflowPolicy(
        sla_hours={Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}
    )
    with staffed_db.scope() as s:
        row = workflow.create_intervention(session=s, data=REMINDER, actor="off1", policy=policy)
        assert row.sla_due_at - row.created_at == timedelta(hours=3)


def test_workflow_unknown_customer_and_intervention(staffed_db) -> None:
    with pytest.raises(NotFoundError, match="customer 'NOPE'"):
        create(
            staffed_db,
            data=InterventionCreate(customer_id="NOPE", type=InterventionType.AGENT_CALL),
        )
    with staffed_db.scope() as s, pytest.raises(NotFoundError, match="intervention 999"):
        workflow.approve(session=s, intervention_id=999, actor="sup1")


def test_workflow_concurrent_updates_cannot_be_lost(staffed_db) -> None:
    iid = create(staffed_db)
    with staffed_db.scope() as first, staffed_db.scope() as second:
        seen_first = workflow.get_intervention(first, iid)
        seen_second = workflow.get_intervention(second, iid)
        assert seen_first.version == seen_second.version == 1
        first.commit()  # end both read transactions; each session keeps what it read
        second.commit()
        workflow.approve(session=first, intervention_id=iid, actor="sup1")
        first.commit()
        with pytest.raises(ConcurrentUpdateError, match="changed by someone else"):
            workflow.cancel(session=second, intervention_id=iid, actor="sup2", reason="dup")
        second.rollback()
    with staffed_db.scope() as s:
        row = workflow.get_intervention(s, iid)
        assert (row.status, row.version, row.approved_by) == (
            InterventionStatus.APPROVED,
            2,
            "sup1",
        )
        assert verify_chain(s).ok


def test_workflow_racing_threads_one_wins(staffed_db) -> None:
    iid = create(staffed_db)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def act(name: str, call) -> None:
        barrier.wait()
        try:
            with staffed_db.scope() as s:
                call(s)
            results[name] = "ok"
        except ConcurrentUpdateError:
            results[name] = "conflict"

    threads = [
        threading.Thread(
            target=act,
            args=(
                "approve",
                lambda s: workflow.approve(
                    session=s, intervention_id=iid, actor="sup1", expected_version=1
                ),
            ),
        ),
        threading.Thread(
            target=act,
            args=(
                "cancel",
                lambda s: workflow.cancel(
                    session=s, intervention_id=iid, actor="sup2", reason="dup", expected_version=1
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["conflict", "ok"]
    with staffed_db.scope() as s:
        assert workflow.get_intervention(s, iid).version == 2
        assert verify_chain(s).rows == 2


def test_workflow_expected_version_is_checked(staffed_db) -> None:
    iid = create(staffed_db)
    with staffed_db.scope() as s:
        workflow.approve(session=s, intervention_id=iid, actor="sup1", expected_version=1)
    with staffed_db.scope() as s, pytest.raises(ConcurrentUpdateError, match="version 2, not 1"):
        workflow.assign(
            session=s, intervention_id=iid, officer="off1", actor="sup1", expected_version=1
        )


def test_workflow_outcome_needs_started_work(staffed_db) -> None:
    iid = create(staffed_db)
    with (
        staffed_db.scope() as s,
        pytest.raises(InvalidTransitionError, match="once work has started"),
    ):
        workflow.record_outcome(
            session=s,
            intervention_id=iid,
            data=InterventionOutcomeCreate(outcome=OutcomeKind.PAID),
            actor="sup1",
        )
