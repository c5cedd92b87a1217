"""Intervention outcomes into a real database: loaded once, counted with one definition of
success, each action against the control group."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlmodel import func, select

from pde.core.errors import PdeError
from pde.db.models import TreatmentOutcome
from pde.db.outcomes import arm_counts
from pde.jobs import outcomes


def test_outcomes_load_once_and_count_per_arm(db, canonical_dir: Path) -> None:
    history = pl.read_parquet(canonical_dir / "interventions.parquet")
    read, added = outcomes.load_outcomes(data_dir=canonical_dir, engine=db.engine)
    assert read == added == history.height > 0
    assert outcomes.load_outcomes(data_dir=canonical_dir, engine=db.engine) == (read, 0)
    with db.scope() as s:
        assert s.exec(select(func.count()).select_from(TreatmentOutcome)).one() == read
        counts = {c.arm: c for c in arm_counts(session=s)}
    expected = history.group_by("action").agg(
        pl.len().alias("n"), (pl.col("outcome") == "cured").sum().alias("cured")
    )
    for row in expected.iter_rows(named=True):
        assert counts[row["action"]].assigned == row["n"]
        assert counts[row["action"]].cured == row["cured"]


def test_outcomes_effects_subtract_the_control_group(db, canonical_dir: Path) -> None:
    outcomes.load_outcomes(data_dir=canonical_dir, engine=db.engine)
    effects = outcomes.action_effects(exposure=10_000, loss_given_default=0.5, engine=db.engine)
    assert effects
    history = pl.read_parquet(canonical_dir / "interventions.parquet")
    control = history.filter(pl.col("action") == "none")
    control_rate = (control["outcome"] == "cured").mean()
    for effect in effects:
        assert effect.control_cure_rate == pytest.approx(control_rate)
        mine = history.filter(pl.col("action") == effect.action)
        treated_rate = (mine["outcome"] == "cured").mean()
        assert effect.cure_rate == pytest.approx(treated_rate)
        assert effect.roi.incremental_cures == pytest.approx(
            mine.height * (treated_rate - control_rate)  # type: ignore[operator]
        )


def test_outcomes_without_a_history_file_say_so(tmp_path: Path) -> None:
    with pytest.raises(PdeError, match="no interventions"):
        outcomes.read_outcomes(tmp_path)
