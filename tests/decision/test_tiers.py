"""Risk tiers anchored on the base rate and the team's capacity."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from pde.decision import capacity_cutoff, risk_tiers, tier_of


def _valid(tiers: list) -> None:  # type: ignore[type-arg]
    assert [t.name for t in tiers] == ["low", "medium", "high", "critical"]
    assert tiers[0].lower == 0.0 and tiers[-1].upper == 1.0
    assert all(a.upper == b.lower for a, b in pairwise(tiers))
    assert all(t.lower < t.upper for t in tiers)


def test_tiers_start_at_the_base_rate_and_twice_it() -> None:
    tiers = risk_tiers(base_rate=0.10, floor=0.02, cutoff=0.6)
    _valid(tiers)
    assert [t.lower for t in tiers] == pytest.approx([0.0, 0.10, 0.20, 0.6])


def test_tiers_no_high_below_the_mean_risk_whatever_the_floor() -> None:
    for base, floor, cutoff in [
        (0.1, 0.02, 0.0),
        (0.22, 0.3, 0.5),
        (0.02, 0.9, 0.99),
        (0.6, 0.0, 0.0),
        (0.0, 0.0, 1.0),
    ]:
        tiers = risk_tiers(base_rate=base, floor=floor, cutoff=cutoff)
        _valid(tiers)
        assert tiers[1].lower >= min(max(base, floor), 0.97) - 1e-12
        assert tiers[2].lower > tiers[1].lower >= base - 1e-12  # high above the mean risk


def test_tiers_critical_is_what_the_team_can_work() -> None:
    rng = np.random.default_rng(1)
    p = rng.beta(1, 9, size=20_000)
    cutoff = capacity_cutoff(p, share=0.03)
    tiers = risk_tiers(base_rate=float(p.mean()), floor=0.08, cutoff=cutoff)
    critical = np.mean(tier_of(p, tiers) == 3)
    assert critical == pytest.approx(0.03, abs=0.002)
    assert capacity_cutoff(p, share=1.5) == 0.0


def test_tiers_index_lower_inclusive_last_includes_one() -> None:
    tiers = risk_tiers(base_rate=0.1, floor=0.08, cutoff=0.5)
    index = tier_of(np.array([0.0, 0.0999, 0.1, 0.2, 0.5, 1.0]), tiers)
    assert index.tolist() == [0, 0, 1, 2, 3, 3]
