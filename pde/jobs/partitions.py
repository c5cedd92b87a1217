"""Portfolio scoring on Dask: the portfolio split into customer partitions, one task each.

Each task reads only its partition's customers from the data files (hash of the customer id,
as pde.training.features.distributed), computes their features, streams them to the scoring
servers (several replicas balanced by the client, a lost replica's rows resumed on another:
pde.client.failover) and writes its scores to the database. The alert policy ranks a whole
date, so the job runs in rounds, the partitions' features and scores staying on the workers
between the scoring and the writing (the canonical data does not: it is read again):

1. load: the partition's customers upserted; the date of its last event;
2. score: the partition read again, its features and scores at every date (a partition
   whose rows the run already holds is not scored again: its stored probabilities are read
   back) and its outcomes (labels) of the dates whose label window has closed;
3. the driver ranks each date over every partition's probabilities (pde.decision), as the
   single-process job does, measures the date's drift and the policy's figures;
4. write: each partition writes its rows with their alerts and the reasons of the newest
   date's alerts (ExplainStream).

A rerun for the same date and model skips every partition already written, so a run that
lost a worker resumes per partition; rows go in with ON CONFLICT DO NOTHING, so none is
written twice. The result equals `pde.jobs.portfolio.score_portfolio`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pde.client.channel import ClientOptions
from pde.client.failover import score_exactly_once
from pde.client.results import RowScore
from pde.client.sync import RiskClient
from pde.contracts.bundle import AlertPolicy
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.core.settings import get_settings
from pde.db.customers import customer_records, upsert_customers
from pde.db.engine import make_engine, session_scope
from pde.db.scores import (
    DEFAULT_CHUNK_ROWS,
    JOB_ACTOR,
    begin_run,
    close_run,
    insert_rows,
    settle_run,
    stored_scores,
)
from pde.decision import policy_from_settings
from pde.jobs.drift import record_date_drift
from pde.jobs.portfolio import (
    PortfolioResult,
    check_model,
    choose_alerts,
    date_labels,
    policy_outcome,
    run_id_for,
    score_rows,
)
from pde.training.features import compute_features
from pde.training.features.distributed import load_partition
from pde.training.features.labels import event_span

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionJob:
    """What every task needs (sent to the workers: plain values only)."""

    data_dir: Path
    database_url: str
    client: ClientOptions
    parts: int
    model_version: str
    feature_names: tuple[str, ...]
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    top_reasons: int = 3
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class Partition:
    """One partition's features and scores per date, held on its worker between the scoring
    and the writing rounds (its canonical data is not: memory stays at the features)."""

    part: int
    features: dict[date, pl.DataFrame]
    # None: the run already held every row of this partition (probabilities read back)
    scored: dict[date, list[RowScore] | None]
    probabilities: dict[date, list[float]]
    # customer_id, label (null when unknown) of each date whose label window has closed
    outcomes: dict[date, pl.DataFrame | None]


@dataclass(frozen=True)
class Written:
    """What one partition's write round returns for one date."""

    rows: int  # rows this call wrote
    alerts: int  # alerts among them


@dataclass(frozen=True)
class Summary:
    """What the driver gathers of a scored partition."""

    frames: dict[date, pl.DataFrame]  # features and `__p`, the probability
    skipped: set[date]  # dates already written
    outcomes: dict[date, pl.DataFrame | None]


@contextmanager
def _engine(url: str) -> Iterator[Any]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def load_part(job: PartitionJob, part: int) -> date | None:
    """Round 1: the partition's customers upserted (scores refer to them); the date of its
    last event (None without any), from which the driver sets the dates to score."""
    data = load_partition(job.data_dir, part=part, parts=job.parts)
    with _engine(job.database_url) as engine, session_scope(engine=engine) as session:
        upsert_customers(session=session, records=customer_records(data.customers), actor=JOB_ACTOR)
    has_events = data.transactions.height > 0 or data.payments.height > 0
    return event_span(data)[1] if has_events else None


