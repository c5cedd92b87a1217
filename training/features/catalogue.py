"""The feature catalogue: the one definition of every feature, used by training, the server,
the reason codes and `docs/features.md`.

Windows: `lookback` is `[t - lookback, t)` (default 90 days); `30d` is `[t - 30d, t)`;
`prior 60d` is `[t - lookback, t - 30d)`; `weekly` summarises the weekly series of a flag over
the lookback; `as of` is the customer's profile at `t`. Trends compare the 30-day rate with the
monthly rate of the prior period (`30d vs prior`), so 1.0 means unchanged.
"""

from __future__ import annotations

from pde.training.features import (
    balance,
    cash,
    derived,
    patterns,
    payments,
    profile,
    recent,
    salary,
    spending,
    stress,
    weekly,
)
from pde.training.features.spec import Family, FeatureGroup, FeatureSpec

# Bundles record it and portfolio scoring refuses a bundle of another version, so bump it on
# any change to a feature's entry or computation; `catalogue.lock.json` pins it (see lock.py).
CATALOGUE_VERSION = "pde-features-v3"

# The catalogue in order (the order of a bundle's features): the families in FAMILIES order,
# each from the entries that the modules computing its features declare.
GROUPS: tuple[FeatureGroup, ...] = (
    salary.ENTRIES,
    balance.BALANCE_ENTRIES,
    derived.EMERGENCY_FUND_ENTRIES,
    balance.SAVINGS_ENTRIES,
    spending.ENTRIES,
    payments.ENTRIES,
    cash.ENTRIES,
    weekly.CASH_ENTRIES,
    patterns.ENTRIES,
    weekly.PATTERNS_ENTRIES,
    recent.ENTRIES,
    profile.ENTRIES,
    derived.ENTRIES,
    stress.INTERACTION_ENTRIES,
    derived.HISTORY_ENTRIES,
    stress.STRESS_ENTRIES,
)

CATALOGUE: tuple[FeatureSpec, ...] = tuple(spec for group in GROUPS for spec in group.features)
FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in CATALOGUE)
_INDEX = {spec.name: spec for spec in CATALOGUE}


def feature_spec(name: str) -> FeatureSpec:
    """The catalogue entry of a feature (KeyError for an unknown name)."""
    return _INDEX[name]


def family_names(family: Family) -> tuple[str, ...]:
    return tuple(spec.name for spec in CATALOGUE if spec.family == family)
