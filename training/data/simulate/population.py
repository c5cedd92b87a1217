"""Who the customers are: static profiles drawn once per customer (heterogeneity lives here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pde.contracts.data.schema import EMPLOYMENT_TYPES, INCOME_BRACKETS, PRODUCTS

REGIONS = ("capital", "north", "south", "east", "west", "central", "coast", "rural")
REGION_SHARE = (0.22, 0.14, 0.14, 0.12, 0.12, 0.10, 0.08, 0.08)
REGION_INCOME = (1.15, 1.0, 0.95, 1.0, 1.0, 1.05, 0.95, 0.85)
BRACKET_SHARE = (0.20, 0.25, 0.30, 0.15, 0.10)
BRACKET_INCOME = (1100.0, 1900.0, 3000.0, 4800.0, 8500.0)  # monthly, currency units
EMPLOYMENT_SHARE = (0.58, 0.12, 0.10, 0.10, 0.04, 0.06)
EMPLOYMENT_INCOME = (1.0, 1.0, 0.95, 0.7, 0.35, 0.4)
PRODUCT_SHARE = (0.45, 0.25, 0.12, 0.10, 0.08)
# Monthly repayment as a share of income, and credit limit as a multiple (of income for cards
# and overdrafts, of the repayment for amortising loans), per product.
OBLIGATION_SHARE = ((0.04, 0.12), (0.08, 0.20), (0.20, 0.35), (0.03, 0.08), (0.08, 0.18))
LIMIT_MULTIPLE = ((1.0, 4.0), (24.0, 60.0), (150.0, 300.0), (0.5, 1.5), (36.0, 60.0))
LIMIT_OF_INCOME = (True, False, False, True, False)
PAYDAYS = (25, 28, 0, 1, 15)  # 0 = last day of the month
PAYDAY_SHARE = (0.35, 0.15, 0.25, 0.15, 0.10)

SALARIED = EMPLOYMENT_TYPES.index("salaried")
SELF_EMPLOYED = EMPLOYMENT_TYPES.index("self_employed")
CONTRACT = EMPLOYMENT_TYPES.index("contract")
RETIRED = EMPLOYMENT_TYPES.index("retired")
UNEMPLOYED = EMPLOYMENT_TYPES.index("unemployed")
STUDENT = EMPLOYMENT_TYPES.index("student")
MORTGAGE = PRODUCTS.index("mortgage")
CARD = PRODUCTS.index("credit_card")


@dataclass
class Profiles:
    """Static attributes of the customers of one chunk, as parallel arrays."""

    bracket: np.ndarray
    employment: np.ndarray
    region: np.ndarray
    age: np.ndarray
    income: np.ndarray  # typical monthly income
    product: np.ndarray
    obligation: np.ndarray  # contractual monthly repayment
    credit_limit: np.ndarray
    due_day: np.ndarray  # day of month the credit repayment is due (1..28)
    payday: np.ndarray  # day of month salary is paid (0 = last day)
    credit_auto_debit: np.ndarray
    utility_auto_debit: np.ndarray
    utility_day: np.ndarray
    renter: np.ndarray
    cash_preference: np.ndarray  # multiplies ATM use; unrelated to financial health
    has_car: np.ndarray
    maturity_month: np.ndarray  # month index of the last loan instalment (large: none)
    tenure_days: np.ndarray

    @property
    def size(self) -> int:
        return int(self.bracket.shape[0])

    @property
    def has_salary(self) -> np.ndarray:
        return np.isin(self.employment, (SALARIED, CONTRACT))


def draw_profiles(rng: np.random.Generator, n: int, months: int) -> Profiles:
    """Draws `n` customer profiles."""
    bracket = rng.choice(len(INCOME_BRACKETS), size=n, p=BRACKET_SHARE)
    employment = rng.choice(len(EMPLOYMENT_TYPES), size=n, p=EMPLOYMENT_SHARE)
    region = rng.choice(len(REGIONS), size=n, p=REGION_SHARE)
    age = np.select(
        [employment == STUDENT, employment == RETIRED],
        [rng.integers(18, 27, n), rng.integers(62, 86, n)],
        rng.integers(21, 65, n),
    )
    income = (
        np.asarray(BRACKET_INCOME)[bracket]
        * np.asarray(EMPLOYMENT_INCOME)[employment]
        * np.asarray(REGION_INCOME)[region]
        * np.exp(0.18 * rng.standard_normal(n))
    )
    product = rng.choice(len(PRODUCTS), size=n, p=PRODUCT_SHARE)
    no_mortgage = (bracket == 0) | (employment == STUDENT) | (employment == UNEMPLOYED)
    product = np.where((product == MORTGAGE) & no_mortgage, CARD, product)
    share = np.asarray(OBLIGATION_SHARE)[product]
    obligation = income * rng.uniform(share[:, 0], share[:, 1])
    multiple = np.asarray(LIMIT_MULTIPLE)[product]
    base = np.where(np.asarray(LIMIT_OF_INCOME)[product], income, obligation)
    credit_limit = np.round(base * rng.uniform(multiple[:, 0], multiple[:, 1]), -2)
    amortising = ~np.asarray(LIMIT_OF_INCOME)[product] & (product != MORTGAGE)
    matures = amortising & (rng.random(n) < 0.06)
    maturity_month = np.where(matures, rng.integers(1, max(months, 2), n), 10_000)
    heavy_cash = rng.random(n) < np.where(age >= 60, 0.2, 0.1)
    cash = np.exp(0.5 * rng.standard_normal(n)) * np.where(heavy_cash, 3.5, 1.0)
    max_tenure = np.maximum((age - 18) * 365, 120)
    return Profiles(
        bracket=bracket,
        employment=employment,
        region=region,
        age=age,
        income=income,
        product=product,
        obligation=np.round(obligation, 2),
        credit_limit=np.maximum(credit_limit, 100.0),
        due_day=rng.integers(1, 29, n),
        payday=rng.choice(PAYDAYS, size=n, p=PAYDAY_SHARE),
        credit_auto_debit=rng.random(n) < 0.6,
        utility_auto_debit=rng.random(n) < 0.5,
        utility_day=rng.integers(1, 29, n),
        renter=(product != MORTGAGE) & (rng.random(n) < 0.45),
        cash_preference=cash,
        has_car=rng.random(n) < 0.55,
        maturity_month=maturity_month,
        tenure_days=np.minimum(rng.integers(90, 15 * 365, n), max_tenure),
    )
