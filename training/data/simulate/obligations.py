"""Obligations (credit repayments, utility bills, rent), how they were paid, and the truth.

A credit repayment due on day d is missed with probability p = sigmoid(A + B * stress[d]);
the realised outcome is drawn from that same p, and the true probability of the 30-day label
at as-of day t is 1 - prod(1 - p) over the credit repayments due in (t, t + 30].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pde.contracts.data.schema import LABEL_HORIZON_DAYS, OBLIGATION_KINDS, PRODUCTS
from pde.training.data.simulate.config import Calendar, SimulationConfig
from pde.training.data.simulate.events import Events, sigmoid
from pde.training.data.simulate.latent import Latent
from pde.training.data.simulate.population import Profiles
from pde.training.data.simulate.treatments import (
    Treatments,
    plan_treatments,
    treated_probability,
)

MISS_INTERCEPT = -3.9
MISS_SLOPE = 1.8
UTILITY_LATE = (-3.4, 1.6)  # intercept, slope on stress
RENT_LATE = (-3.6, 1.6)
FAILED_DEBIT = (-4.0, 1.6)  # an auto-debit failing although the customer then pays in grace
RETURNED_DEBIT_FEE = 15.0
KIND_OF_PRODUCT = {
    "credit_card": "card",
    "personal_loan": "loan",
    "mortgage": "mortgage",
    "overdraft": "loan",
    "auto_loan": "loan",
}
KIND = {name: i for i, name in enumerate(OBLIGATION_KINDS)}
NO_STATUS, SUCCESS, FAILED = -1, 0, 1


@dataclass
class Obligations:
    """Payments rows of one chunk (flat arrays) and the chunk's truth and labels."""

    customer: np.ndarray
    kind: np.ndarray  # index into OBLIGATION_KINDS
    month: np.ndarray  # index into the calendar's months
    due_day: np.ndarray
    amount_due: np.ndarray
    paid_day: np.ndarray  # float, NaN while unpaid
    amount_paid: np.ndarray
    auto_debit: np.ndarray
    status: np.ndarray  # NO_STATUS, SUCCESS or FAILED
    truth: np.ndarray  # (n, weeks) true label probability, NaN when nothing is due
    label: np.ndarray  # (n, weeks) realised label: 1, 0, or -1 when nothing is due
    treatments: Treatments | None = None
    # (paid_day, amount_paid, status) of every row without the contacts; None: no contacts.
    untreated: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def changed(self) -> np.ndarray:
        """Rows whose settlement the contacts changed (none without contacts)."""
        if self.untreated is None:
            return np.zeros(self.customer.shape[0], dtype=bool)
        paid, amount, status = self.untreated
        same_day = (paid == self.paid_day) | (np.isnan(paid) & np.isnan(self.paid_day))
        return np.asarray(~(same_day & (amount == self.amount_paid) & (status == self.status)))

    def select(self, rows: np.ndarray, *, untreated: bool = False) -> Obligations:
        """The rows `rows` (a mask or indices), settled with or without the contacts."""
        paid, amount, status = (
            self.untreated
            if untreated and self.untreated is not None
            else (self.paid_day, self.amount_paid, self.status)
        )
        return Obligations(
            customer=self.customer[rows],
            kind=self.kind[rows],
            month=self.month[rows],
            due_day=self.due_day[rows],
            amount_due=self.amount_due[rows],
            paid_day=paid[rows],
            amount_paid=amount[rows],
            auto_debit=self.auto_debit[rows],
            status=status[rows],
            truth=self.truth,
            label=self.label,
        )


@dataclass
class _Schedule:
    customer: np.ndarray
    month: np.ndarray
    due: np.ndarray
    amount: np.ndarray
    auto: np.ndarray
    stress: np.ndarray


def _schedule(
    due: np.ndarray, present: np.ndarray, amount: np.ndarray, auto: np.ndarray, stress: np.ndarray
) -> _Schedule:
    customer, month = np.nonzero(present)
    day = due[customer, month]
    return _Schedule(
        customer, month, day, amount[customer, month], auto[customer], stress[customer, day]
    )


@dataclass
class _SettleDraws:
    """The random numbers settling a schedule takes, drawn once whatever is missed."""

    u: np.ndarray
    late_days: np.ndarray
    grace_days: np.ndarray
    early_days: np.ndarray
    fail: np.ndarray
    late: np.ndarray
    part: np.ndarray
    part_share: np.ndarray
    short_share: np.ndarray


def _settle_draws(rng: np.random.Generator, size: int) -> _SettleDraws:
    return _SettleDraws(
        u=rng.random(size),
        late_days=rng.integers(6, 46, size),
        grace_days=rng.integers(1, 6, size),
        early_days=rng.integers(0, 6, size),
        fail=rng.random(size),
        late=rng.random(size),
        part=rng.random(size),
        part_share=rng.uniform(0.5, 1.0, size),
        short_share=rng.uniform(0.1, 0.45, size),
    )


