"""Intervention workflow services. The caller owns the transaction; nothing here commits.

Every change locks the audit chain first (one writer at a time, so no deadlock between the
row update and the audit append), checks the transition, flushes the update with its
optimistic version check, and appends the audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from pde.db import audit
from pde.db.errors import (
    ConcurrentUpdateError,
    CoolDownError,
    DoNotContactError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    constraint_error,
)
from pde.db.models.casework import ContactPreference
from pde.db.models.customer import Customer
from pde.db.models.enums import InterventionStatus, Role
from pde.db.models.intervention import (
    Intervention,
    InterventionCreate,
    InterventionOutcome,
    InterventionOutcomeCreate,
)
from pde.db.policy import DEFAULT_POLICY, OPEN_STATUSES, OUTCOME_STATUSES, WorkflowPolicy, can_move
from pde.db.types import utc_now
from pde.db.users import require_role

MANAGERS = (Role.SUPERVISOR, Role.ADMIN)
ANY_ROLE = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


def flush(session: Session) -> None:
    """Flushes, turning a lost race or a refused constraint into a one-line error."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentUpdateError(
            "the intervention was changed by someone else since it was read; reload and retry"
        ) from exc
    except IntegrityError as exc:
        raise constraint_error(exc) from exc


def get_intervention(
    session: Session, intervention_id: int, *, expected_version: int | None = None
) -> Intervention:
    row = session.get(Intervention, intervention_id)
    if row is None:
        raise NotFoundError(f"intervention {intervention_id} not found")
    if expected_version is not None and row.version != expected_version:
        raise ConcurrentUpdateError(
            f"intervention {intervention_id} is at version {row.version}, not {expected_version}:"
            " someone else changed it; reload and retry"
        )
    return row


