"""The latent financial-health path of every customer: a daily stress level and its causes.

Stress = vulnerability (income bracket, employment, region, age, affordability, a persistent
idiosyncratic trait) + the effects of shocks (job loss after a warning period of cut hours,
salary delays, a medical bill, a gambling habit, a payday-loan spiral; each with onset, duration
and recovery) + slow, small noise. It is never written out; everything observable (transactions,
obligations and their outcomes) is drawn from it, strongly enough that the trait and the current
state show in behaviour, while the future (new shocks, noise) stays unknown to a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pde.training.data.simulate.events import sigmoid
from pde.training.data.simulate.population import (
    CONTRACT,
    SALARIED,
    STUDENT,
    Profiles,
)

BRACKET_EFFECT = (0.85, 0.45, 0.0, -0.4, -0.8)
EMPLOYMENT_EFFECT = (0.0, 0.25, 0.35, -0.3, 0.8, 0.2)
REGION_EFFECT = (-0.15, 0.0, 0.1, 0.0, 0.05, -0.05, 0.1, 0.3)
JOB_LOSS_RISK = (0.05, 0.07, 0.10, 0.0, 0.0, 0.03)  # per employment type, over the period
NOISE_PERSISTENCE = 0.99
NOISE_STEP = 0.008
WARNING_DAYS = 45  # before a job loss: hours cut, pay shrinks, stress builds
# Shock incidences below are per this many simulated days; longer runs scale them so that the
# daily hazard (and so the default rate) does not depend on the length of the run.
REFERENCE_DAYS = 148


@dataclass
class Latent:
    """The latent path of one chunk; (n, days) matrices unless noted."""

    stress: np.ndarray
    jobless: np.ndarray  # bool: out of work (salary stops)
    hours_cut: np.ndarray  # bool: the weeks before a job loss (smaller pay)
    loss_day: np.ndarray  # (n,) day a job is lost (outside the period: none)
    salary_delayed: np.ndarray  # bool: employer in a salary-delay episode
    spiral: np.ndarray  # bool: in a payday-loan spiral
    problem_gambler: np.ndarray  # (n,) bool
    gamble_start: np.ndarray  # (n,) day a problem habit starts (outside the period: none)
    casual_gambler: np.ndarray  # (n,) bool: gambles small amounts, unrelated to stress
    medical_day: np.ndarray  # (n,) day of a large medical bill (outside the period: none)


def _window(days: np.ndarray, onset: np.ndarray, end: np.ndarray) -> np.ndarray:
    return (days >= onset[:, None]) & (days < end[:, None])


def _after(days: np.ndarray, moment: np.ndarray, half_life: float) -> np.ndarray:
    """exp decay from `moment` on (0 before it)."""
    elapsed = days - moment[:, None]
    return np.where(elapsed >= 0, np.exp(-np.maximum(elapsed, 0) / half_life), 0.0)


def _ramp(days: np.ndarray, onset: np.ndarray, length: float) -> np.ndarray:
    return np.asarray(np.clip((days - onset[:, None]) / length, 0.0, 1.0))


def _incidence(rate: np.ndarray | float, n_days: int, lead: float) -> np.ndarray:
    """Share of customers whose shock starts in [-lead, n_days), from its reference rate."""
    return np.minimum(1.0, np.asarray(rate) * (n_days + lead) / (REFERENCE_DAYS + lead))


def draw_latent(rng: np.random.Generator, profiles: Profiles, n_days: int) -> Latent:
    """Draws the stress paths of the customers in `profiles` over `n_days` days."""
    n = profiles.size
    days = np.arange(n_days)[None, :]
    never = np.full(n, 10 * n_days, dtype=float)
    vulnerability = 0.38 * rng.standard_normal(n)  # a persistent trait, shown in behaviour
    affordability = 3.0 * (profiles.obligation / profiles.income - 0.12)
    base = (
        np.asarray(BRACKET_EFFECT)[profiles.bracket]
        + np.asarray(EMPLOYMENT_EFFECT)[profiles.employment]
        + np.asarray(REGION_EFFECT)[profiles.region]
        + np.where(profiles.age < 26, 0.25, 0.0)
        + affordability
        + vulnerability
    )

    # Job loss (for the self-employed: the business fails); recovery when work is found.
    loss_risk = np.asarray(JOB_LOSS_RISK)[profiles.employment] * np.where(
        profiles.bracket <= 1, 1.3, 1.0
    )
    loses_job = rng.random(n) < _incidence(loss_risk, n_days, 60)
    loss_start = np.where(loses_job, rng.uniform(-60, n_days, n), never)
    loss_end = loss_start + rng.exponential(80.0, n) + 14
    jobless = _window(days, loss_start, loss_end)
    hours_cut = _window(days, loss_start - WARNING_DAYS, loss_start)
    stress = base[:, None] + 1.5 * jobless + 1.5 * _after(days, loss_end, 25.0) * ~jobless
    stress += 1.0 * _ramp(days, loss_start - WARNING_DAYS, WARNING_DAYS) * hours_cut

    # Salary delays: the employer pays late for a while.
    delay_risk = np.where(np.isin(profiles.employment, (SALARIED, CONTRACT)), 0.08, 0.0)
    delay_risk = delay_risk + np.where(profiles.bracket <= 1, 0.04, 0.0)
    delays = rng.random(n) < _incidence(delay_risk, n_days, 30)
    delay_start = np.where(delays, rng.uniform(-30, n_days, n), never)
    salary_delayed = _window(days, delay_start, delay_start + rng.exponential(70.0, n) + 20)
    stress += 0.6 * salary_delayed

    medical = rng.random(n) < _incidence(0.05, n_days, 40)
    medical_day = np.where(medical, rng.integers(-40, n_days, n), never).astype(int)
    stress += 1.1 * _after(days, medical_day.astype(float), 45.0)

    # Gambling: a problem habit escalates and adds stress; casual gambling adds none.
    problem_risk = 0.02 + np.where(profiles.age < 35, 0.03, 0.0) + np.where(base > 0.8, 0.02, 0)
    problem_gambler = (rng.random(n) < problem_risk) & (profiles.employment != STUDENT)
    gamble_start = np.where(problem_gambler, rng.uniform(-150, 0.6 * n_days, n), never)
    stress += (0.4 + 0.9 * _ramp(days, gamble_start, 100.0)) * (days >= gamble_start[:, None])
    casual_gambler = ~problem_gambler & (rng.random(n) < 0.08)

    # Payday-loan spiral: more likely for the vulnerable, and after a job loss or medical bill.
    spiral_start = np.where(
        rng.random(n) < _incidence(sigmoid(-3.7 + 1.0 * base), n_days, 45),
        rng.uniform(-45, n_days, n),
        never,
    )
    shocked = loses_job | medical
    follows = shocked & (rng.random(n) < 0.25)
    trigger = np.minimum(loss_start, medical_day.astype(float)) + rng.uniform(10, 40, n)
    spiral_start = np.where(follows, np.minimum(spiral_start, trigger), spiral_start)
    recovers = rng.random(n) < 0.35
    spiral_end = np.where(recovers, spiral_start + rng.exponential(60.0, n) + 20, never * 2)
    spiral = _window(days, spiral_start, spiral_end)
    stress += (0.2 + 1.2 * _ramp(days, spiral_start, 60.0)) * spiral
    stress += 0.8 * _after(days, spiral_end, 30.0) * ~spiral

    # Slow idiosyncratic noise (AR(1), started from its stationary distribution).
    noise = np.empty((n, n_days))
    level = NOISE_STEP / np.sqrt(1 - NOISE_PERSISTENCE**2) * rng.standard_normal(n)
    steps = NOISE_STEP * rng.standard_normal((n, n_days))
    for d in range(n_days):
        level = NOISE_PERSISTENCE * level + steps[:, d]
        noise[:, d] = level
    stress += noise

    return Latent(
        stress=stress,
        jobless=jobless,
        hours_cut=hours_cut,
        loss_day=np.floor(loss_start).astype(int),
        salary_delayed=salary_delayed,
        spiral=spiral,
        problem_gambler=problem_gambler,
        gamble_start=gamble_start,
        casual_gambler=casual_gambler,
        medical_day=medical_day,
    )
