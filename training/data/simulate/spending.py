"""Money going out: everyday spending, cash, gambling, lending apps, a medical bill."""

from __future__ import annotations

import numpy as np

from pde.training.data.simulate.config import Calendar
from pde.training.data.simulate.events import Events, lognormal, poisson_days, sigmoid
from pde.training.data.simulate.latent import Latent
from pde.training.data.simulate.population import Profiles

CASH_BEFORE_PAYDAY = 4  # days before salary day when the stressed take cash out
BOOST_AFTER_PAYDAY = 7  # days after salary day when spending is higher


def _near(scheduled: np.ndarray, offsets: range, n_days: int) -> np.ndarray:
    """(n, days) True on the given offsets from any of the scheduled days."""
    n = scheduled.shape[0]
    mask = np.zeros((n, n_days), dtype=bool)
    rows = np.repeat(np.arange(n)[:, None], scheduled.shape[1], 1)
    for offset in offsets:
        day = scheduled + offset
        ok = (day >= 0) & (day < n_days)
        mask[rows[ok], day[ok]] = True
    return mask


def _draw(
    rng: np.random.Generator,
    rate: np.ndarray,
    *,
    scale: np.ndarray,
    sigma: float,
    category: str,
    channels: tuple[str, ...],
    sign: float = -1.0,
) -> Events:
    """Poisson events with lognormal amounts whose median is scale[customer, day]."""
    customer, day = poisson_days(rng, rate)
    amount = sign * lognormal(rng, scale[customer, day], sigma)
    return Events.make(
        rng, customer=customer, day=day, amount=amount, category=category, channels=channels
    )


def spending_events(
    rng: np.random.Generator,
    calendar: Calendar,
    profiles: Profiles,
    latent: Latent,
    scheduled_paydays: np.ndarray,
) -> Events:
    """Everyday spending plus the stress signals: ATM cash, gambling, lending apps."""
    n, n_days = profiles.size, calendar.days
    s = latent.stress
    excess = np.maximum(s - 0.2, 0.0)
    income = np.broadcast_to(profiles.income[:, None], (n, n_days))
    weekend = (calendar.weekday >= 5)[None, :]
    after_payday = _near(scheduled_paydays, range(BOOST_AFTER_PAYDAY), n_days)
    before_payday = _near(scheduled_paydays, range(-CASH_BEFORE_PAYDAY, 0), n_days)
    clipped = np.clip(s, -1.5, 3.0)
    restraint = np.exp(-0.6 * clipped)  # discretionary spending shrinks under stress
    pressure = np.exp(0.3 * clipped)  # essentials cost the stressed more of their income
    parts = [
        _draw(
            rng,
            0.32 * np.where(after_payday, 1.3, 1.0),
            scale=0.012 * income * pressure,
            sigma=0.5,
            category="groceries",
            channels=("card",),
        ),
        _draw(
            rng,
            0.25 * restraint,
            scale=0.015 * income,
            sigma=0.8,
            category="card_purchase",
            channels=("card", "online"),
        ),
        _draw(
            rng,
            0.09 * np.where(weekend, 1.8, 1.0) * restraint,
            scale=0.01 * income,
            sigma=0.5,
            category="dining",
            channels=("card",),
        ),
        _draw(
            rng,
            0.035 * restraint,
            scale=0.012 * income,
            sigma=0.6,
            category="entertainment",
            channels=("card", "online"),
        ),
        _draw(
            rng,
            np.full((n, n_days), 0.006),
            scale=0.15 * income,
            sigma=0.7,
            category="travel",
            channels=("card", "online"),
        ),
        _draw(
            rng,
            0.08 * profiles.has_car[:, None] * np.ones((1, n_days)),
            scale=0.02 * income,
            sigma=0.3,
            category="fuel",
            channels=("card",),
        ),
        _draw(
            rng,
            np.full((n, n_days), 0.015),
            scale=0.02 * income,
            sigma=0.8,
            category="healthcare",
            channels=("card",),
        ),
        _draw(
            rng,
            np.full((n, n_days), 0.02),
            scale=0.01 * income,
            sigma=1.0,
            category="other",
            channels=("card", "online", "branch"),
        ),
    ]

    # Cash: heavy cash users exist at every level of health; stress adds spikes and hoarding.
    atm_rate = 0.06 * profiles.cash_preference[:, None] * np.exp(0.7 * excess)
    atm_rate = atm_rate + np.where(before_payday, 0.3 * sigmoid(2.0 * (s - 1.0)), 0.0)
    cash = 60 * np.sqrt(income / 3000) * (1 + 0.4 * excess)
    atm = _draw(rng, atm_rate, scale=cash, sigma=0.5, category="atm_withdrawal", channels=("atm",))
    atm.amount = -np.maximum(np.round(-atm.amount, -1), 20.0)
    parts.append(atm)

    # Gambling: problem gamblers bet more as stress grows; casual gamblers bet small.
    problem = latent.problem_gambler[:, None] * 0.1 * (1 + 0.5 * np.maximum(s, 0))
    casual = latent.casual_gambler[:, None] * np.full((1, n_days), 0.03)
    for rate, scale in ((problem, 0.02 * income), (casual, np.full((n, n_days), 15.0))):
        bets = _draw(
            rng, rate, scale=scale, sigma=0.8, category="gambling", channels=("online", "mobile")
        )
        wins = rng.random(bets.amount.shape[0]) < 0.12
        bets.amount = np.where(wins, -2.5 * bets.amount, bets.amount)
        parts.append(bets)

    # Lending apps: a spiral borrows and repays often; a few healthy customers use pay-later.
    pay_later = (rng.random(n) < 0.04)[:, None] * np.full((1, n_days), 0.012)
    loans = _draw(
        rng,
        latent.spiral * 0.12 + pay_later,
        scale=0.08 * income,
        sigma=0.6,
        category="lending_app",
        channels=("mobile",),
    )
    borrowed = latent.spiral[loans.customer, loans.day] & (rng.random(loans.amount.shape[0]) < 0.4)
    loans.amount = np.where(borrowed, -2.5 * loans.amount, loans.amount)
    parts.append(loans)

    medical = (latent.medical_day >= 0) & (latent.medical_day < n_days)
    customer = np.nonzero(medical)[0]
    bill = profiles.income[customer] * rng.uniform(0.5, 2.5, customer.shape[0])
    parts.append(
        Events.make(
            rng,
            customer=customer,
            day=latent.medical_day[customer],
            amount=-bill,
            category="healthcare",
            channels=("card", "online"),
        )
    )
    return Events.concat(parts)