def create_intervention(
    *,
    session: Session,
    data: InterventionCreate,
    actor: str,
    policy: WorkflowPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> Intervention:
    """A new intervention in status `recommended`, unless one of its type is in cool-down."""
    now = now or utc_now()
    audit.lock_chain(session)
    require_role(session, actor, *ANY_ROLE)
    if session.get(Customer, data.customer_id) is None:
        raise NotFoundError(f"customer {data.customer_id!r} not found")
    preference = session.get(ContactPreference, data.customer_id)
    if preference is not None and preference.do_not_contact:
        raise DoNotContactError(
            f"customer {data.customer_id} asked not to be contacted (recorded by"
            f" {preference.updated_by} on {preference.updated_at:%Y-%m-%d}): no new intervention"
            " until the do-not-contact flag is cleared on the customer's page"
        )
    recent = session.exec(
        select(Intervention.id, Intervention.created_at)
        .where(
            Intervention.customer_id == data.customer_id,
            Intervention.type == data.type,
            Intervention.status != InterventionStatus.CANCELLED,
            col(Intervention.created_at) > policy.cool_down_start(now),
        )
        .order_by(col(Intervention.created_at).desc())
        .limit(1)
    ).first()
    if recent is not None:
        raise CoolDownError(
            f"cool-down: intervention {recent[0]} ({data.type.value}) for customer "
            f"{data.customer_id} was created {recent[1]:%Y-%m-%d %H:%M} UTC; no new one within "
            f"{policy.cool_down_days} days"
        )
    row = Intervention.model_validate(
        data,
        update={
            "status": InterventionStatus.RECOMMENDED,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
            "sla_due_at": policy.sla_due(data.priority, created_at=now),
        },
    )
    session.add(row)
    flush(session)
    audit.append(
        session,
        actor=actor,
        action="intervention.create",
        entity_type="intervention",
        entity_id=str(row.id),
        before=None,
        after=audit.snapshot(row),
    )
    return row


def _transition(
    session: Session,
    *,
    intervention_id: int,
    target: InterventionStatus,
    actor: str,
    action: str,
    expected_version: int | None,
    change: Callable[[Intervention], None],
    check: Callable[[Intervention], None] = lambda row: None,
    now: datetime | None = None,
) -> Intervention:
    audit.lock_chain(session)
    row = get_intervention(session, intervention_id, expected_version=expected_version)
    if not can_move(row.status, target):
        verb = action.rsplit(".", maxsplit=1)[-1]
        raise InvalidTransitionError(
            f"intervention {intervention_id} is {row.status.value}: cannot {verb}"
            f" it (allowed from {row.status.value}: "
            f"{', '.join(sorted(s.value for s in _targets(row.status))) or 'nothing'})"
        )
    check(row)
    before = audit.snapshot(row)
    row.status = target
    change(row)
    row.updated_at = now or utc_now()
    session.add(row)
    flush(session)
    audit.append(
        session,
        actor=actor,
        action=action,
        entity_type="intervention",
        entity_id=str(intervention_id),
        before=before,
        after=audit.snapshot(row),
    )
    return row


def _targets(status: InterventionStatus) -> frozenset[InterventionStatus]:
    return frozenset(s for s in InterventionStatus if can_move(status, s))


def approve(
    *,
    session: Session,
    intervention_id: int,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Intervention:
    """A supervisor or admin approves; never the person who created it (four eyes)."""
    require_role(session, actor, *MANAGERS)
    at = now or utc_now()

    def check(row: Intervention) -> None:
        if row.created_by == actor:
            raise PermissionDeniedError(
                f"{actor!r} created intervention {intervention_id}: another person must approve it"
            )

    def change(row: Intervention) -> None:
        row.approved_by, row.approved_at = actor, at

    return _transition(
        session,
        intervention_id=intervention_id,
        target=InterventionStatus.APPROVED,
        actor=actor,
        action="intervention.approve",
        expected_version=expected_version,
        change=change,
        check=check,
        now=at,
    )


def assign(
    *,
    session: Session,
    intervention_id: int,
    officer: str,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Intervention:
    """A supervisor or admin gives an approved (or assigned) intervention to an officer."""
    require_role(session, actor, *MANAGERS)
    require_role(session, officer, Role.OFFICER, Role.SUPERVISOR)
    at = now or utc_now()

    def change(row: Intervention) -> None:
        row.assigned_to, row.assigned_at = officer, at

    return _transition(
        session,
        intervention_id=intervention_id,
        target=InterventionStatus.ASSIGNED,
        actor=actor,
        action="intervention.assign",
        expected_version=expected_version,
        change=change,
        now=at,
    )


def _assignee_or_manager(session: Session, actor: str) -> Callable[[Intervention], None]:
    user = require_role(session, actor, *ANY_ROLE)

    def check(row: Intervention) -> None:
        if user.role == Role.OFFICER and row.assigned_to != actor:
            raise PermissionDeniedError(
                f"intervention {row.id} is assigned to {row.assigned_to!r}, not {actor!r}"
            )

    return check


def start(
    *,
    session: Session,
    intervention_id: int,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Intervention:
    """The assigned officer (or a manager) starts work."""
    at = now or utc_now()

    def change(row: Intervention) -> None:
        row.started_at = at

    return _transition(
        session,
        intervention_id=intervention_id,
        target=InterventionStatus.IN_PROGRESS,
        actor=actor,
        action="intervention.start",
        expected_version=expected_version,
        change=change,
        check=_assignee_or_manager(session, actor),
        now=at,
    )


def complete(
    *,
    session: Session,
    intervention_id: int,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Intervention:
    """The assigned officer (or a manager) closes the work."""
    at = now or utc_now()

    def change(row: Intervention) -> None:
        row.completed_at = at

    return _transition(
        session,
        intervention_id=intervention_id,
        target=InterventionStatus.COMPLETED,
        actor=actor,
        action="intervention.complete",
        expected_version=expected_version,
        change=change,
        check=_assignee_or_manager(session, actor),
        now=at,
    )


def cancel(
    *,
    session: Session,
    intervention_id: int,
    actor: str,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Intervention:
    """Its creator or a manager cancels an open intervention, giving a reason."""
    user = require_role(session, actor, *ANY_ROLE)
    if not reason.strip():
        raise InvalidTransitionError("a cancellation needs a reason")
    at = now or utc_now()

    def check(row: Intervention) -> None:
        if user.role == Role.OFFICER and row.created_by != actor:
            raise PermissionDeniedError(
                f"only the creator or a supervisor can cancel intervention {row.id}"
            )

    def change(row: Intervention) -> None:
        row.cancelled_at, row.cancel_reason = at, reason.strip()

    return _transition(
        session,
        intervention_id=intervention_id,
        target=InterventionStatus.CANCELLED,
        actor=actor,
        action="intervention.cancel",
        expected_version=expected_version,
        change=change,
        check=check,
        now=at,
    )


def record_outcome(
    *,
    session: Session,
    intervention_id: int,
    data: InterventionOutcomeCreate,
    actor: str,
    now: datetime | None = None,
) -> InterventionOutcome:
    """Records what happened (paid, promise to pay, ...) on work in progress or completed."""
    audit.lock_chain(session)
    row = get_intervention(session, intervention_id)
    _assignee_or_manager(session, actor)(row)
    if row.status not in OUTCOME_STATUSES:
        raise InvalidTransitionError(
            f"intervention {intervention_id} is {row.status.value}: outcomes are recorded once "
            "work has started"
        )
    outcome = InterventionOutcome.model_validate(
        data,
        update={
            "intervention_id": intervention_id,
            "recorded_by": actor,
            "recorded_at": now or utc_now(),
        },
    )
    session.add(outcome)
    flush(session)
    audit.append(
        session,
        actor=actor,
        action="intervention.record_outcome",
        entity_type="intervention_outcome",
        entity_id=str(outcome.id),
        before=None,
        after=audit.snapshot(outcome),
    )
    return outcome


def open_interventions(session: Session, *, customer_id: str) -> list[Intervention]:
    rows = session.exec(
        select(Intervention).where(
            Intervention.customer_id == customer_id, col(Intervention.status).in_(OPEN_STATUSES)
        )
    )
    return list(rows)
