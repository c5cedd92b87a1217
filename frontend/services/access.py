"""Who may do what in the app, decided here and nowhere else.

Officers work their own customers: every page and callback shows and acts on the customers
assigned to them and the interventions they created or were given, and nothing else (a URL
or a forged callback naming another customer is refused with a message).
Supervisors and admins see the whole portfolio, approve (never their own work), assign
customers and interventions. Admins also manage users and models (Data Management).
The workflow services in pde.db check the same rules again when a change is written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pde.core.errors import PdeError
from pde.core.names import Role
from pde.db.models.enums import InterventionStatus
from pde.db.policy import OUTCOME_STATUSES, can_move

ROLES: tuple[Role, ...] = tuple(Role)
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINISTRATORS: tuple[Role, ...] = (Role.ADMIN,)
"""The roles that may open Data Management (demo data, retraining, promotion, users)."""
TEAM_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.ADMIN)
"""The roles that may open the team view (every officer's load and results)."""
ASSIGNABLE_ROLES: tuple[Role, ...] = (Role.OFFICER, Role.SUPERVISOR)
"""The roles customers and interventions can be given to."""

# The workflow's actions, by the status each one moves an intervention to.
ACTION_TARGETS: Mapping[str, InterventionStatus] = MappingProxyType(
    {
        "approve": InterventionStatus.APPROVED,
        "assign": InterventionStatus.ASSIGNED,
        "start": InterventionStatus.IN_PROGRESS,
        "complete": InterventionStatus.COMPLETED,
        "cancel": InterventionStatus.CANCELLED,
    }
)


class AccessDeniedError(PdeError):
    """The signed-in user's role does not allow what was asked."""


@dataclass(frozen=True)
class SignedIn:
    """The user of one request, as the sign-in recorded them."""

    username: str
    full_name: str
    role: Role


@dataclass(frozen=True)
class InterventionState:
    """What the rules need to know about an intervention."""

    status: InterventionStatus
    created_by: str
    assigned_to: str | None


def sees_whole_portfolio(user: SignedIn) -> bool:
    return user.role in MANAGERS


def officer_scope(user: SignedIn) -> str | None:
    """The officer whose customers and work the user's lists show; None for everyone's."""
    return None if sees_whole_portfolio(user) else user.username


def customer_refusal(user: SignedIn, customer_id: str, owner: str | None) -> str | None:
    """Why the user may not see or act on the customer (whose current officer is `owner`),
    or None when they may."""
    if sees_whole_portfolio(user) or owner == user.username:
        return None
    return f"customer {customer_id} is not assigned to you"


def intervention_refusal(
    user: SignedIn, intervention_id: int, intervention: InterventionState, owner: str | None
) -> str | None:
    """Why the user may not see the intervention, or None: managers see all; an officer sees
    the ones they created or were given, and those of their own customers."""
    if sees_whole_portfolio(user) or user.username in (
        intervention.created_by,
        intervention.assigned_to,
        owner,
    ):
        return None
    return f"intervention {intervention_id} is not yours"


def can_assign_customers(user: SignedIn) -> bool:
    return user.role in MANAGERS


def can_see_team(user: SignedIn) -> bool:
    """The team view (every officer's open work, SLA and results): supervisors and admins."""
    return user.role in TEAM_ROLES


def contact_refusal(user: SignedIn, customer_id: str, owner: str | None) -> str | None:
    """Why the user may not change the customer's contact preferences and flags, or None: the
    customer's officer or a supervisor may."""
    if user.role == Role.SUPERVISOR or (owner is not None and owner == user.username):
        return None
    return f"only {customer_id}'s officer or a supervisor changes contact preferences"


def promise_refusal(
    user: SignedIn, intervention_id: int, intervention: InterventionState, owner: str | None
) -> str | None:
    """Why the user may not record a promise to pay on the intervention, or None: its
    assignee, the customer's officer or a manager may, while the work is open or done."""
    if intervention.status == InterventionStatus.CANCELLED:
        return f"intervention {intervention_id} is cancelled"
    if user.role in MANAGERS or user.username in (intervention.assigned_to, owner):
        return None
    return f"intervention {intervention_id} is not yours"


def can_manage_users(user: SignedIn) -> bool:
    return user.role in ADMINISTRATORS


def sees_model_monitoring(user: SignedIn) -> bool:
    """Drift, realised performance and the shadow challenger: figures over the whole
    portfolio, for supervisors and administrators (the Model page's bundle figures, held-out
    and about no customer, open to every role)."""
    return sees_whole_portfolio(user)


def can_manage_models(user: SignedIn) -> bool:
    """Generate demo data, retrain and promote bundles."""
    return user.role in ADMINISTRATORS


def can_open_page(user: SignedIn | None, roles: Collection[str] | None) -> bool:
    """A page registered with `roles` opens only for those roles; others open for everyone."""
    if not roles:
        return True
    return user is not None and user.role in roles


def action_refusal(user: SignedIn, action: str, intervention: InterventionState) -> str | None:
    """Why the user's role does not allow `action` on the intervention, or None when it does
    (whether its status allows the move is the workflow's rule, see `allowed_actions`)."""
    if action not in ACTION_TARGETS:
        return f"there is no action {action!r}"
    if user.role in MANAGERS:
        if action == "approve" and intervention.created_by == user.username:
            return "you created this intervention: another person must approve it"
        return None
    if action in ("approve", "assign"):
        return f"to {action} an intervention needs a supervisor or an admin"
    if action in ("start", "complete") and intervention.assigned_to != user.username:
        return f"the intervention is assigned to {intervention.assigned_to or 'nobody'}, not you"
    if action == "cancel" and intervention.created_by != user.username:
        return "only its creator, a supervisor or an admin can cancel an intervention"
    return None


def allowed_actions(user: SignedIn, intervention: InterventionState) -> frozenset[str]:
    """The workflow actions the user may take on the intervention now: their role allows it
    and the intervention's status can move that way."""
    return frozenset(
        action
        for action, target in ACTION_TARGETS.items()
        if action_refusal(user, action, intervention) is None
        and can_move(intervention.status, target)
    )


def outcome_refusal(user: SignedIn, intervention: InterventionState) -> str | None:
    """Why the user may not record an outcome on the intervention, or None: the assignee or a
    manager may (once work has started: the workflow's rule)."""
    if user.role in MANAGERS or intervention.assigned_to == user.username:
        return None
    return "only the assigned officer, a supervisor or an admin records outcomes"


def can_record_outcome(user: SignedIn, intervention: InterventionState) -> bool:
    return outcome_refusal(user, intervention) is None and (intervention.status in OUTCOME_STATUSES)


def require(allowed: bool, what: str) -> None:
    """Raises AccessDeniedError naming `what` unless `allowed`."""
    if not allowed:
        raise AccessDeniedError(f"your role does not allow you to {what}")


def refuse_if(reason: str | None) -> None:
    """Raises AccessDeniedError with `reason` when there is one."""
    if reason is not None:
        raise AccessDeniedError(reason)
