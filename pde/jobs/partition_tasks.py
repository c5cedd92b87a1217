"""The tasks of partitioned portfolio scoring (pde.jobs.partitions), run on Dask workers.

Each task gets plain values (`PartitionJob`, a partition number, results of earlier tasks),
opens its own database engine and scoring client, and returns what the driver needs. Their
results stay on the workers between rounds: a partition's features and scores (`Partition`),
not its canonical data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import polars as pl

from pde.client.channel import ClientOptions
from pde.client.failover import score_exactly_once
from pde.client.results import RowScore
from pde.client.sync import RiskClient
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.db.customers import customer_records, upsert_customers
from pde.db.engine import make_engine, session_scope
from pde.db.scores import DEFAULT_CHUNK_ROWS, JOB_ACTOR, insert_rows, stored_scores
from pde.jobs.date_decisions import date_labels
from pde.jobs.portfolio import run_id_for, score_rows
from pde.training.features import compute_features
from pde.training.features.distributed import load_partition
from pde.training.features.labels import event_span


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
    # ask for the expected effects with the scores (a model with uplift models)
    effects: bool = False


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
    # the rows as the servers scored them (effects and shadow scores included), in the
    # frame's order; None for a date already written (its probabilities were read back)
    scored: dict[date, list[RowScore] | None]


@contextmanager
def engine_for(url: str) -> Iterator[Any]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Loaded:
    """What the driver gathers of a loaded partition."""

    last_event: date | None  # None: the partition has no events
    products: dict[str, str]  # customer_id -> product (the recommender's prior needs it)


def load_part(job: PartitionJob, part: int) -> Loaded:
    """Round 1: the partition's customers upserted (scores refer to them); the date of its
    last event, from which the driver sets the dates to score, and its customers' products."""
    data = load_partition(job.data_dir, part=part, parts=job.parts)
    with engine_for(job.database_url) as engine, session_scope(engine=engine) as session:
        upsert_customers(session=session, records=customer_records(data.customers), actor=JOB_ACTOR)
    has_events = data.transactions.height > 0 or data.payments.height > 0
    customers = data.customers
    products = dict(zip(customers["customer_id"], customers["product"], strict=True))
    return Loaded(event_span(data)[1] if has_events else None, products)


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
        engine_for(job.database_url) as engine,
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
                    effects=job.effects,
                )
            )
            scored[when] = rows
            probabilities[when] = [row.probability for row in rows]
    return Partition(part, features, scored, probabilities, outcomes)


def summary_of(partition: Partition) -> Summary:
    """What the driver ranks: per date the features with their probabilities (`__p`); the
    dates at which the partition was already written; its outcomes; its scored rows."""
    frames = {
        when: frame.with_columns(pl.Series("__p", partition.probabilities[when], pl.Float64))
        for when, frame in partition.features.items()
    }
    skipped = {when for when, rows in partition.scored.items() if rows is None}
    return Summary(frames, skipped, partition.outcomes, partition.scored)


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
        engine_for(job.database_url) as engine,
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
