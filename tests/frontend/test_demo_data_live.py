"""Generate demo data for real: the job the Data Management page queues, run by the worker as
`pde` processes against a live scoring server. The new dataset is built in its own directory,
trained on, seeded and scored, and only then does PDE_DATA_DIR point at it; the old data stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from pde.core.names import Role
from pde.core.settings import Settings
from pde.db import migrate
from pde.db.engine import make_engine, session_scope
from pde.db.models import JobStatus
from pde.frontend.services import Services
from pde.frontend.services.access import SignedIn
from pde.frontend.services.jobs import JobRunner, start_demo_data
from pde.jobs.datasets import datasets_root
from pde.jobs.queue import recent
from pde.jobs.worker import Worker
from tests.frontend.test_app_live import TOKEN, live_scoring  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow]
ADMIN = SignedIn("admin", "Ada Admin", Role.ADMIN)


def test_generate_demo_data_switches_to_the_new_dataset_only_at_the_end(
    live_scoring: tuple[str, Path, Path, str],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pde.frontend.app import _risk_client_factory

    address, _, _, version = live_scoring
    url = f"sqlite:///{tmp_path / 'pde.db'}"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "customers.parquet").write_bytes(b"the old data")
    env = {
        "PDE_DATABASE_URL": url,
        "PDE_DATA_DIR": str(data_dir),
        "PDE_MODEL_DIR": str(tmp_path / "models"),  # the new challenger lands here
        "PDE_GRPC_ADDRESS": address,
        "PDE_GRPC_TOKEN": TOKEN,
    }
    for name, value in env.items():  # the worker's `pde` processes read them
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    migrate.upgrade(engine=engine)
    settings = Settings(
        database_url=url, data_dir=data_dir, model_dir=tmp_path / "models", grpc_address=address
    )
    services = Services(
        settings=settings,
        engine=engine,
        client_factory=_risk_client_factory(
            settings.model_copy(update={"grpc_token": SecretStr(TOKEN)})
        ),
        jobs=JobRunner(run_worker=False),
    )
    job = start_demo_data(services, ADMIN, customers=1000)
    new = Path(next(s.split("--out ")[1] for s in job.steps if s.startswith("pde simulate")))
    done = Worker(engine=engine, settings=settings, poll_seconds=0.1).run_once()
    [found] = recent(engine=engine, limit=1)
    assert done is not None and done.status == JobStatus.COMPLETED, "\n".join(found.log_tail)
    assert data_dir.is_symlink() and data_dir.resolve() == new.resolve()
    kept = list(datasets_root(data_dir).glob("*-before/customers.parquet"))
    assert [p.read_bytes() for p in kept] == [b"the old data"]
    with session_scope(engine=engine) as session:
        users = session.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
        scored: Any = session.execute(
            sa.text("SELECT count(DISTINCT customer_id), min(model_version) FROM risk_scores")
        ).one()
    assert users > 0  # an empty database got its demo staff
    assert scored[0] == 1000 and scored[1] == version  # scored by the served model
    # The stored scores and live Explain now read the same data with the same model.
    from pde.frontend.services.explain import explain_customer

    with session_scope(engine=engine) as session:
        customer, as_of, stored = session.execute(
            sa.text(
                "SELECT customer_id, as_of, probability FROM risk_scores"
                " ORDER BY as_of DESC, probability DESC LIMIT 1"
            )
        ).one()
    live = explain_customer(services, ADMIN, customer_id=customer)
    assert str(live.as_of) == str(as_of) and live.as_of_note is None
    assert live.probability == pytest.approx(stored, abs=1e-5)
