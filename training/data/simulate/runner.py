"""Runs a simulation chunk by chunk and streams the canonical tables and the truth to disk."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from pde.contracts.data.atomic import atomic_directory
from pde.contracts.data.io import DATASET_FILES, PARQUET_COMPRESSION, write_extraction_date
from pde.contracts.data.schema import SCHEMA_VERSION
from pde.training.data.simulate import obligations as obligation_model
from pde.training.data.simulate.config import Calendar, SimulationConfig
from pde.training.data.simulate.drift import drift_first_day, shift_events
from pde.training.data.simulate.events import Events
from pde.training.data.simulate.frames import (
    customer_ids,
    customers_frame,
    payments_frame,
    transactions_frame,
    truth_frame,
)
from pde.training.data.simulate.income import income_events, paydays
from pde.training.data.simulate.latent import draw_latent
from pde.training.data.simulate.obligations import draw_obligations, treated_obligation_events
from pde.training.data.simulate.population import draw_profiles
from pde.training.data.simulate.spending import spending_events
from pde.training.data.simulate.treatment_frames import interventions_frame, uplift_truth_frame

logger = logging.getLogger(__name__)

GENERATOR_VERSION = "1"
TABLE_FILES = ("customers", "transactions", "payments", "truth")
TREATMENT_FILES = ("interventions", "uplift_truth")
# Streams of the treated history, apart from the chunk's own: without contacts, the data is
# exactly what the simulator wrote before it knew of interventions.
PLAN_STREAM, EVENTS_STREAM = 1, 2
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SimulationSummary:
    """What a run produced: row counts, the label (default) rate and the oracle AUC."""

    customers: int
    transactions: int
    payments: int
    truth_rows: int
    labelled_rows: int
    default_rate: float
    oracle_auc: float
    mean_true_probability: float
    interventions: int = 0


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney), ties counted half."""
    positives = int(labels.sum())
    negatives = labels.shape[0] - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    rank_sum = average_rank[inverse][labels == 1].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass
class _Chunk:
    customers: pl.DataFrame
    transactions: pl.DataFrame
    payments: pl.DataFrame
    truth: pl.DataFrame
    label: np.ndarray
    probability: np.ndarray
    interventions: pl.DataFrame | None = None
    uplift_truth: pl.DataFrame | None = None


def _stream(config: SimulationConfig, index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([config.seed, index, stream]))


