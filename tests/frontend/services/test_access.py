"""Who may do what: the one policy module, for each role."""

from __future__ import annotations

import pytest

from pde.core.names import Role
from pde.db.models.enums import InterventionStatus as S
from pde.frontend.services import access
from pde.frontend.services.access import InterventionState, SignedIn

OFFICER = SignedIn("off1", "Olivia Officer", Role.OFFICER)
OTHER_OFFICER = SignedIn("off2", "Omar Officer", Role.OFFICER)
SUPERVISOR = SignedIn("sup1", "Sam Supervisor", Role.SUPERVISOR)
ADMIN = SignedIn("admin", "Ada Admin", Role.ADMIN)


def test_access_officers_see_their_own_customers_managers_see_all() -> None:
    assert access.officer_scope(OFFICER) == "off1"
    assert access.officer_scope(SUPERVISOR) is None
    assert access.officer_scope(ADMIN) is None
    assert [access.can_assign_customers(u) for u in (OFFICER, SUPERVISOR, ADMIN)] == [
        False,
        True,
        True,
    ]


def test_access_only_admins_manage_users_and_models_and_open_data_management() -> None:
    for user, allowed in ((OFFICER, False), (SUPERVISOR, False), (ADMIN, True)):
        assert access.can_manage_users(user) is allowed
        assert access.can_manage_models(user) is allowed
        assert access.can_open_page(user, access.ADMINISTRATORS) is allowed
    assert access.can_open_page(OFFICER, None)
    assert not access.can_open_page(None, access.ADMINISTRATORS)


def test_access_actions_follow_role_and_status() -> None:
    created_by_officer = InterventionState(S.RECOMMENDED, created_by="off1", assigned_to=None)
    assert access.allowed_actions(OFFICER, created_by_officer) == {"cancel"}
    assert access.allowed_actions(OTHER_OFFICER, created_by_officer) == frozenset()
    assert access.allowed_actions(SUPERVISOR, created_by_officer) == {"approve", "cancel"}
    own = InterventionState(S.RECOMMENDED, created_by="sup1", assigned_to=None)
    assert access.allowed_actions(SUPERVISOR, own) == {"cancel"}  # four eyes
    assigned = InterventionState(S.ASSIGNED, created_by="sup1", assigned_to="off1")
    assert access.allowed_actions(OFFICER, assigned) == {"start"}
    assert access.allowed_actions(OTHER_OFFICER, assigned) == frozenset()
    assert access.allowed_actions(ADMIN, assigned) == {"assign", "start", "cancel"}
    done = InterventionState(S.COMPLETED, created_by="off1", assigned_to="off1")
    assert access.allowed_actions(ADMIN, done) == frozenset()


def test_access_outcomes_by_the_assignee_or_a_manager_once_work_started() -> None:
    started = InterventionState(S.IN_PROGRESS, created_by="sup1", assigned_to="off1")
    assert access.can_record_outcome(OFFICER, started)
    assert access.can_record_outcome(SUPERVISOR, started)
    assert not access.can_record_outcome(OTHER_OFFICER, started)
    assert not access.can_record_outcome(
        OFFICER, InterventionState(S.ASSIGNED, created_by="sup1", assigned_to="off1")
    )


@pytest.mark.parametrize(
    ("user", "action", "reason"),
    [
        (SUPERVISOR, "approve", "you created this intervention: another person must approve it"),
        (OFFICER, "assign", "to assign an intervention needs a supervisor or an admin"),
        (OTHER_OFFICER, "start", "the intervention is assigned to off1, not you"),
        (
            OTHER_OFFICER,
            "cancel",
            "only its creator, a supervisor or an admin can cancel an intervention",
        ),
        (ADMIN, "archive", "there is no action 'archive'"),
    ],
)
def test_access_refusals_say_why(user: SignedIn, action: str, reason: str) -> None:
    state = InterventionState(S.ASSIGNED, created_by="sup1", assigned_to="off1")
    assert access.action_refusal(user, action, state) == reason
    with pytest.raises(access.AccessDeniedError, match=reason):
        access.refuse_if(access.action_refusal(user, action, state))
