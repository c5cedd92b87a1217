"""One promotion path with a gate: a weaker challenger is refused, accepted only when forced
with a reason (audited); training registers challengers and never moves `current`; the
registry, the pointer and `list_models` always agree. SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlmodel import select

from pde.contracts.bundle import MANIFEST, current_bundle_dir
from pde.db import monitoring
from pde.db.models import AuditEntry, Customer, ModelStatus, ModelVersion, RiskScore
from pde.jobs.models import (
    PromotionRefusedError,
    list_models,
    promote,
    register_trained,
)

SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"


def _bundle_tools() -> ModuleType:
    key = "pde_test_bundles"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, SERVER_TESTS / "bundles.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _bundle_tools().build(tmp_path_factory.mktemp("trained"))


def _copy(trained: Path, model_dir: Path, version: str, *, auc: float | None = None) -> None:
    target = _bundle_tools().copy_as(trained, model_dir, version)
    if auc is not None:  # a weaker model by its held-out figures
        manifest = json.loads((target / MANIFEST).read_text())
        manifest["metrics"]["ensemble"]["auc"] = auc
        (target / MANIFEST).write_text(json.dumps(manifest))


def assert_agree(model_dir: Path, db: Any) -> None:
    """The pointer, the registry and list_models tell one story."""
    found = list_models(model_dir=model_dir, engine=db.engine)
    current = [b for b in found if b.is_current]
    with db.scope() as session:
        champions = list(
            session.exec(select(ModelVersion).where(ModelVersion.status == ModelStatus.CHAMPION))
        )
    if not current:
        assert champions == []
        return
    assert len(current) == 1 and current[0].version == current_bundle_dir(model_dir).name
    assert [c.version for c in champions] == [current[0].version]
    assert current[0].registry_status == "champion"
    assert all(b.registry_status != "champion" for b in found if not b.is_current)


def _audit(db: Any, action: str) -> list[AuditEntry]:
    with db.scope() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_promotion_training_registers_challengers_and_the_first_is_promoted(
    db: Any, trained: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    _copy(trained, model_dir, "v1")
    first = register_trained("v1", actor="trainer", model_dir=model_dir, engine=db.engine)
    assert first.promotion is not None and first.status == "champion"
    assert_agree(model_dir, db)
    _copy(trained, model_dir, "v2")
    second = register_trained("v2", actor="trainer", model_dir=model_dir, engine=db.engine)
    assert second.promotion is None and second.status == "challenger"
    assert current_bundle_dir(model_dir).name == "v1"  # a new bundle never moves current
    assert_agree(model_dir, db)
    statuses = {
        b.version: b.registry_status for b in list_models(model_dir=model_dir, engine=db.engine)
    }
    assert statuses == {"v1": "champion", "v2": "challenger"}


def test_promotion_refuses_a_weaker_challenger_unless_forced_with_a_reason(
    db: Any, trained: Path, tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    _copy(trained, model_dir, "v1", auc=0.80)
    register_trained("v1", actor="trainer", model_dir=model_dir, engine=db.engine)
    _copy(trained, model_dir, "weak", auc=0.70)
    register_trained("weak", actor="trainer", model_dir=model_dir, engine=db.engine)
    before = len(_audit(db, "model_version.promote"))

    with pytest.raises(PromotionRefusedError, match=r"held_out_auc: challenger 0\.7000"):
        promote("weak", actor="admin", model_dir=model_dir, engine=db.engine, tolerance=0.01)
    with pytest.raises(PromotionRefusedError):  # a blank reason is no reason
        promote("weak", actor="admin", model_dir=model_dir, engine=db.engine, force_reason="  ")
    assert current_bundle_dir(model_dir).name == "v1"
    assert len(_audit(db, "model_version.promote")) == before
    assert_agree(model_dir, db)

    # within the tolerance it passes
    _copy(trained, model_dir, "close", auc=0.795)
    done = promote("close", actor="admin", model_dir=model_dir, engine=db.engine, tolerance=0.01)
    assert done.forced_reason is None and [c.passed for c in done.checks] == [True]
    assert_agree(model_dir, db)

    reason = "regulator asked for the simpler model; reviewed by the model risk committee"
    done = promote(
        "weak", actor="admin", model_dir=model_dir, engine=db.engine, force_reason=reason
    )
    assert done.forced_reason == reason and done.previous == "close"
    assert current_bundle_dir(model_dir).name == "weak"
    assert_agree(model_dir, db)
    [entry] = _audit(db, "model_version.promote_forced")
    assert entry.actor == "admin" and entry.entity_id == "weak"
    assert entry.after is not None and entry.after["forced_reason"] == reason
    [check] = entry.after["gate"]
    assert check["name"] == "held_out_auc" and check["passed"] is False
    assert check["challenger"] == 0.70 and check["champion"] == 0.795


def test_promotion_gates_on_realised_auc_on_the_same_matured_rows(
    db: Any, trained: Path, tmp_path: Path
) -> None:
    """Equal held-out figures, but on the customers both scored the challenger ranks the
    defaulters last: refused by the realised check."""
    model_dir = tmp_path / "models"
    _copy(trained, model_dir, "v1")
    register_trained("v1", actor="trainer", model_dir=model_dir, engine=db.engine)
    _copy(trained, model_dir, "v2")
    register_trained("v2", actor="trainer", model_dir=model_dir, engine=db.engine)
    as_of = date(2025, 6, 2)
    labels = {f"C{n:04d}": int(n % 5 == 0) for n in range(200)}
    with db.scope() as session:
        for cid in labels:
            session.add(
                Customer(
                    customer_id=cid,
                    open_date=date(2020, 1, 15),
                    birth_year=1985,
                    income_bracket="middle",
                    employment_type="salaried",
                    region="R01",
                    product="credit_card",
                    credit_limit=Decimal("5000.00"),
                    outstanding_balance=Decimal("1000.00"),
                    monthly_obligation=Decimal("250.00"),
                )
            )
        session.flush()
        for n, (cid, label) in enumerate(labels.items()):
            good = 0.6 if label else 0.1 + n / 2000
            for version, p in (("v1", good), ("v2", 0.5 - good / 2)):
                session.add(
                    RiskScore(
                        customer_id=cid,
                        as_of=as_of,
                        model_version=version,
                        probability=p,
                        tier="low",
                        alert=False,
                        scored_at=datetime.now(UTC),
                    )
                )
        session.flush()
        monitoring.record_outcomes(session=session, as_of=as_of, labels=labels)
    with pytest.raises(PromotionRefusedError, match=r"realised_auc on 200 matured rows"):
        promote("v2", actor="admin", model_dir=model_dir, engine=db.engine)
    assert_agree(model_dir, db)
