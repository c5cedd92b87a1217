"""Recommendations of the portfolio job: a bundle with uplift models served on loopback, the
simulated treated history scored into SQLite and PostgreSQL; every alerted customer gets a
stored recommendation whose expected effect is the native uplift models', vulnerable customers
the support path, held-out ones their flag, and a customer at the contact budget no action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from pde.contracts.bundle import read_manifest
from pde.contracts.interventions import SUPPORT_ACTIONS
from pde.db import migrate
from pde.decision import default_policy
from pde.jobs.portfolio import score_portfolio
from pde.jobs.recommendations import prior_effects, why


def _rows(engine: sa.Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(sql)).mappings())


def _busy_customer(engine: sa.Engine, customer: str, as_of: Any) -> None:
    """Two contacts of `customer` in the 30 days before `as_of` (the default budget)."""
    from pde.db.engine import session_scope
    from pde.db.models import InterventionCreate, InterventionType, Role, UserCreate
    from pde.db.users import create_user
    from pde.db.workflow import create_intervention

    day = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    with session_scope(engine=engine) as session:
        create_user(
            session=session,
            data=UserCreate(
                username="ops", full_name="Ops", role=Role.ADMIN, password="a-long-password-1"
            ),
            actor="system:test",
        )
        for days, kind in ((3, InterventionType.AGENT_CALL), (10, InterventionType.SOFT_REMINDER)):
            create_intervention(
                session=session,
                data=InterventionCreate(customer_id=customer, type=kind),
                actor="ops",
                now=day - timedelta(days=days),
            )


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_recommendations_stored_for_every_alert_with_learned_effects(
    backend: str, treated: tuple[Path, Path, str], make_database: Callable[[str], Any]
) -> None:
    from pde.client.sync import RiskClient
    from pde.server.uplift import native_effects
    from pde.training.features import compute_features

    data_dir, bundle_dir, address = treated
    database = make_database(backend)
    migrate.upgrade(engine=database.engine)
    policy = default_policy().model_copy(update={"officers": 1, "contacts_per_officer": 120})
    with RiskClient(address) as client:
        [first] = score_portfolio(
            data_dir=data_dir, client=client, engine=database.engine, policy=policy, top_reasons=2
        )
        stored = _rows(database.engine, "SELECT * FROM recommendations ORDER BY customer_id")
        alerted = _rows(
            database.engine, "SELECT customer_id FROM risk_scores WHERE alert ORDER BY customer_id"
        )
        assert first.recommendations is not None
        assert first.recommendations.effect_basis == "learned"
        assert [r["customer_id"] for r in stored] == [a["customer_id"] for a in alerted]
        assert len(stored) == first.alerts > 0
        # the stored effects are the native uplift models' on the customers' features
        manifest = read_manifest(bundle_dir)
        assert manifest.uplift is not None
        from pde.contracts.data.io import load_dataset

        features = compute_features(load_dataset(data_dir), [first.as_of]).sort("customer_id")
        by_id = {r["customer_id"]: r for r in stored}
        chosen = features.filter(pl.col("customer_id").is_in(list(by_id)))
        lower = np.array([manifest.clip_bounds[n][0] for n in manifest.feature_names])
        upper = np.array([manifest.clip_bounds[n][1] for n in manifest.feature_names])
        x = np.clip(chosen.select(manifest.feature_names).to_numpy(), lower, upper)
        native = native_effects(bundle_dir, manifest, x.astype(np.float32))
        actions = manifest.uplift.actions
        checked = 0
        for i, customer in enumerate(chosen["customer_id"].to_list()):
            row = by_id[customer]
            assert row["effect_basis"] == "learned" and row["why"]
            if row["action"] is None:
                continue
            assert abs(row["expected_effect"] - native[i, actions.index(row["action"])]) < 1e-5
            assert row["why"].startswith(row["action"].replace("_", " ") + ":")
            if row["vulnerable"]:
                assert row["action"] in SUPPORT_ACTIONS
            checked += 1
        assert checked > 0
        assert all(r["net_benefit"] >= 0 for r in stored if r["action"] is not None)
        # the alert policy ranked the whole date by the learned net benefit of the best action
        everyone = np.clip(features.select(manifest.feature_names).to_numpy(), lower, upper)
        effects = native_effects(bundle_dir, manifest, everyone.astype(np.float32))
        costs = np.array([manifest.uplift.costs[a] for a in actions])
        value = policy.exposure_amount * policy.loss_given_default
        benefit = (effects * value - costs).max(axis=1)
        alerted_ids = set(by_id)
        flags = features["customer_id"].is_in(list(alerted_ids)).to_numpy()
        assert flags.sum() == min(policy.capacity, int((benefit >= 0).sum()))
        assert benefit[flags].min() >= benefit[~flags].max() - 0.5  # float32 on the wire

        # a customer at the contact budget gets no action when the date is scored again
        busy = next(r["customer_id"] for r in stored if r["action"] is not None)
        _busy_customer(database.engine, busy, first.as_of)
        score_portfolio(data_dir=data_dir, client=client, engine=database.engine, policy=policy)
    again = {r["customer_id"]: r for r in _rows(database.engine, "SELECT * FROM recommendations")}
    assert len(again) == len(stored)  # replaced, not added
    assert again[busy]["action"] is None
    assert again[busy]["why"].startswith("no contact")


def test_recommendations_prior_effects_follow_the_by_product_rule() -> None:
    p = np.array([0.4, 0.2])
    effects = prior_effects(p, ["credit_card", "mortgage"], np.array([False, True]), 0.25)
    assert effects[0].max() == pytest.approx(0.1)
    assert effects[1].max() == pytest.approx(0.05)
    # credit card -> payment plan; the vulnerable mortgage customer may also get support
    assert (effects[0] > 0).sum() == 1 and (effects[1] > 0).sum() == 3


def test_recommendations_why_names_the_signal() -> None:
    reasons = [{"code": "R02", "text": "income dropped"}]
    assert why("restructuring", held=False, reasons=reasons, vulnerable=[], blocked=False) == (
        "restructuring: income fell or became irregular"
    )
    assert "potential vulnerability (gambling)" in why(
        "financial_counselling", held=False, reasons=reasons, vulnerable=["gambling"], blocked=False
    )
    assert why("agent_call", held=True, reasons=[], vulnerable=[], blocked=False).endswith(
        "held out as control this week"
    )
    assert why(None, held=False, reasons=[], vulnerable=[], blocked=False).startswith("no action")
