"""Interventions in the simulated history: who the bank contacted, with what, and what worked.

What works depends on the customer's true state on the day of the contact (`SEGMENTS`): a
reminder helps the organised payer who forgot and does little for an income shock;
restructuring helps income shocks and costs most; counselling helps gambling or payday-lending
stress; a contact within 30 days of the previous one annoys (reminders and calls backfire,
other actions lose half their effect). A contact that does not reach the customer does
nothing. An effect `e` multiplies the miss probability of every credit obligation due in the
30 days after the contact by `1 - e` (the latest contact wins when windows overlap).

Each treated week the bank's old scorecard (the true miss probability with noise) flags the
riskiest customers with something due; a share of them enters a random experiment (control
`none` or any action), the rest get the fixed by-product rule. The assignment draws its own
random numbers, so everything else the simulator draws stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pde.contracts.data.schema import LABEL_HORIZON_DAYS
from pde.contracts.interventions import ACTIONS, ARMS
from pde.decision.actions import fixed_rule_actions
from pde.training.data.simulate.config import SimulationConfig
from pde.training.data.simulate.latent import Latent
from pde.training.data.simulate.population import Profiles

ORGANISED, INCOME_SHOCK, GAMBLING, PAYDAY_LENDING = range(4)
# Share of the miss probability an action averts when it reaches the customer, per true state
# (rows: organised, income shock, gambling, payday lending; columns: ACTIONS).
EFFECT = np.array(
    [
        [0.45, 0.35, 0.15, 0.10, 0.05, 0.05],
        [0.03, 0.10, 0.35, 0.60, 0.45, 0.15],
        [0.00, 0.05, 0.10, 0.10, 0.10, 0.50],
        [0.03, 0.08, 0.20, 0.25, 0.20, 0.50],
    ]
)
REACH = np.array([0.85, 0.60, 0.75, 0.80, 0.85, 0.70])  # share of contacts that reach
# A contact within RECENT_DAYS of the previous one: reminders and calls backfire (the miss
# probability rises by this share), other actions keep half their effect.
BACKFIRE = np.array([-0.25, -0.20, np.nan, np.nan, np.nan, np.nan])
RECENT_DAYS = 30
MEDICAL_SHOCK_DAYS = 60
# Arms of the random experiment: control half again as likely as each action.
RANDOM_ARM_WEIGHTS = np.array([1.5] + [1.0] * len(ACTIONS))
SCORECARD_NOISE = 0.5  # log-scale noise of the bank's old scorecard
REPEAT_SHARE = 0.25  # flagged customers contacted recently who are contacted again anyway
P_CAP = 0.999


@dataclass
class Treatments:
    """The treated history of one chunk, (n, weeks) matrices unless noted."""

    arm: np.ndarray  # int8 index into ARMS, -1 when not assigned
    random: np.ndarray  # bool: assigned by the random experiment (else by the rule)
    reached: np.ndarray  # bool
    multiplier: np.ndarray  # per credit obligation: factor on its miss probability
    p_arms: np.ndarray  # (n, weeks, arms) miss probability under each arm, NaN: nothing due
    segment: np.ndarray  # int8 true state at the as-of date
    recent: np.ndarray  # bool: contacted in the 30 days before the as-of date


def segments(latent: Latent, day: int) -> np.ndarray:
    """The true state of every customer on `day` (gambling before payday lending before an
    income shock; organised otherwise)."""
    state = np.full(latent.stress.shape[0], ORGANISED, dtype=np.int8)
    shock = latent.jobless[:, day] | latent.hours_cut[:, day] | latent.salary_delayed[:, day]
    since_bill = day - latent.medical_day
    shock |= (since_bill >= 0) & (since_bill < MEDICAL_SHOCK_DAYS)
    state[shock] = INCOME_SHOCK
    state[latent.spiral[:, day]] = PAYDAY_LENDING
    state[latent.problem_gambler & (latent.gamble_start <= day)] = GAMBLING
    return state


def effects(state: np.ndarray, recent: np.ndarray) -> np.ndarray:
    """(n, actions) effect of each action on a customer reached, given the true state and
    whether the customer was contacted recently."""
    base = EFFECT[state]
    repeat = np.where(np.isnan(BACKFIRE), 0.5 * base, BACKFIRE[None, :])
    return np.asarray(np.where(recent[:, None], repeat, base))


def _window_probability(
    customer: np.ndarray, p: np.ndarray, inside: np.ndarray, n: int
) -> np.ndarray:
    """Per customer: 1 - prod(1 - p) over the obligations `inside` (NaN when none)."""
    log_keep = np.zeros(n)
    np.add.at(log_keep, customer[inside], np.log1p(-np.minimum(p[inside], P_CAP)))
    due = np.zeros(n, dtype=bool)
    due[customer[inside]] = True
    return np.where(due, -np.expm1(log_keep), np.nan)


def plan_treatments(
    rng: np.random.Generator,
    *,
    config: SimulationConfig,
    profiles: Profiles,
    latent: Latent,
    customer: np.ndarray,
    due: np.ndarray,
    p_miss: np.ndarray,
) -> Treatments:
    """Assigns the treated weeks' arms and returns the multipliers and the truth of every
    week; `customer`, `due` and `p_miss` describe the chunk's credit obligations."""
    n, weeks = profiles.size, config.as_of_days.shape[0]
    treated_weeks = min(config.treated_weeks, weeks)
    arm = np.full((n, weeks), -1, dtype=np.int8)
    random = np.zeros((n, weeks), dtype=bool)
    reached = np.zeros((n, weeks), dtype=bool)
    p_arms = np.full((n, weeks, len(ARMS)), np.nan)
    segment = np.zeros((n, weeks), dtype=np.int8)
    recent = np.zeros((n, weeks), dtype=bool)
    multiplier = np.ones(p_miss.shape[0])
    last_contact = np.full(n, -(10**6))
    rule = fixed_rule_actions(profiles.product) + 1
    weights = RANDOM_ARM_WEIGHTS / RANDOM_ARM_WEIGHTS.sum()
    for k, t in enumerate(config.as_of_days):
        inside = (due > t) & (due <= t + LABEL_HORIZON_DAYS)
        state = segments(latent, int(t))
        lately = t - last_contact < RECENT_DAYS
        segment[:, k], recent[:, k] = state, lately
        effect = effects(state, lately)
        p_none = _window_probability(customer, p_miss * multiplier, inside, n)
        p_arms[:, k, 0] = p_none
        for a in range(len(ACTIONS)):
            hit = 1.0 - effect[customer, a]
            p_reached = _window_probability(customer, p_miss * hit, inside, n)
            p_arms[:, k, a + 1] = REACH[a] * p_reached + (1 - REACH[a]) * p_none
        # Fixed-size draws every week: the same seed gives the same history.
        noise, repeat, experiment = rng.standard_normal(n), rng.random(n), rng.random(n)
        random_arm = rng.choice(len(ARMS), size=n, p=weights)
        reach_draw = rng.random(n)
        if k >= treated_weeks:
            continue
        due_now = ~np.isnan(p_none)
        score = np.where(due_now, np.nan_to_num(p_none) * np.exp(SCORECARD_NOISE * noise), -1)
        cut = np.quantile(score[due_now], 1 - config.flag_share) if due_now.any() else np.inf
        flagged = due_now & (score >= cut) & (~lately | (repeat < REPEAT_SHARE))
        in_experiment = flagged & (experiment < config.random_share)
        chosen = np.where(in_experiment, random_arm, rule)
        arm[flagged, k] = chosen[flagged]
        random[:, k] = in_experiment
        contacted = flagged & (chosen > 0)
        action = np.maximum(chosen - 1, 0)
        reached[:, k] = contacted & (reach_draw < REACH[action])
        last_contact = np.where(contacted, t, last_contact)
        works = reached[customer, k] & inside
        multiplier = np.where(works, 1.0 - effect[customer, action[customer]], multiplier)
    return Treatments(arm, random, reached, multiplier, p_arms, segment, recent)


def treated_probability(p_miss: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """The miss probability of each credit obligation after the contacts before it."""
    return np.asarray(np.minimum(p_miss * multiplier, P_CAP))
