"""`pde db ...` end to end on a SQLite file, through the real CLI entry point."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pde.cli.main import main
from pde.core.settings import get_settings
from pde.db import engine as engine_module


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, canonical_dir: Path) -> Iterator[Path]:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("PDE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("PDE_DATA_DIR", str(canonical_dir))
    monkeypatch.setenv("PDE_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    engine_module.get_engine.cache_clear()
    yield database
    engine_module.get_engine().dispose()
    engine_module.get_engine.cache_clear()
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["db", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_db_upgrade_seed_verify(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "current") == (0, "current none, latest 0011: run pde db upgrade\n")
    code, out = run(capsys, "seed-demo")
    assert code == 1 and "run pde db upgrade first" in out
    assert run(capsys, "upgrade")[0] == 0
    assert "up to date" in run(capsys, "current")[1]
    code, out = run(capsys, "seed-demo", "--interventions", "10")
    assert code == 0 and "one-time passwords" in out and "150 customers" in out
    code, out = run(capsys, "verify-audit")
    assert code == 0 and "audit chain intact" in out
    head = out.split("head ")[1].split()[0]
    engine = sa.create_engine(f"sqlite:///{cli_env}")
    with engine.begin() as c:  # tampering, as someone with file access could
        c.execute(sa.text("DROP TRIGGER action_audit_log_no_update"))
        c.execute(sa.text("UPDATE action_audit_log SET actor = 'mallory' WHERE id = 3"))
    engine.dispose()
    code, out = run(capsys, "verify-audit", "--expect-head", head)
    assert code == 1 and "BROKEN row 3: content does not match" in out
    assert "error: audit chain broken: 1 problems" in out


def test_cli_db_create_user(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "upgrade")
    code, out = run(capsys, "create-user", "boss", "--role", "admin", "--full-name", "The Boss")
    assert code == 0 and "one-time password (shown once)" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    code, out = run(
        capsys, "create-user", "o1", "--role", "officer", "--full-name", "O", "--password-stdin"
    )
    assert code == 0 and "password" not in out
    code, out = run(capsys, "create-user", "boss", "--role", "admin", "--full-name", "Again")
    assert code == 1 and "uq_users_username" in out
    code, out = run(capsys, "create-user", "x1", "--role", "king", "--full-name", "K")
    assert code == 1 and "--role 'king'" in out


def test_cli_db_load_customers_and_downgrade(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "upgrade")
    assert run(capsys, "load-customers") == (0, "loaded 150 customers\n")
    code, out = run(capsys, "downgrade", "base", "--yes")
    assert code == 0 and "base (empty)" in out


def test_cli_db_load_customers_without_data(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PDE_DATA_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    run(capsys, "upgrade")
    code, out = run(capsys, "load-customers")
    assert code == 1 and "run pde simulate first" in out


def test_cli_db_reset_password_issues_a_one_time_password(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pde.db import login, sessions, users
    from pde.db.engine import session_scope

    run(capsys, "upgrade")
    run(capsys, "create-user", "o1", "--role", "officer", "--full-name", "O")
    policy = login.ThrottlePolicy(attempts_per_user=2)
    with session_scope() as session:
        sessions.open_session(session, username="o1", key="k" * 32, client_address=None)
    for _ in range(2):
        login.sign_in(
            session_scope,
            username="o1",
            password="wrong",
            address="10.1.1.1",
            key="k",
            policy=policy,
        )
    code, out = run(capsys, "reset-password", "o1")
    assert code == 0, out
    password = out.split("one-time password (shown once): ")[1].strip()
    with session_scope() as session:
        assert session.execute(sa.text("SELECT count(*) FROM app_sessions")).scalar_one() == 0
        last = session.execute(
            sa.text("SELECT actor, action FROM action_audit_log ORDER BY id DESC LIMIT 1")
        ).one()
        assert tuple(last) == ("system:cli", "user.reset_password")
    result = login.sign_in(
        session_scope, username="o1", password=password, address="10.1.1.1", key="k", policy=policy
    )  # the lockout was lifted with the reset
    assert result.user is not None and result.user.must_change_password
    with session_scope() as session:
        assert users.authenticate(session, username="o1", password="wrong") is None
    code, out = run(capsys, "reset-password", "nobody")
    assert code == 1 and "user 'nobody' not found" in out


def test_cli_db_set_model_status_refuses_champion(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "upgrade")
    code, out = run(capsys, "set-model-status", "v1", "champion")
    assert code == 1 and "pde models promote v1" in out
    engine = sa.create_engine(f"sqlite:///{cli_env}")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM model_versions")).scalar_one() == 0
    engine.dispose()
