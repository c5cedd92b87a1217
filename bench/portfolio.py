"""`pde bench portfolio`: the portfolio job at scale on Dask (bench/portfolio_scale.py), or with
`--writes-only` the bulk writing of 30,000 portfolio scores on SQLite and PostgreSQL.

With `--writes-only`, each repeat writes a whole run of new rows (a new as-of date) through
`pde.db.scores`, one transaction per chunk, as `pde score-portfolio` does; then the same run
again, which must add nothing. The bar: <= 5 s per 30,000 rows on each database.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import typer

from pde.bench.common import peak_rss_mb, time_repeated

BAR_SECONDS = 5.0
PARTITION_CUSTOMERS = 25_000  # default partition size of the Dask run
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _prepare(url: str, *, customers: int, schema: str | None) -> object:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql, sqlite

    from pde.db import migrate
    from pde.db.engine import make_engine
    from pde.db.models import Customer
    from pde.db.types import utc_now

    if schema:
        admin = sa.create_engine(url)
        with admin.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
    engine = make_engine(
        url, connect_args={"options": f"-csearch_path={schema}"} if schema else None
    )
    migrate.upgrade(engine=engine)
    now = utc_now()
    rows = [
        {
            "customer_id": f"C{i:07d}",
            "open_date": date(2020, 1, 1),
            "birth_year": 1980,
            "income_bracket": "middle",
            "employment_type": "salaried",
            "region": "R1",
            "product": "credit_card",
            "credit_limit": Decimal("1000.00"),
            "outstanding_balance": Decimal("100.00"),
            "monthly_obligation": Decimal("50.00"),
            "declared_income": None,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(customers)
    ]
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as connection:
        connection.execute(insert(Customer.__table__), rows)  # type: ignore[attr-defined]
    return engine


def _drop_schema(url: str, schema: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _bench_one(label: str, url: str, *, customers: int, repeat: int, schema: str | None) -> float:
    from pde.db.scores import ScoreRow, write_scores

    engine = _prepare(url, customers=customers, schema=schema)
    reasons = [
        {"feature": "salary_delay_days", "value": 4.0, "contribution": 0.3, "text": "salary late"}
    ]
    counter = iter(range(10_000))

    def one_run(n: int | None = None, run_id: str | None = None) -> int:
        n = next(counter) if n is None else n
        as_of = date(2026, 1, 1) + timedelta(days=n)
        rows = (
            ScoreRow(
                customer_id=f"C{i:07d}",
                as_of=as_of,
                probability=(i % 1000) / 1000,
                tier="medium",
                alert=i % 7 == 0,
                model_version="bench-v1",
                top_reasons=reasons,
            )
            for i in range(customers)
        )
        state = write_scores(
            rows=rows,
            run_id=run_id or f"bench-{n}",
            as_of=as_of,
            model_version="bench-v1",
            engine=engine,  # type: ignore[arg-type]
        )
        return state.rows_written

    timing, written = time_repeated(one_run, repeat=repeat)
    assert written == customers, f"{label}: wrote {written} rows, expected {customers}"
    # The same scores again under a new run id: every key exists, nothing may be added.
    again, added = time_repeated(lambda: one_run(0, f"again-{uuid.uuid4().hex[:6]}"), repeat=1)
    assert added == 0, f"{label}: a re-run added {added} rows"
    engine.dispose()  # type: ignore[attr-defined]
    runs = ", ".join(f"{s:.2f}" for s in timing.seconds)
    verdict = "OK" if timing.median <= BAR_SECONDS else "OVER THE BAR"
    print(
        f"{label:<11} {customers:>7,} rows  median {timing.median:6.2f} s  "
        f"({customers / timing.median:,.0f} rows/s; runs {runs})"
        f"  bar {BAR_SECONDS:.0f} s: {verdict}"
    )
    print(f"{'':<11} re-run of the same {customers:,} keys: {again.median:.2f} s, 0 rows added")
    return timing.median


def register(app: typer.Typer) -> None:
    @app.command(
        name="portfolio",
        help="Simulated customers to scores in the database on Dask (--writes-only: bulk writes).",
    )
    def portfolio(
        customers: int = typer.Option(30_000, help="Customers (rows per run with --writes-only)."),
        writes_only: bool = typer.Option(
            False, "--writes-only", help="Only the bulk writing of scores, SQLite and PostgreSQL."
        ),
        workers: int = typer.Option(2, min=1, help="Dask worker processes."),
        partitions: int = typer.Option(0, min=0, help="Partitions (0: one per 25,000 customers)."),
        replicas: int = typer.Option(2, min=1, help="`pde serve` processes, balanced."),
        baseline_customers: int = typer.Option(
            10_000, min=100, help="Customers of the single-process baseline."
        ),
        scratch: Path | None = typer.Option(None, help="Folder for the data (default: /tmp)."),
        repeat: int = typer.Option(3, min=1, help="Runs per database (--writes-only)."),
        postgres_url: str = typer.Option(
            os.environ.get("PDE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            help="PostgreSQL to use (a temporary schema is created and dropped).",
        ),
        skip_postgres: bool = typer.Option(False, help="Only SQLite."),
    ) -> None:
        if not writes_only:
            from pde.bench import portfolio_scale

            portfolio_scale.run(
                customers=customers,
                workers=workers,
                partitions=partitions or max(workers, -(-customers // PARTITION_CUSTOMERS)),
                replicas=replicas,
                baseline_customers=baseline_customers,
                postgres_url=None
                if skip_postgres
                else portfolio_scale.postgres_or_none(postgres_url),
                scratch=scratch,
            )
            return
        _writes(customers=customers, repeat=repeat, postgres_url=postgres_url, skip=skip_postgres)


def _writes(*, customers: int, repeat: int, postgres_url: str, skip: bool) -> None:
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as tmp:
        _bench_one(
            "sqlite", f"sqlite:///{tmp}/bench.db", customers=customers, repeat=repeat, schema=None
        )
    if not skip:
        try:
            probe = sa.create_engine(postgres_url, connect_args={"connect_timeout": 3})
            with probe.connect():
                pass
            probe.dispose()
        except Exception as exc:  # the driver's error types vary
            print(f"postgresql  skipped: unreachable at {postgres_url} ({type(exc).__name__})")
        else:
            schema = f"pde_bench_{uuid.uuid4().hex[:10]}"
            try:
                _bench_one(
                    "postgresql", postgres_url, customers=customers, repeat=repeat, schema=schema
                )
            finally:
                _drop_schema(postgres_url, schema)
    print(f"peak memory {peak_rss_mb():.0f} MiB")
