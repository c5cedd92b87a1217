"""The weekly holdout: deterministic by customer and ISO week, of the share asked."""

from __future__ import annotations

from datetime import date

import pytest

from pde.decision.holdout import held_out, holdout_draw

IDS = [f"C{i:07d}" for i in range(20_000)]


def test_holdout_is_the_same_all_week_and_redrawn_next_week() -> None:
    monday, sunday, next_week = date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 9)
    assert holdout_draw("C1", monday) == holdout_draw("C1", sunday)
    this = held_out(IDS, monday, share=0.1)
    assert (this == held_out(IDS, sunday, share=0.1)).all()
    other = held_out(IDS, next_week, share=0.1)
    assert (this != other).sum() > 1000


def test_holdout_share_is_respected() -> None:
    flags = held_out(IDS, date(2026, 3, 2), share=0.05)
    assert flags.mean() == pytest.approx(0.05, abs=0.006)
    assert not held_out(IDS[:100], date(2026, 3, 2), share=0.0).any()
    with pytest.raises(ValueError):
        held_out(IDS[:1], date(2026, 3, 2), share=1.0)