def simulate_chunk(
    config: SimulationConfig, index: int, first: int, size: int, first_txn: int
) -> _Chunk:
    """Customers first..first+size-1, drawn from their own seed (chunk `index`)."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, index]))
    calendar = Calendar.build(config)
    profiles = draw_profiles(rng, size, calendar.months)
    latent = draw_latent(rng, profiles, calendar.days)
    owed = draw_obligations(
        rng,
        config=config,
        calendar=calendar,
        profiles=profiles,
        latent=latent,
        treat_rng=_stream(config, index, PLAN_STREAM) if config.treated else None,
    )
    scheduled = paydays(calendar, profiles)
    events = Events.concat(
        [
            income_events(rng, calendar, profiles, latent),
            spending_events(rng, calendar, profiles, latent, scheduled),
            treated_obligation_events(rng, _stream(config, index, EVENTS_STREAM), owed),
        ]
    )
    if config.drift_from_week is not None:
        first_day = drift_first_day(
            history_weeks=config.history_weeks, drift_from_week=config.drift_from_week
        )
        events = shift_events(events, first_day=first_day)
    stress0 = latent.stress[:, 0]
    opening = profiles.income * np.exp(
        np.log(0.8) + 0.4 * rng.standard_normal(size) - 1.2 * stress0
    )
    ids = customer_ids(first, size)
    return _Chunk(
        customers=customers_frame(
            rng, config=config, ids=ids, profiles=profiles, stress_at_start=stress0
        ),
        transactions=transactions_frame(
            config=config,
            ids=ids,
            events=events,
            opening_balance=np.round(opening, 2),
            first_number=first_txn,
        ),
        payments=payments_frame(
            config=config, ids=ids, obligations=owed, month_label=calendar.month_label
        ),
        truth=truth_frame(config=config, ids=ids, truth=owed.truth),
        label=owed.label.reshape(-1),
        probability=owed.truth.reshape(-1),
        interventions=None
        if owed.treatments is None
        else interventions_frame(
            config=config, ids=ids, treatments=owed.treatments, label=owed.label
        ),
        uplift_truth=None
        if owed.treatments is None
        else uplift_truth_frame(config=config, ids=ids, treatments=owed.treatments),
    )


class _Sinks:
    """One Parquet writer per table, each chunk a row group (deterministic bytes)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(TABLE_FILES + TREATMENT_FILES, 0)

    def write(self, name: str, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        if name not in self.writers:
            path = self.directory / f"{name}.parquet"
            self.writers[name] = pq.ParquetWriter(
                path, table.schema, compression=PARQUET_COMPRESSION
            )
        self.writers[name].write_table(table, row_group_size=max(frame.height, 1))
        self.rows[name] += frame.height

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def simulate(
    config: SimulationConfig, out: Path, *, progress: Progress | None = None
) -> SimulationSummary:
    """Simulates `config` into `out` (replaced atomically): the canonical tables, `truth.parquet`
    `simulation.json` and `extract.json` (the last simulated day). Same config, same bytes."""
    labels: list[np.ndarray] = []
    probabilities: list[np.ndarray] = []
    with atomic_directory(out, owned=DATASET_FILES) as staging:
        sinks = _Sinks(staging)
        try:
            for index, (first, size) in enumerate(config.chunks):
                chunk = simulate_chunk(config, index, first, size, sinks.rows["transactions"] + 1)
                for name in TABLE_FILES + TREATMENT_FILES:
                    frame = getattr(chunk, name)
                    if frame is not None:
                        sinks.write(name, frame)
                keep = chunk.label >= 0
                labels.append(chunk.label[keep])
                probabilities.append(chunk.probability[keep])
                if progress is not None:
                    progress(first + size, config.customers)
                logger.debug("chunk %d: %d customers", index, size)
        finally:
            sinks.close()
        label = np.concatenate(labels)
        probability = np.concatenate(probabilities)
        summary = SimulationSummary(
            customers=sinks.rows["customers"],
            transactions=sinks.rows["transactions"],
            payments=sinks.rows["payments"],
            truth_rows=sinks.rows["truth"],
            labelled_rows=int(label.shape[0]),
            default_rate=float(label.mean()) if label.shape[0] else float("nan"),
            oracle_auc=roc_auc(probability, label),
            mean_true_probability=float(probability.mean()) if label.shape[0] else float("nan"),
            interventions=sinks.rows["interventions"],
        )
        (staging / "simulation.json").write_text(
            json.dumps(_record(config, summary), indent=2, sort_keys=True) + "\n"
        )
        write_extraction_date(staging, config.end)
    logger.info("simulated %d customers into %s", config.customers, out)
    return summary


def _record(config: SimulationConfig, summary: SimulationSummary) -> dict[str, Any]:
    figures = asdict(summary)
    record: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "schema_version": SCHEMA_VERSION,
        "parameters": {
            "customers": config.customers,
            "weeks": config.weeks,
            "history_weeks": config.history_weeks,
            "seed": config.seed,
            "start": config.start.isoformat(),
            "end": config.end.isoformat(),
            "as_of_first": (config.start + timedelta(days=int(config.as_of_days[0]))).isoformat(),
            "miss_intercept": obligation_model.MISS_INTERCEPT,
            "miss_slope": obligation_model.MISS_SLOPE,
            **(
                {"drift_from_week": config.drift_from_week}
                if config.drift_from_week is not None
                else {}
            ),
        },
        "summary": figures,
    }
    if config.treated:
        record["treatments"] = {
            "treated_weeks": min(config.treated_weeks, config.weeks),
            "flag_share": config.flag_share,
            "random_share": config.random_share,
        }
    else:
        del figures["interventions"]  # the record of a run without contacts is unchanged
    return record
