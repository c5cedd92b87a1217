"""The recommender on a scoring date's alerted customers, stored per customer and date.

`pde score-portfolio` calls `recommend_date` after writing a date's scores. When the served
model has uplift models, the date's scores came with each action's expected effect
(`effect_basis` `learned`; `learned_benefit` is then the alert policy's net benefit of the best
action). For the customers the alert policy chose it runs `pde.decision.recommend` with the
team's capacity, the contact pressure and cool-downs read from the `interventions` table,
vulnerability routing to the support path and the weekly holdout. A model without uplift models
falls back to the prior (`PDE_ACTION_EFFECT`, basis `prior`): today's by-product action (the
support path for a potentially vulnerable customer), expected to avert that share of the
customer's miss probability. Each row says why, in words an officer reads.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy.engine import Engine

from pde.client.results import ModelInfo, RowScore
from pde.client.sync import RiskClient
from pde.contracts.bundle import AlertPolicy
from pde.contracts.interventions import ACTIONS, SUPPORT_ACTIONS
from pde.contracts.reason_codes import REASON_CODES
from pde.core.errors import PdeError
from pde.core.settings import Settings, get_settings
from pde.db.casework import do_not_contact
from pde.db.engine import session_scope
from pde.db.models.recommendation import RecommendationCreate
from pde.db.recommendations import contact_history, save_recommendations, stored_reasons
from pde.decision import exposures
from pde.decision.actions import fixed_rule_actions
from pde.decision.holdout import held_out
from pde.decision.recommend import (
    NO_ACTION,
    ContactHistory,
    Recommendations,
    net_benefits,
    recommend,
    recommender_policy,
)
from pde.decision.vulnerability import Vulnerability, signal_features, vulnerability

log = logging.getLogger(__name__)

F64 = npt.NDArray[np.float64]
# The prior's effect of an action it does not consider: a rise of the whole probability.
NOT_CONSIDERED = -1.0
LEARNED = "learned"
PRIOR = "prior"
VULNERABILITY_TEXT = {
    "gambling": "gambling",
    "payday_lending": "borrowing from lending apps",
    "hardship": "salary missing",
}


@dataclass(frozen=True)
class DateRecommendations:
    """What one date's recommender did: rows stored, the basis of the effects, the mix."""

    rows: int = 0
    effect_basis: str = PRIOR
    actions: dict[str, int] = field(default_factory=dict)
    contacted: int = 0
    held_out: int = 0
    vulnerable: int = 0


def action_label(action: str) -> str:
    return action.replace("_", " ")


def learned_effects(
    client: RiskClient, info: ModelInfo, ids: list[str], rows: npt.NDArray[np.float32]
) -> F64:
    """The server's expected effects of these rows, (rows, ACTIONS order)."""
    missing = [a for a in ACTIONS if a not in info.actions]
    if missing:
        raise PdeError(f"the served model {info.version} gives no effect for {missing}")
    order = [info.actions.index(a) for a in ACTIONS]
    parts = [
        chunk.effects[:, order]
        for chunk in client.score_batches(
            zip(ids, rows, strict=True), effects=True, model_version=info.version
        )
        if chunk.effects is not None
    ]
    effects = np.concatenate(parts).astype(np.float64) if parts else np.zeros((0, len(ACTIONS)))
    if effects.shape[0] != len(ids):
        raise PdeError(f"the server gave effects for {effects.shape[0]} of {len(ids)} rows")
    return effects


def row_effects(scored: list[RowScore]) -> F64 | None:
    """The effects the scoring stream returned with the rows, (rows, ACTIONS order); None when
    it returned none (a model without uplift models)."""
    if not scored or not scored[0].expected_effects:
        return None
    return np.array([[row.expected_effects[a] for a in ACTIONS] for row in scored])


def learned_benefit(
    scored: list[RowScore], exposure: F64, policy: AlertPolicy, settings: Settings | None = None
) -> F64 | None:
    """Each customer's expected net benefit of the best action from the learned effects (the
    alert policy's "expected effect of the best action", learned); None without them."""
    effects = row_effects(scored)
    if effects is None:
        return None
    recommender = recommender_policy(settings or get_settings(), policy)
    return np.asarray(net_benefits(effects, exposure, recommender).max(axis=1), dtype=np.float64)


def prior_effects(
    p: F64, products: list[str], vulnerable: npt.NDArray[np.bool_], effect: float
) -> F64:
    """The prior's effects: the by-product action (the support path when vulnerable) averts
    `effect` of the miss probability; the others get `NOT_CONSIDERED` (never worth a cost)."""
    out = np.full((len(p), len(ACTIONS)), NOT_CONSIDERED)
    rule = fixed_rule_actions(products) if products else np.zeros(0, dtype=np.intp)
    out[np.arange(len(p)), rule] = p * effect
    for j, action in enumerate(ACTIONS):
        if action in SUPPORT_ACTIONS:
            out[vulnerable, j] = p[vulnerable] * effect
    return out


