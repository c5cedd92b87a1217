"""Portfolio scoring on Dask: the portfolio split into customer partitions, one task each.

Each task reads only its partition's customers from the data files (hash of the customer id,
as pde.training.features.distributed), computes their features, streams them to the scoring
servers (several replicas balanced by the client, a lost replica's rows resumed on another:
pde.client.failover) and writes its scores to the database. The alert policy ranks a whole
date, so the job runs in rounds, the partitions' features and scores staying on the workers
between the scoring and the writing (the canonical data does not: it is read again):

1. load: the partition's customers upserted; the date of its last event;
2. score: the partition read again, its features and scores at every date, with the served
   effects and the shadow challenger's scores (a partition whose rows the run already holds
   is not scored again: its stored probabilities are read back) and its outcomes (labels) of
   the dates whose label window has closed;
3. the driver gathers each whole date's rows and ranks it (pde.decision), as the
   single-process job does (only the rows of partitions read back are scored again, by the
   driver, for their effects and shadow scores);
4. write: each partition writes its rows with their alerts and the reasons of the newest
   date's alerts (ExplainStream);
5. the driver measures each date's drift and the policy's figures, stores the challenger's
   scores and the recommendations of the alerts (`pde.jobs.date_decisions.settle_date`).

A rerun for the same date and model skips every partition already written, so a run that
lost a worker resumes per partition; rows go in with ON CONFLICT DO NOTHING, so none is
written twice. The result equals `pde.jobs.portfolio.score_portfolio`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pde.client.results import ModelInfo, RowScore
from pde.client.sync import RiskClient
from pde.contracts.bundle import AlertPolicy
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.core.settings import get_settings
from pde.db.engine import session_scope
from pde.db.scores import DEFAULT_CHUNK_ROWS, begin_run, close_run, settle_run
from pde.decision import policy_from_settings
from pde.jobs.date_decisions import choose_alerts, policy_outcome, settle_date
from pde.jobs.drift import record_date_drift
from pde.jobs.partition_tasks import (
    PartitionJob,
    Summary,
    engine_for,
    load_part,
    score_part,
    summary_of,
    write_part,
)
from pde.jobs.portfolio import PortfolioResult, check_model, run_id_for

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

TASK_RETRIES = 2


@contextmanager
def dask_client(scheduler: str | None, *, workers: int) -> Iterator[Client]:
    """A client of the cluster at `scheduler`, or of a LocalCluster of `workers` processes
    (one thread each: the features and the client's stream are CPU-bound Python)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PdeError(
            "partitioned scoring needs Dask's distributed scheduler: install pde[scale]"
        ) from None
    if scheduler:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _dates(last_events: Sequence[date | None], as_of: date | None, weeks: int) -> list[date]:
    known = [d for d in last_events if d is not None]
    if as_of is None and not known:
        raise PdeError("the data has no events: give --as-of")
    latest = as_of or max(known) + timedelta(days=1)
    return [latest - timedelta(weeks=k) for k in reversed(range(weeks))]


