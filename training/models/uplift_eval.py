"""Uplift measured against the simulator's truth, on out-of-time rows.

- **Qini / AUUC per action**: customers ranked by predicted uplift; the cumulative *true*
  uplift of the top k against k. AUUC is the area under that curve over the rows (misses
  prevented per customer, averaged over every k); the Qini coefficient is the area between the
  curve and random targeting, over the same area of the perfect ranking (1: perfect, 0: random).
- **Policy value**: each policy contacts customers within the weekly capacity, one action
  each; its value is the true expected misses prevented per 1,000 contacts, with a bootstrap
  interval over customers (the same resamples for every policy, so differences are paired).
  Policies: the learned recommender, the fixed by-product rule on the risk ranking (today's),
  random contact, and the oracle (the recommender fed the true uplift).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.bundle import AlertPolicy
from pde.contracts.interventions import ACTIONS
from pde.decision.actions import fixed_rule_actions
from pde.decision.policy import select_alerts
from pde.decision.recommend import RecommenderPolicy, recommend

BOOTSTRAP = 1000
POLICIES = ("learned", "fixed_rule", "random", "oracle")


def qini(predicted: np.ndarray, true_uplift: np.ndarray) -> dict[str, float]:
    """Qini coefficient and AUUC of one action's predicted uplift against its true uplift."""
    n = len(true_uplift)
    if n == 0:
        return {"qini": float("nan"), "auuc": float("nan"), "auuc_random": float("nan")}

    def area(order: np.ndarray) -> float:
        return float(np.cumsum(true_uplift[order]).sum() / n)

    total = float(true_uplift.sum())
    random_area = total * (n + 1) / 2 / n
    model = area(np.argsort(-predicted, kind="stable"))
    perfect = area(np.argsort(-true_uplift, kind="stable"))
    gain = perfect - random_area
    return {
        "qini": (model - random_area) / gain if gain > 0 else float("nan"),
        "auuc": model / n,
        "auuc_random": random_area / n,
        "auuc_oracle": perfect / n,
        "mean_true_uplift": total / n,
        "mean_predicted_uplift": float(predicted.mean()),
    }


@dataclass(frozen=True)
class Choice:
    """A policy's contacts: per row, contacted, and the action (index into ACTIONS)."""

    contacted: np.ndarray
    action: np.ndarray


@dataclass(frozen=True)
class PolicyInputs:
    """The out-of-time rows a policy is evaluated on."""

    dates: np.ndarray
    p: np.ndarray  # the risk model's calibrated probability
    exposure: np.ndarray
    product: np.ndarray
    vulnerable: np.ndarray
    predicted_uplift: np.ndarray  # (rows, actions)
    true_uplift: np.ndarray  # (rows, actions)


def _per_date(inputs: PolicyInputs, choose: Any) -> Choice:
    contacted = np.zeros(len(inputs.p), dtype=bool)
    action = np.zeros(len(inputs.p), dtype=np.intp)
    for day in np.unique(inputs.dates):
        rows = np.flatnonzero(inputs.dates == day)
        picked, chosen = choose(rows)
        contacted[rows] = picked
        action[rows] = chosen
    return Choice(contacted, action)


def choose_policies(
    inputs: PolicyInputs,
    *,
    alert_policy: AlertPolicy,
    recommender: RecommenderPolicy,
    seed: int,
) -> dict[str, Choice]:
    """Each policy's contacts, one scoring date at a time (capacity per date)."""
    rng = np.random.default_rng(seed)

    def learned(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = recommend(
            uplift=inputs.predicted_uplift[rows],
            exposure=inputs.exposure[rows],
            vulnerable=inputs.vulnerable[rows],
            policy=recommender,
        )
        return r.contacted, np.maximum(r.best_action, 0)

    def oracle(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = recommend(
            uplift=inputs.true_uplift[rows],
            exposure=inputs.exposure[rows],
            vulnerable=np.zeros(len(rows), dtype=bool),
            policy=recommender,
        )
        return r.contacted, np.maximum(r.best_action, 0)

    def fixed(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        alerts = select_alerts(
            inputs.p[rows], inputs.exposure[rows], alert_policy, capacity=recommender.capacity
        )
        return alerts.alerted, fixed_rule_actions(inputs.product[rows])

    def random(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        picked = np.zeros(len(rows), dtype=bool)
        picked[rng.permutation(len(rows))[: recommender.capacity]] = True
        return picked, rng.integers(0, len(ACTIONS), len(rows))

    return {
        "learned": _per_date(inputs, learned),
        "fixed_rule": _per_date(inputs, fixed),
        "random": _per_date(inputs, random),
        "oracle": _per_date(inputs, oracle),
    }


def _interval(values: np.ndarray) -> list[float]:
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return [float(low), float(high)]


def policy_values(
    inputs: PolicyInputs,
    choices: dict[str, Choice],
    *,
    costs: np.ndarray,
    loss_given_default: float,
    seed: int,
    bootstrap: int = BOOTSTRAP,
) -> dict[str, Any]:
    """Misses prevented per 1,000 contacts (and net benefit per contact) of each policy, with
    95% bootstrap intervals, and the learned policy's margin over the others."""
    n = len(inputs.p)
    rows = np.arange(n)
    prevented = {
        name: np.where(c.contacted, inputs.true_uplift[rows, c.action], 0.0)
        for name, c in choices.items()
    }
    net = {
        name: np.where(
            c.contacted,
            prevented[name] * inputs.exposure * loss_given_default - costs[c.action],
            0.0,
        )
        for name, c in choices.items()
    }
    rng = np.random.default_rng(seed)
    draws = {name: np.empty(bootstrap) for name in choices}
    for b in range(bootstrap):
        sample = np.bincount(rng.integers(0, n, n), minlength=n)
        for name, c in choices.items():
            contacts = float((sample * c.contacted).sum())
            value = float((sample * prevented[name]).sum())
            draws[name][b] = 1000 * value / contacts if contacts else np.nan
    figures: dict[str, Any] = {"rows": n, "bootstrap": bootstrap, "policies": {}}
    for name, c in choices.items():
        contacts = int(c.contacted.sum())
        figures["policies"][name] = {
            "contacts": contacts,
            "misses_prevented": float(prevented[name].sum()),
            "per_1000_contacts": 1000 * float(prevented[name].sum()) / contacts
            if contacts
            else 0.0,
            "interval": _interval(draws[name]),
            "net_benefit": float(net[name].sum()),
            "net_benefit_per_contact": float(net[name].sum()) / contacts if contacts else 0.0,
            "action_mix": {
                action: int((c.contacted & (c.action == a)).sum())
                for a, action in enumerate(ACTIONS)
            },
        }
    margins = {}
    for other in ("fixed_rule", "random"):
        difference = draws["learned"] - draws[other]
        point = (
            figures["policies"]["learned"]["per_1000_contacts"]
            - figures["policies"][other]["per_1000_contacts"]
        )
        interval = _interval(difference)
        margins[f"learned_minus_{other}"] = {
            "per_1000_contacts": point,
            "interval": interval,
            "excludes_zero": interval[0] > 0 or interval[1] < 0,
        }
    figures["margins"] = margins
    return figures
