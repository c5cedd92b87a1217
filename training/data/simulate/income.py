"""Money coming in and savings: salary (timing and amount), other income, transfers, savings."""

from __future__ import annotations

import numpy as np

from pde.training.data.simulate.config import Calendar
from pde.training.data.simulate.events import Events, lognormal, poisson_days, sigmoid
from pde.training.data.simulate.latent import Latent
from pde.training.data.simulate.population import (
    RETIRED,
    SELF_EMPLOYED,
    STUDENT,
    UNEMPLOYED,
    Profiles,
)


def paydays(calendar: Calendar, profiles: Profiles) -> np.ndarray:
    """(n, months) scheduled salary days (moved back to Friday when on a weekend)."""
    return calendar.previous_workday(calendar.monthly_days(profiles.payday))


def _in_period(days: np.ndarray, n_days: int) -> np.ndarray:
    return (days >= 0) & (days < n_days)


def _monthly(
    rng: np.random.Generator,
    *,
    days: np.ndarray,
    who: np.ndarray,
    amount: np.ndarray,
    category: str,
    channels: tuple[str, ...],
    n_days: int,
    hours: tuple[int, int] = (0, 6),
) -> Events:
    """One event per (customer, month) where `who` holds and the day is in the period."""
    keep = who & _in_period(days, n_days)
    customer, month = np.nonzero(keep)
    return Events.make(
        rng,
        customer=customer,
        day=days[customer, month],
        amount=amount[customer, month],
        category=category,
        channels=channels,
        hours=hours,
    )


def income_events(
    rng: np.random.Generator, calendar: Calendar, profiles: Profiles, latent: Latent
) -> Events:
    """Salary, pensions and benefits, self-employed income, transfers and savings moves."""
    n, n_days, months = profiles.size, calendar.days, calendar.months
    income = profiles.income[:, None]
    scheduled = paydays(calendar, profiles)
    clipped = np.clip(scheduled, 0, n_days - 1)
    rows = np.arange(n)[:, None]
    parts = []

    # Salary: stops while out of work; late (and sometimes short) in a salary-delay episode.
    delayed = latent.salary_delayed[rows, clipped] & (rng.random((n, months)) < 0.9)
    actual = scheduled + np.where(delayed, rng.integers(2, 13, (n, months)), 0)
    short = delayed & (rng.random((n, months)) < 0.2)
    pay = income * (1 + 0.02 * rng.standard_normal((n, months)))
    pay *= np.where(short, rng.uniform(0.5, 0.9, (n, months)), 1.0)
    pay *= np.where(latent.hours_cut[rows, clipped], rng.uniform(0.6, 0.9, (n, months)), 1.0)
    working = profiles.has_salary[:, None] & ~latent.jobless[rows, clipped]
    salary = dict(days=actual, amount=pay, category="salary", channels=("online",))
    parts.append(_monthly(rng, who=working, n_days=n_days, **salary))  # type: ignore[arg-type]
    # The last, pro-rata pay arrives on the day the job is lost, off the usual cycle.
    leaver = np.nonzero(profiles.has_salary & _in_period(latent.loss_day, n_days))[0]
    parts.append(
        Events.make(
            rng,
            customer=leaver,
            day=latent.loss_day[leaver],
            amount=profiles.income[leaver] * rng.uniform(0.2, 0.9, leaver.shape[0]),
            category="salary",
            channels=("online",),
            hours=(0, 6),
        )
    )

    first = calendar.previous_workday(calendar.monthly_days(np.ones(n, dtype=int)))
    fifteenth = calendar.previous_workday(calendar.monthly_days(np.full(n, 15)))
    pension = np.repeat(income, months, 1)
    retired = np.repeat((profiles.employment == RETIRED)[:, None], months, 1)
    parts.append(
        _monthly(
            rng,
            days=first,
            who=retired,
            amount=pension,
            category="other_income",
            channels=("online",),
            n_days=n_days,
        )
    )
    benefits = (profiles.employment == UNEMPLOYED)[:, None] | (
        profiles.has_salary[:, None] & latent.jobless[rows, np.clip(fifteenth, 0, n_days - 1)]
    )
    parts.append(
        _monthly(
            rng,
            days=fifteenth,
            who=benefits,
            amount=0.45 * pension,
            category="other_income",
            channels=("online",),
            n_days=n_days,
        )
    )
    family = np.repeat((profiles.employment == STUDENT)[:, None], months, 1)
    parts.append(
        _monthly(
            rng,
            days=first,
            who=family,
            amount=0.7 * pension,
            category="transfer_in",
            channels=("mobile", "online"),
            n_days=n_days,
            hours=(8, 22),
        )
    )

    # Self-employed: irregular invoices, fewer and smaller under stress.
    self_employed = (profiles.employment == SELF_EMPLOYED)[:, None]
    rate = self_employed * (4 / 30) * np.where(latent.jobless, 0.3, 1.0)
    customer, day = poisson_days(rng, rate)
    scale = (
        profiles.income[customer] / 4 * np.exp(-0.2 * np.maximum(latent.stress[customer, day], 0))
    )
    parts.append(
        Events.make(
            rng,
            customer=customer,
            day=day,
            amount=lognormal(rng, scale, 0.5),
            category="other_income",
            channels=("online", "branch"),
        )
    )

    # Family help and ordinary transfers; the stressed receive help more often.
    rate_in = 0.03 * (1 + 0.6 * np.maximum(latent.stress - 1.0, 0))
    for category, rate, sign in (("transfer_in", rate_in, 1.0), ("transfer_out", 0.035, -1.0)):
        customer, day = poisson_days(rng, np.broadcast_to(rate, (n, n_days)))
        amount = sign * lognormal(rng, profiles.income[customer] * 0.05, 0.8)
        parts.append(
            Events.make(
                rng,
                customer=customer,
                day=day,
                amount=amount,
                category=category,
                channels=("mobile", "online", "branch"),
            )
        )

    # Savings: the comfortable put money aside after payday; the stressed draw savings down.
    moment = scheduled + 2
    stress_then = latent.stress[rows, np.clip(moment, 0, n_days - 1)]
    saves = rng.random((n, months)) < 0.85 * sigmoid(0.6 - 3.0 * stress_then)
    draws = ~saves & (rng.random((n, months)) < sigmoid(-3.0 + 3.0 * stress_then))
    draws |= ~saves & (rng.random((n, months)) < 0.04)  # a big purchase: not a stress signal
    amount = np.where(
        saves,
        -income * rng.uniform(0.05, 0.2, (n, months)),
        income * rng.uniform(0.1, 0.5, (n, months)),
    )
    parts.append(
        _monthly(
            rng,
            days=moment,
            who=saves | draws,
            amount=amount,
            category="savings_transfer",
            channels=("mobile", "online"),
            n_days=n_days,
            hours=(7, 23),
        )
    )
    return Events.concat(parts)