def _settle(
    d: _SettleDraws, s: _Schedule, missed: np.ndarray, *, card: np.ndarray, last_day: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paid day (NaN: unpaid), amount paid and auto-debit status of scheduled obligations."""
    fails = s.auto & (missed | (d.fail < sigmoid(FAILED_DEBIT[0] + FAILED_DEBIT[1] * s.stress)))
    late_in_grace = fails | (~s.auto & (d.late < sigmoid(-2.4 + 2.0 * s.stress)))
    paid_day = np.where(
        s.auto & ~fails,
        s.due,
        np.where(late_in_grace, s.due + d.grace_days, s.due - d.early_days),
    ).astype(float)
    part = card & (d.part < sigmoid(-2.2 + 2.0 * s.stress))
    amount_paid = s.amount * np.where(part, d.part_share, 1.0)
    # Missed: unpaid (45%), paid after the grace period (40%), or paid less than half (15%).
    unpaid, late = d.u < 0.45, (d.u >= 0.45) & (d.u < 0.85)
    short = missed & ~unpaid & ~late
    paid_day = np.where(missed & late, s.due + d.late_days, paid_day)
    paid_day = np.where(missed & unpaid, np.nan, paid_day)
    amount_paid = np.where(short, s.amount * d.short_share, amount_paid)
    beyond = ~(paid_day <= last_day)
    paid_day = np.where(beyond, np.nan, np.maximum(paid_day, 0))
    amount_paid = np.where(beyond, 0.0, np.round(amount_paid, 2))
    status = np.where(s.auto, np.where(fails, FAILED, SUCCESS), NO_STATUS)
    return paid_day, amount_paid, status


def draw_obligations(
    rng: np.random.Generator,
    *,
    config: SimulationConfig,
    calendar: Calendar,
    profiles: Profiles,
    latent: Latent,
    treat_rng: np.random.Generator | None = None,
) -> Obligations:
    """Credit repayments, utility bills and rent with their outcomes, the truth and labels.

    With `treat_rng`, the treated weeks' contacts change the credit repayments' miss
    probabilities (see `treatments`); the same uniform number decides each repayment with or
    without them, so a repayment no contact touched is settled exactly as without."""
    n, months = profiles.size, calendar.months
    last_due = config.last_due_day
    parts: list[tuple[str, _Schedule, np.ndarray]] = []

    due = calendar.monthly_days(profiles.due_day)
    present = (due >= 0) & (due <= last_due)
    present &= np.arange(months)[None, :] <= profiles.maturity_month[:, None]
    wobble = np.where(profiles.product == PRODUCTS.index("credit_card"), 0.2, 0.0)[:, None]
    amount = profiles.obligation[:, None] * (1 + wobble * rng.uniform(-1, 1, (n, months)))
    credit = _schedule(due, present, np.round(amount, 2), profiles.credit_auto_debit, latent.stress)
    p_miss = sigmoid(MISS_INTERCEPT + MISS_SLOPE * credit.stress)
    kinds = np.array([KIND[KIND_OF_PRODUCT[p]] for p in PRODUCTS])[profiles.product]
    parts.append(("credit", credit, p_miss))

    due = calendar.monthly_days(profiles.utility_day)
    bill = (
        profiles.income[:, None]
        * rng.uniform(0.03, 0.06, (n, 1))
        * rng.uniform(0.85, 1.15, (n, months))
    )
    utility = _schedule(
        due, (due >= 0) & (due <= last_due), bill, profiles.utility_auto_debit, latent.stress
    )
    parts.append(("utility", utility, sigmoid(UTILITY_LATE[0] + UTILITY_LATE[1] * utility.stress)))

    due = calendar.monthly_days(np.ones(n, dtype=int))
    rent_amount = np.repeat(profiles.income[:, None] * rng.uniform(0.22, 0.35, (n, 1)), months, 1)
    present = (due >= 0) & (due <= last_due) & profiles.renter[:, None]
    rent = _schedule(due, present, rent_amount, np.zeros(n, dtype=bool), latent.stress)
    parts.append(("rent", rent, sigmoid(RENT_LATE[0] + RENT_LATE[1] * rent.stress)))

    treatments = None
    if treat_rng is not None:
        treatments = plan_treatments(
            treat_rng,
            config=config,
            profiles=profiles,
            latent=latent,
            customer=credit.customer,
            due=credit.due,
            p_miss=p_miss,
        )
    settled = []
    untreated: tuple[np.ndarray, ...] | None = None
    for name, schedule, p_part in parts:
        p = p_part
        u = rng.random(p.shape[0])
        kind = kinds[schedule.customer] if name == "credit" else np.full(p.shape[0], KIND[name])
        draws = _settle_draws(rng, p.shape[0])
        card, last_day = kind == KIND["card"], config.days - 1
        missed = u < p
        if name == "credit" and treatments is not None:
            untreated = _settle(draws, schedule, missed, card=card, last_day=last_day)
            p = p_miss = treated_probability(p, treatments.multiplier)
            missed = u < p
        outcome = _settle(draws, schedule, missed, card=card, last_day=last_day)
        settled.append((schedule, kind, missed, *outcome))
    truth, label = _truth(config, n, credit, p_miss, settled[0][2])

    def column(index: int) -> np.ndarray:
        return np.concatenate([row[index] for row in settled])

    schedules = [row[0] for row in settled]
    return Obligations(
        customer=np.concatenate([s.customer for s in schedules]),
        kind=column(1),
        month=np.concatenate([s.month for s in schedules]),
        due_day=np.concatenate([s.due for s in schedules]),
        amount_due=np.round(np.concatenate([s.amount for s in schedules]), 2),
        paid_day=column(3),
        amount_paid=column(4),
        auto_debit=np.concatenate([s.auto for s in schedules]),
        status=column(5),
        truth=truth,
        label=label,
        treatments=treatments,
        untreated=None if untreated is None else _untreated(untreated, column),
    )


def _untreated(
    credit: tuple[np.ndarray, ...], column: Callable[[int], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paid day, amount paid and status of every row as if no contact had happened (credit
    rows come first)."""
    rows = credit[0].shape[0]
    return tuple(  # type: ignore[return-value]
        np.concatenate([credit[i], column(index)[rows:]]) for i, index in enumerate((3, 4, 5))
    )


def _truth(
    config: SimulationConfig, n: int, s: _Schedule, p: np.ndarray, missed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n, weeks) true probability and realised label of a credit miss in each 30-day window."""
    weeks = config.as_of_days.shape[0]
    log_keep = np.zeros((n, weeks))
    any_due = np.zeros((n, weeks), dtype=bool)
    any_missed = np.zeros((n, weeks), dtype=bool)
    for k, t in enumerate(config.as_of_days):
        inside = (s.due > t) & (s.due <= t + LABEL_HORIZON_DAYS)
        who = s.customer[inside]
        np.add.at(log_keep[:, k], who, np.log1p(-p[inside]))
        any_due[who, k] = True
        np.logical_or.at(any_missed[:, k], who, missed[inside])
    truth = np.where(any_due, -np.expm1(log_keep), np.nan)
    label = np.where(any_due, any_missed.astype(np.int8), np.int8(-1))
    return truth, label


def obligation_events(rng: np.random.Generator, o: Obligations) -> Events:
    """The transactions that obligations leave: repayments and bills paid, returned-debit fees."""
    return indexed_obligation_events(rng, o)[0]


def indexed_obligation_events(
    rng: np.random.Generator, o: Obligations
) -> tuple[Events, np.ndarray]:
    """`obligation_events`, with the row of `o` each event comes from."""
    paid = ~np.isnan(o.paid_day) & (o.amount_paid > 0)
    category = np.array(["loan_repayment"] * len(OBLIGATION_KINDS), dtype=object)
    category[KIND["utility"]], category[KIND["rent"]] = "utility", "rent"
    parts, sources = [], []
    for name in ("loan_repayment", "utility", "rent"):
        of_kind = paid & (category[o.kind] == name)
        debit = of_kind & (o.status == SUCCESS)
        manual = of_kind & (o.status != SUCCESS)
        channels = ("standing_order",) if name == "rent" else ("online", "mobile", "branch")
        for mask, via, hours in ((debit, ("direct_debit",), (1, 6)), (manual, channels, (7, 22))):
            parts.append(
                Events.make(
                    rng,
                    customer=o.customer[mask],
                    day=o.paid_day[mask].astype(int),
                    amount=-o.amount_paid[mask],
                    category=name,
                    channels=via,
                    hours=hours,
                )
            )
            sources.append(np.flatnonzero(mask))
    failed = o.status == FAILED
    parts.append(
        Events.make(
            rng,
            customer=o.customer[failed],
            day=o.due_day[failed],
            amount=np.full(int(failed.sum()), -RETURNED_DEBIT_FEE),
            category="fees",
            channels=("direct_debit",),
            hours=(6, 9),
        )
    )
    sources.append(np.flatnonzero(failed))
    return Events.concat(parts), np.concatenate(sources)


def treated_obligation_events(
    rng: np.random.Generator, treat_rng: np.random.Generator, o: Obligations
) -> Events:
    """The obligations' transactions when contacts changed some settlements: the rows no
    contact changed keep the events (and `rng` the draws) they have without contacts; the
    changed rows' events are drawn from `treat_rng`."""
    if o.untreated is None:
        return obligation_events(rng, o)
    changed = o.changed()
    events, source = indexed_obligation_events(
        rng, o.select(np.arange(len(changed)), untreated=True)
    )
    redrawn = obligation_events(treat_rng, o.select(changed))
    return Events.concat([events.take(~changed[source]), redrawn])
