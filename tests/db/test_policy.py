from datetime import UTC, datetime, timedelta

import pytest

from pde.core.settings import load_settings
from pde.db.models.enums import Priority
from pde.db.policy import DEFAULT_POLICY, policy_from_settings


def test_policy_from_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDE_COOL_DOWN_DAYS", "3")
    monkeypatch.setenv("PDE_SLA_HOURS_CRITICAL", "2")
    policy = policy_from_settings(load_settings())
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert policy.cool_down_days == 3
    assert policy.sla_due(Priority.CRITICAL, created_at=now) == now + timedelta(hours=2)
    assert policy.sla_due(Priority.LOW, created_at=now) == DEFAULT_POLICY.sla_due(
        Priority.LOW, created_at=now
    )


def test_policy_defaults_match_settings_defaults() -> None:
    assert policy_from_settings(load_settings()) == DEFAULT_POLICY
