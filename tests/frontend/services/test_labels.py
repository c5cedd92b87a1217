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


def test_model_health_weighs_discrimination_and_calibration() -> None:
    from pde.frontend.services.model_health import f1_at_threshold, health_score

    assert health_score({"auc": 0.9, "ece": 0.0}) == 100
    assert health_score({"auc": 0.5, "ece": 0.05}) == 0
    assert health_score({"auc": 0.7, "ece": 0.025}) == 50
    assert health_score({"auc": 0.8}) is None
    assert f1_at_threshold({"at_threshold": {"f1": 0.375}}) == 0.375
    assert f1_at_threshold({}) is None
