"""Risk tiers an officer can believe: anchored on the portfolio's base rate and the team's
capacity, never on the cost floor alone.

    low       p <  medium                      at or below the portfolio's mean risk
    medium    max(base rate, break-even) <= p  above average and worth an action
    high      max(2 x base rate, ...)    <= p  at least twice the average risk
    critical  max(capacity cut-off, ...) <= p  the riskiest customers the team can work in a
                                               week (at least a tenth of the way from
                                               `high` to 1)

Bands are contiguous, strictly increasing and cover [0, 1]; when anchors coincide a band is
pushed up so that none is empty by construction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import TierBand
from pde.core.names import RiskTier


def capacity_cutoff(p: npt.ArrayLike, *, share: float) -> float:
    """The probability at which the riskiest `share` of `p` begins (0.0 if share >= 1)."""
    values = np.asarray(p, dtype=np.float64)
    if share >= 1.0 or len(values) == 0:
        return 0.0
    return float(np.quantile(values, 1.0 - max(share, 0.0), method="higher"))


def risk_tiers(*, base_rate: float, floor: float, cutoff: float) -> list[TierBand]:
    """low < medium < high < critical as probability bands (see the module docstring).

    `base_rate` is the portfolio's mean default rate, `floor` the break-even probability and
    `cutoff` the capacity cut-off (`capacity_cutoff` on validation probabilities).
    """
    rate = min(max(base_rate, 1e-6), 0.97)
    medium = min(max(rate, floor), 0.97)
    high = max(2.0 * rate, medium)
    if high <= medium:
        high = medium + (1.0 - medium) / 3.0
    high = min(high, medium + (1.0 - medium) * 2.0 / 3.0)
    critical = max(cutoff, high + (1.0 - high) / 10.0)
    critical = min(critical, high + (1.0 - high) * 0.9)
    bounds = [0.0, medium, high, critical, 1.0]
    return [
        TierBand(name=tier, lower=bounds[i], upper=bounds[i + 1]) for i, tier in enumerate(RiskTier)
    ]


def tier_of(p: npt.ArrayLike, tiers: list[TierBand]) -> npt.NDArray[np.intp]:
    """Index of each probability's tier (bands are [lower, upper), the last includes 1.0)."""
    uppers = np.array([band.upper for band in tiers[:-1]])
    return np.asarray(np.searchsorted(uppers, np.asarray(p), side="right"))
