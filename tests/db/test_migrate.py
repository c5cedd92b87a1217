from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import pde.db.models  # noqa: F401  (registers the tables)
from pde.db import migrate

INIT_SQL = Path(__file__).resolve().parents[2] / "sql" / "init.sql"
TABLES = {
    "users",
    "customers",
    "model_versions",
    "customer_assignments",
    "interventions",
    "intervention_outcomes",
    "risk_scores",
    "scoring_runs",
    "action_audit_log",
    "drift_checks",
    "feature_drift",
    "performance_by_date",
    "challenger_scores",
    "matured_outcomes",
    "jobs",
    "app_sessions",
    "login_throttle",
    "treatment_outcomes",
    "recommendations",
    "contact_preferences",
    "promises_to_pay",
    "trigger_events",
}


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrate_up_and_down(empty_db) -> None:
    engine = empty_db.engine
    assert migrate.current_revision(engine=engine) is None
    migrate.upgrade(engine=engine)
    assert tables(engine) == TABLES
    assert migrate.current_revision(engine=engine) == migrate.head_revision() == "0011"
    migrate.downgrade("0002", engine=engine)
    assert "risk_scores" not in tables(engine) and "interventions" in tables(engine)
    migrate.downgrade("base", engine=engine)
    assert tables(engine) == set()
    assert migrate.current_revision(engine=engine) is None
    migrate.upgrade(engine=engine)  # and back up again from nothing
    assert tables(engine) == TABLES


def test_migrate_each_step_reverses(empty_db) -> None:
    engine = empty_db.engine
    for revision in (
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
        "0007",
        "0008",
        "0009",
        "0010",
        "0011",
    ):
        migrate.upgrade(revision, engine=engine)
        before = tables(engine)
        migrate.downgrade("-1", engine=engine)
        migrate.upgrade(revision, engine=engine)
        assert tables(engine) == before


def test_migrate_head_matches_models(db) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrate_compare_detects_a_difference(empty_db) -> None:
    migrate.upgrade("0003", engine=empty_db.engine)  # no audit table yet
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    assert any(d[0] == "add_table" and d[1].name == "action_audit_log" for d in diffs)


def schema_of(engine: Engine) -> dict[str, Any]:
    """Everything a DBA would compare: columns, keys, constraints, indexes, triggers."""
    inspector = sa.inspect(engine)
    result: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        columns = [
            (c["name"], c["type"].compile(dialect=engine.dialect), c["nullable"], c.get("default"))
            for c in inspector.get_columns(table)
        ]
        result[table] = {
            "columns": sorted(columns),
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "fks": sorted(
                (
                    f["name"],
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                )
                for f in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (
                    i["name"],
                    tuple(i["column_names"]),
                    i["unique"],
                    str(i.get("dialect_options", {})),
                )
                for i in inspector.get_indexes(table)
            ),
            "checks": sorted(
                (c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)
            ),
        }
    with engine.connect() as connection:
        result["triggers"] = sorted(
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT c.relname, t.tgname, p.proname FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                    "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
                )
            )
        )
        result["stamped_revision"] = connection.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).all()
    return result


@pytest.mark.postgres
def test_migrate_init_sql_gives_the_same_schema(make_database) -> None:
    by_alembic, by_sql = make_database("postgres"), make_database("postgres")
    migrate.upgrade(engine=by_alembic.engine)
    raw = by_sql.engine.raw_connection()
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute(INIT_SQL.read_text())
    finally:
        raw.close()
    expected, actual = schema_of(by_alembic.engine), schema_of(by_sql.engine)
    assert set(actual) - {"triggers", "stamped_revision"} == TABLES | {"alembic_version"}
    for key in expected:
        assert actual[key] == expected[key], key
    assert expected["triggers"] == [
        ("action_audit_log", "action_audit_log_append_only", "action_audit_log_append_only")
    ]
    migrate.upgrade(engine=by_sql.engine)  # Alembic accepts the database init.sql made