def score_part(job: PartitionJob, part: int, last_event: date) -> Partition:
    """Round 2: the partition's features at every date and their scores (streamed to the
    servers), and its outcomes; a date whose rows the run already holds is read back, not
    scored."""
    data = load_partition(job.data_dir, part=part, parts=job.parts)
    everything = compute_features(data, job.dates, lookback_days=job.lookback_days)
    features: dict[date, pl.DataFrame] = {}
    scored: dict[date, list[RowScore] | None] = {}
    probabilities: dict[date, list[float]] = {}
    outcomes: dict[date, pl.DataFrame | None] = {}
    with (
        _engine(job.database_url) as engine,
        RiskClient.from_options(job.client) as client,
    ):
        for when in job.dates:
            frame = everything.filter(pl.col("as_of") == when).sort("customer_id")
            labels = date_labels(data, frame, last_event)
            outcomes[when] = None if labels is None else frame.select("customer_id", labels)
            ids = frame["customer_id"].to_list()
            with session_scope(engine=engine) as session:
                stored = stored_scores(
                    session=session, run_id=run_id_for(when, job.model_version), customer_ids=ids
                )
            features[when] = frame
            if len(stored) == len(ids):
                scored[when] = None
                probabilities[when] = [stored[i] for i in ids]
                continue
            rows = list(
                score_exactly_once(
                    client,
                    frame,
                    id_column="customer_id",
                    model_version=job.model_version,
                    chunk_rows=job.chunk_rows,
                )
            )
            scored[when] = rows
            probabilities[when] = [row.probability for row in rows]
    return Partition(part, features, scored, probabilities, outcomes)


def summary_of(partition: Partition) -> Summary:
    """What the driver ranks: per date the features with their probabilities (`__p`); the
    dates at which the partition was already written; its outcomes."""
    frames = {
        when: frame.with_columns(pl.Series("__p", partition.probabilities[when], pl.Float64))
        for when, frame in partition.features.items()
    }
    skipped = {when for when, rows in partition.scored.items() if rows is None}
    return Summary(frames, skipped, partition.outcomes)


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def write_part(
    job: PartitionJob, partition: Partition, alerted: dict[date, frozenset[str]]
) -> dict[date, Written]:
    """Round 4: the partition's rows with the driver's alerts (reasons for the newest date's
    alerts), one transaction per chunk."""
    newest = max(job.dates)
    written: dict[date, Written] = {}
    with (
        _engine(job.database_url) as engine,
        RiskClient.from_options(job.client) as client,
    ):
        for when in job.dates:
            frame = partition.features[when]
            scored = partition.scored[when]
            if scored is None:
                written[when] = Written(0, 0)
                continue
            flags = [row.row_id in alerted[when] for row in scored]
            alerts: list[str] = []
            rows = score_rows(
                client,
                frame,
                scored,
                flags,
                feature_names=list(job.feature_names),
                as_of=when,
                model_version=job.model_version,
                top_reasons=job.top_reasons if when == newest else 0,
                alerts=alerts,
            )
            run_id = run_id_for(when, job.model_version)
            count = 0
            for chunk in _chunks(rows, job.chunk_rows):
                with session_scope(engine=engine) as session:
                    insert_rows(session=session, run_id=run_id, rows=chunk)
                count += len(chunk)
            written[when] = Written(count, len(alerts))
    return written


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
    )
    spans = _gather(dask, [dask.submit(load_part, job, k, pure=False) for k in range(partitions)])
    dates = _dates(spans, as_of, weeks)
    last_event = max((d for d in spans if d is not None), default=dates[-1])
    job = replace(job, dates=tuple(dates))
    scored = [dask.submit(score_part, job, k, last_event, pure=False) for k in range(partitions)]
    summaries = _gather(dask, [dask.submit(summary_of, f, pure=False) for f in scored], on_part)
    ranked: dict[date, pl.DataFrame] = {}
    alerted: dict[date, frozenset[str]] = {}
    chosen = {}
    with _engine(database_url) as engine:
        for when in dates:
            whole = pl.concat([summary.frames[when] for summary in summaries]).sort("customer_id")
            ranked[when] = whole
            chosen[when] = choose_alerts(whole, whole["__p"].to_list(), policy)
            alerted[when] = frozenset(whole.filter(pl.Series(chosen[when].alerted))["customer_id"])
            with session_scope(engine=engine) as session:
                begin_run(
                    session=session,
                    run_id=run_id_for(when, info.version),
                    as_of=when,
                    model_version=info.version,
                    total_customers=whole.height,
                )
        writes = [dask.submit(write_part, job, f, alerted, pure=False) for f in scored]
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
                    partitions_skipped=sum(1 for summary in summaries if when in summary.skipped),
                )
            )
    return results


def _gather(
    dask: Client, futures: list[Future[Any]], on_done: Callable[[str], None] | None = None
) -> list[Any]:
    """The futures' results in order; `on_done(name)` as each finishes."""
    if on_done is not None:
        from distributed import as_completed

        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            on_done(str(future.key))
    return list(dask.gather(futures))  # type: ignore[no-untyped-call]
