"""One money formatter, durations in days and hours, labels for engine names."""

from __future__ import annotations

from pde.frontend.services.labels import duration, human, money

NBSP = "\u00a0"


def test_money_carries_the_currency_and_never_wraps() -> None:
    assert money(461_840_000, "€") == f"€{NBSP}461.8{NBSP}m"
    assert money(-1250, "$") == f"-${NBSP}1,250"
    assert money(12_500, "CHF") == f"CHF{NBSP}12.5{NBSP}k"
    assert money(None) == "–"
    assert " " not in money(3.2e9)


def test_durations_read_in_days_and_hours() -> None:
    assert duration(358) == "14 d 22 h"
    assert duration(48) == "2 d"
    assert duration(5.2) == "5 h"
    assert duration(0.5) == "30 min"
    assert duration(None) == "–"


def test_engine_names_become_labels() -> None:
    assert human("personal_loan") == "Personal loan"
    assert human("promise_to_pay") == "Promise to pay"
    assert human("high") == "High"
    assert human("within SLA") == "Within SLA"
    assert human(None) == ""
