"""`pde outcomes holdout` through the real CLI entry point: the control group's outcomes once."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from pde.cli.main import main
from pde.contracts.data.io import load_dataset
from pde.db.models.recommendation import Recommendation
from pde.training.features.labels import compute_labels, weekly_as_of_dates


def test_cli_outcomes_holdout_records_the_closed_windows_once(
    database: Path, canonical_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = load_dataset(canonical_dir)
    day = weekly_as_of_dates(data, min_history_days=0)[-1]
    customer = compute_labels(data, [day])["customer_id"][0]
    with Session(sa.create_engine(f"sqlite:///{database}")) as s:
        s.add(
            Recommendation(
                customer_id=customer,
                as_of=day,
                model_version="m1",
                effect_basis="prior",
                why="held out as control",
                held_out=True,
            )
        )
        s.commit()
    assert main(["outcomes", "holdout", "--data", str(canonical_dir)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "1 held-out customers with a closed window" in out and "1 new outcomes" in out
    assert main(["outcomes", "holdout", "--data", str(canonical_dir)]) == 0
    assert "0 new outcomes recorded" in " ".join(capsys.readouterr().out.split())
