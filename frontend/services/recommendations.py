"""The recommended action of each customer in the Action Center, and the override rule.

A customer the latest scoring run alerted has a stored recommendation (`pde score-portfolio`,
`pde.jobs.recommendations`): the action, its expected effect (learned from the uplift models,
or the prior), net benefit, why, and the vulnerable and holdout flags. A customer in the queue
without one (not among the run's alerts) is shown today's by-product action with the prior
effect (`PDE_ACTION_EFFECT`), marked as such. An officer who picks another action than the
recommended one must say why; the choice and the reason go to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from pde.core.errors import PdeError
from pde.core.settings import Settings
from pde.db import audit
from pde.db.recommendations import recommendations_for
from pde.decision.actions import action_costs, fixed_rule_actions
from pde.decision.policy import policy_from_settings
from pde.frontend.services.catalogue import ACTIONS, InterventionType
from pde.frontend.services.snapshot import latest_snapshot
from pde.frontend.services.tables import CUSTOMERS

ACTION_NAMES: tuple[str, ...] = tuple(k.value for k in ACTIONS)
OVERRIDE_AUDIT = "recommendation.override"
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Shown:
    """What the queue shows of a customer's recommendation."""

    action: str  # "" when no action pays for itself
    expected_effect: float | None  # fall in the 30-day miss probability
    net_benefit: float | None
    why: str
    vulnerable: bool
    held_out: bool
    effect_basis: str  # learned, prior


def effect_text(effect: float | None) -> str:
    """ "expected -18 points": the fall in the miss probability, in percentage points."""
    if effect is None:
        return ""
    return f"expected {-effect * 100:+.0f} points"


def _prior(settings: Settings, *, probability: float, exposure: float, product: str) -> Shown:
    policy = policy_from_settings(settings)
    try:
        kind = ACTION_NAMES[int(fixed_rule_actions([product])[0])]
    except ValueError:
        kind = InterventionType.AGENT_CALL.value
    effect = probability * policy.action_effect
    net = effect * exposure * policy.loss_given_default - action_costs(settings)[kind]
    return Shown(
        action=kind,
        expected_effect=effect,
        net_benefit=net,
        why=f"{kind.replace('_', ' ')}: today's rule for {product.replace('_', ' ')} (prior effect;"
        " not in the latest run's alerts)",
        vulnerable=False,
        held_out=False,
        effect_basis="prior",
    )


def shown_for(
    session: Session,
    settings: Settings,
    *,
    as_of: date,
    records: Sequence[dict[str, object]],
) -> dict[str, Shown]:
    """Per queue record (customer_id, probability, outstanding_balance, product): the stored
    recommendation of `as_of`, else the prior's."""
    ids = [str(r["customer_id"]) for r in records]
    stored = recommendations_for(session=session, as_of=as_of, customer_ids=ids)
    shown: dict[str, Shown] = {}
    for record in records:
        customer = str(record["customer_id"])
        found = stored.get(customer)
        if found is None:
            shown[customer] = _prior(
                settings,
                probability=float(str(record["probability"])),
                exposure=float(str(record["outstanding_balance"])),
                product=str(record["product"]),
            )
            continue
        shown[customer] = Shown(
            action=found.action or "",
            expected_effect=found.expected_effect,
            net_benefit=found.net_benefit,
            why=found.why,
            vulnerable=found.vulnerable,
            held_out=found.held_out,
            effect_basis=found.effect_basis,
        )
    return shown


def recommended_for(session: Session, customer_id: str) -> str:
    """The action recommended for the customer in the latest snapshot, as the database has it
    (never what a page sends back): the stored recommendation ("" when no action pays), else
    today's by-product rule; "" without scores. Raises PdeError when the customer is held out
    as this week's control group: contacting them would spoil the measurement."""
    snapshot = latest_snapshot(session)
    if snapshot is None:
        return ""
    stored = recommendations_for(session=session, as_of=snapshot.as_of, customer_ids=[customer_id])
    if customer_id in stored:
        if stored[customer_id].held_out:
            raise PdeError(
                f"customer {customer_id} is held out as this week's control group: no contact"
                " (the effects of the actions are measured against it)"
            )
        return stored[customer_id].action or ""
    product = session.execute(
        sa.select(CUSTOMERS.c.product).where(CUSTOMERS.c.customer_id == customer_id)
    ).scalar_one_or_none()
    try:
        return ACTION_NAMES[int(fixed_rule_actions([str(product)])[0])]
    except ValueError:
        return ""


def override_reason(*, recommended: str, chosen: str, reason: str | None) -> str | None:
    """The reason for choosing `chosen` over `recommended`; None when they are the same.
    Raises PdeError when another action is chosen without a reason."""
    if not recommended or chosen == recommended:
        return None
    text = (reason or "").strip()
    if not text:
        raise PdeError(
            f"give a reason for choosing {chosen.replace('_', ' ')} over the recommended "
            f"{recommended.replace('_', ' ')}"
        )
    return text[:MAX_REASON_CHARS]


def audit_override(
    session: Session,
    *,
    actor: str,
    customer_id: str,
    recommended: str,
    chosen: str,
    reason: str,
    intervention_id: int,
) -> None:
    """One audit row: the officer chose `chosen` over `recommended`, and why."""
    audit.append(
        session,
        actor=actor,
        action=OVERRIDE_AUDIT,
        entity_type="customer",
        entity_id=customer_id,
        before={"recommended": recommended},
        after={"chosen": chosen, "reason": reason, "intervention": intervention_id},
    )