def score_portfolio_partitioned(
    *,
    dask: Client,
    data_dir: Path,
    client: RiskClient,
    database_url: str,
    partitions: int,
    as_of: date | None = None,
    weeks: int = 1,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    top_reasons: int = 3,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    policy: AlertPolicy | None = None,
    model_dir: Path | None = None,
    on_part: Callable[[str], None] | None = None,
) -> list[PortfolioResult]:
    """`pde.jobs.portfolio.score_portfolio` as Dask tasks over `partitions` customer
    partitions on the cluster of `dask`; the workers dial the servers `client` dials and write
    to `database_url`. `on_part(round)` is called as each partition finishes a round."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    policy = policy or policy_from_settings(get_settings())
    model_dir = model_dir or get_settings().model_dir
    info = check_model(client)
    job = PartitionJob(
        data_dir=data_dir,
        database_url=database_url,
        client=client.options,
        parts=partitions,
        model_version=info.version,
        feature_names=tuple(info.feature_names),
        lookback_days=lookback_days,
        top_reasons=top_reasons,
        chunk_rows=chunk_rows,
        effects=bool(info.actions),
    )
    # Every task is idempotent (upserts, ON CONFLICT DO NOTHING): a task that failed (a replica
    # lost during ExplainStream, a database hiccup) is run again before the job gives up.
    once = {"pure": False, "retries": TASK_RETRIES}
    loaded = _gather(dask, [dask.submit(load_part, job, k, **once) for k in range(partitions)])
    spans = [part.last_event for part in loaded]
    products = {c: p for part in loaded for c, p in part.products.items()}
    dates = _dates(spans, as_of, weeks)
    last_event = max((d for d in spans if d is not None), default=dates[-1])
    job = replace(job, dates=tuple(dates))
    scored = [dask.submit(score_part, job, k, last_event, **once) for k in range(partitions)]
    summaries = _gather(dask, [dask.submit(summary_of, f, **once) for f in scored], on_part)
    ranked: dict[date, pl.DataFrame] = {}
    alerted: dict[date, frozenset[str]] = {}
    chosen = {}
    rescored: dict[date, list[RowScore]] = {}
    with engine_for(database_url) as engine:
        for when in dates:
            whole = pl.concat([summary.frames[when] for summary in summaries]).sort("customer_id")
            ranked[when] = whole
            # the rows as the workers scored them (the served effects rank the alerts, the
            # shadow scores are stored); a partition already written is scored again here
            rescored[when] = _rows_of(client, info, summaries, when, whole["customer_id"])
            probabilities = [row.probability for row in rescored[when]]
            chosen[when] = choose_alerts(whole, probabilities, policy, scored=rescored[when])
            alerted[when] = frozenset(whole.filter(pl.Series(chosen[when].alerted))["customer_id"])
            with session_scope(engine=engine) as session:
                begin_run(
                    session=session,
                    run_id=run_id_for(when, info.version),
                    as_of=when,
                    model_version=info.version,
                    total_customers=whole.height,
                )
        writes = [dask.submit(write_part, job, f, alerted, **once) for f in scored]
        try:
            done = _gather(dask, writes, on_part)
        except BaseException as exc:
            for when in dates:
                with session_scope(engine=engine) as session:
                    close_run(
                        session=session,
                        run_id=run_id_for(when, info.version),
                        error=f"{type(exc).__name__}: {exc}",
                    )
            raise
        results = []
        for when in dates:
            whole = ranked[when]
            run_id = run_id_for(when, info.version)
            outcomes = [summary.outcomes[when] for summary in summaries]
            labels = None
            if all(frame is not None for frame in outcomes):
                labels = whole.select("customer_id").join(
                    pl.concat([f for f in outcomes if f is not None]),
                    on="customer_id",
                    how="left",
                    maintain_order="left",
                )["label"]
            figures, warnings = policy_outcome(chosen[when], labels, policy)
            with session_scope(engine=engine) as session:
                settle_run(session=session, run_id=run_id)
                state = close_run(session=session, run_id=run_id)
            drift = record_date_drift(
                bundle_dir=model_dir / info.version,
                features=whole.drop("__p"),
                probabilities=whole["__p"].to_numpy(),
                as_of=when,
                model_version=info.version,
                engine=engine,
            )
            shadow, recommended = settle_date(
                client=client,
                info=info,
                features=whole.drop("__p"),
                scored=rescored[when],
                alerted=chosen[when].alerted,
                products=products,
                as_of=when,
                policy=policy,
                engine=engine,
            )
            results.append(
                PortfolioResult(
                    run_id=run_id,
                    as_of=when,
                    model_version=info.version,
                    customers=whole.height,
                    rows_written=state.rows_written,
                    alerts=sum(part[when].alerts for part in done),
                    policy=figures,
                    warnings=warnings,
                    drift=drift,
                    challenger=shadow,
                    recommendations=recommended,
                    partitions_skipped=sum(1 for summary in summaries if when in summary.skipped),
                )
            )
    return results


def _rows_of(
    client: RiskClient,
    info: ModelInfo,
    summaries: list[Summary],
    when: date,
    order: pl.Series,
) -> list[RowScore]:
    """Every partition's scored rows at `when`, in `order` (customer ids): the workers' rows,
    and for a partition whose rows were read back (already written), its rows scored again
    through the driver's client for their effects and shadow scores."""
    by_id: dict[str, RowScore] = {}
    for summary in summaries:
        rows = summary.scored.get(when)
        if rows is None:
            rows = list(
                client.score_many(
                    summary.frames[when].drop("__p"),
                    id_column="customer_id",
                    model_version=info.version,
                    effects=bool(info.actions),
                )
            )
        by_id.update((row.row_id, row) for row in rows)
    return [by_id[customer] for customer in order]


def _gather(
    dask: Client, futures: list[Future[Any]], on_done: Callable[[str], None] | None = None
) -> list[Any]:
    """The futures' results in order; `on_done(name)` as each finishes."""
    if on_done is not None:
        from distributed import as_completed

        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            on_done(str(future.key))
    return list(dask.gather(futures))  # type: ignore[no-untyped-call]