def why(
    action: str | None,
    *,
    held: bool,
    reasons: list[dict[str, object]],
    vulnerable: list[str],
    blocked: bool,
    do_not_contact: bool = False,
) -> str:
    """One line an officer reads: the action and the signal it answers."""
    if action is None:
        if do_not_contact:
            return "no contact: the customer asked not to be contacted"
        if blocked:
            return "no contact: the contact budget or the cool-downs leave no action"
        return "no action pays for itself"
    if vulnerable:
        signal = (
            "potential vulnerability ("
            + ", ".join(VULNERABILITY_TEXT.get(v, v) for v in vulnerable)
            + ")"
        )
    elif reasons:
        first = reasons[0]
        code = str(first.get("code") or "")
        signal = REASON_CODES.get(code, str(first.get("text") or "")).lower()
    else:
        signal = "largest expected net benefit"
    line = f"{action_label(action)}: {signal}"
    return f"{line}; held out as control this week" if held else line


def _rows(
    ids: list[str],
    recs: Recommendations,
    effects: F64,
    *,
    as_of: date,
    model_version: str,
    basis: str,
    signals: Vulnerability,
    reasons: dict[str, list[dict[str, object]]],
    asked: npt.NDArray[np.bool_],
) -> list[RecommendationCreate]:
    out = []
    for i, customer in enumerate(ids):
        best = int(recs.best_action[i])
        net = float(recs.net_benefit[i])
        action = ACTIONS[best] if best != NO_ACTION and np.isfinite(net) and net >= 0 else None
        out.append(
            RecommendationCreate(
                customer_id=customer,
                as_of=as_of,
                model_version=model_version,
                action=action,
                expected_effect=None if action is None else float(effects[i, best]),
                net_benefit=None if action is None else net,
                effect_basis=basis,
                why=why(
                    action,
                    held=bool(recs.held_out[i]),
                    reasons=reasons.get(customer, []),
                    vulnerable=signals.reasons_of(i),
                    blocked=bool(recs.blocked[i]),
                    do_not_contact=bool(asked[i]),
                )[:300],
                vulnerable=bool(recs.vulnerable[i]),
                held_out=bool(recs.held_out[i]),
            )
        )
    return out


def recommend_date(
    *,
    client: RiskClient,
    info: ModelInfo,
    features: pl.DataFrame,
    scored: list[RowScore],
    alerted: npt.NDArray[np.bool_],
    products: dict[str, str],
    as_of: date,
    policy: AlertPolicy,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> DateRecommendations:
    """Recommends an action for each alerted customer of one date (the whole date's
    `features` and `scored`, in the same order) and stores it; see the module docstring."""
    settings = settings or get_settings()
    chosen = np.flatnonzero(alerted)
    basis = LEARNED if info.actions else PRIOR
    if len(chosen) == 0:
        return DateRecommendations(effect_basis=basis)
    subset = features[chosen.tolist()]
    ids = [scored[i].row_id for i in chosen]
    source = policy.exposure_source
    column = subset[source].to_numpy() if source in subset.columns else None
    exposure = exposures(policy, column, len(ids))
    names = [n for n in signal_features() if n in subset.columns]
    signals = vulnerability({n: subset[n].to_numpy() for n in names}, len(ids))
    streamed = row_effects(scored)
    if basis == LEARNED and streamed is not None:
        effects = streamed[chosen]
    elif basis == LEARNED:
        matrix = subset.select(info.feature_names).to_numpy().astype(np.float32)
        effects = learned_effects(client, info, ids, matrix)
    else:
        p = np.array([scored[i].probability for i in chosen], dtype=np.float64)
        product = [products.get(c, "personal_loan") for c in ids]
        effects = prior_effects(p, product, signals.flagged, policy.action_effect)
    with session_scope(engine=engine) as session:
        contacts, days_since = contact_history(session=session, customer_ids=ids, as_of=as_of)
        asked = do_not_contact(session=session, customer_ids=ids)
        reasons = stored_reasons(
            session=session, as_of=as_of, model_version=info.version, customer_ids=ids
        )
    recs = recommend(
        uplift=effects,
        exposure=exposure,
        vulnerable=signals.flagged,
        policy=recommender_policy(settings, policy),
        history=ContactHistory(contacts, days_since, asked),
        held_out=held_out(ids, as_of, share=settings.holdout_share),
    )
    rows = _rows(
        ids,
        recs,
        effects,
        as_of=as_of,
        model_version=info.version,
        basis=basis,
        signals=signals,
        reasons=reasons,
        asked=asked,
    )
    with session_scope(engine=engine) as session:
        save_recommendations(session=session, as_of=as_of, rows=rows)
    mix = Counter(r.action for r in rows if r.action is not None and not r.held_out)
    log.info("%s: %d recommendations (%s effects): %s", as_of, len(rows), basis, dict(mix))
    return DateRecommendations(
        rows=len(rows),
        effect_basis=basis,
        actions=dict(mix),
        contacted=recs.contacts,
        held_out=int(recs.held_out.sum()),
        vulnerable=int(recs.vulnerable.sum()),
    )
