"""The training run as a chain of named stages: split, clip, prune, tune, fit, ensemble,
cross-validate, threshold, evaluate, export, write. Each stage takes the typed values earlier
stages returned (see `prepare` and `stages`) and is timed and announced through `progress`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from pde.contracts.bundle import Manifest, read_manifest
from pde.contracts.catalogue import FeatureStatistics
from pde.contracts.reference import ReferenceDistributions
from pde.core.names import MODEL_NAMES
from pde.training.learners import get_learner
from pde.training.models import prepare, stages
from pde.training.models.bundle_writer import BundleContents, bundle_version, write_bundle
from pde.training.models.config import StageCallback, TrainConfig, no_progress
from pde.training.models.feature_statistics import feature_statistics
from pde.training.models.frame import TrainingFrame
from pde.training.models.hazard import HAZARD_MAX_ROUNDS, TimeToMiss, train_time_to_miss
from pde.training.models.report import render_report
from pde.training.models.summary import (
    RunRecord,
    evaluation_data,
    manifest_fields,
    reference_distributions,
)
from pde.training.models.uplift import UpliftError
from pde.training.models.uplift_stage import UpliftResult, run_uplift, uplift_contents

log = logging.getLogger(__name__)

# Rows of the written bundle its files are checked on once more, after writing.
WRITTEN_PARITY_ROWS = 2000


@dataclass
class StageTimer:
    """Announces each stage to the progress callback and records its duration."""

    progress: StageCallback
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.progress(name, "")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)


@dataclass(frozen=True)
class TrainResult:
    bundle_dir: Path
    manifest: Manifest
    timings: dict[str, float]


def train_frame(
    frame: TrainingFrame,
    *,
    config: TrainConfig,
    model_dir: Path,
    progress: StageCallback = no_progress,
) -> TrainResult:
    """Trains, evaluates, exports and writes a bundle (a challenger: `current` is moved only by
    promotion, pde.jobs.models.promote)."""
    timer = StageTimer(progress)
    started = time.perf_counter()
    created_at = datetime.now(UTC).replace(microsecond=0)
    with timer.stage("split"):
        rows = prepare.split_rows(frame, config=config)
    with timer.stage("clip"):
        clipped = prepare.clip(frame, rows, config=config)
    with timer.stage("prune"):
        features = prepare.prune(frame, rows, clipped, config=config)
        m = prepare.matrices(frame, rows, clipped, features, config=config)
        del clipped  # all features of the tuning rows: no longer needed
    with timer.stage("tune"):
        tuned = stages.tune(m, config=config, progress=progress)
    with timer.stage("fit"):
        natives = stages.fit(m, tuned, config=config, progress=progress)
    with timer.stage("ensemble"):
        blended = stages.ensemble(natives, m, config=config)
    with timer.stage("cross-validate"):
        cross_validated = stages.cross_validation(
            frame,
            rows,
            features,
            tuned,
            weights=blended.weights,
            config=config,
            progress=progress,
        )
    with timer.stage("threshold"):
        decision = stages.decide(blended, m, frame, config=config)
    with timer.stage("evaluate"):
        evaluation = stages.evaluate(
            frame,
            rows,
            features,
            m,
            tuned=tuned,
            natives=natives,
            blended=blended,
            cross_validated=cross_validated,
            decision=decision,
            config=config,
        )
    with timer.stage("export"):
        exported = stages.export(natives, m, features, config=config)
    uplift = None
    uplift_figures: dict[str, object] = {}
    if frame.uplift is not None:
        with timer.stage("uplift"):
            try:
                uplift = run_uplift(
                    frame,
                    rows,
                    features,
                    x_test=m.x_test,
                    p_test=blended.p_test["ensemble"],
                    config=config,
                )
            except UpliftError as exc:
                # Too little history for one arm: the risk bundle stands without uplift.
                log.warning("uplift models skipped: %s", exc)
                uplift_figures = {"uplift": {"skipped": str(exc)}}
        if uplift is not None:
            uplift_figures = {"uplift": uplift.figures}
    time_to_miss = None
    if frame.days_to_miss is not None:
        with timer.stage("time to miss"):
            time_to_miss = _time_to_miss(frame, rows, features, config=config)
    with timer.stage("write"):
        fingerprint = frame.fingerprint()
        record = RunRecord(
            frame=frame,
            config=config,
            created_at=created_at,
            version=bundle_version(created_at, fingerprint),
            fingerprint=fingerprint,
            split=rows.split,
            rows_used={
                "fit": len(rows.fit),
                "tune": len(rows.tune),
                "stop": len(rows.stop),
                "cv": cross_validated.rows,
            },
            pruning=features.pruning,
            kept_names=features.names,
            clip_bounds=features.bounds,
            tuned=tuned,
            trees={n: get_learner(n).tree_count(natives[n]) for n in MODEL_NAMES},
            weights=blended.weights,
            calibration=blended.calibration,
            threshold=decision.threshold,
            tiers=decision.tiers,
            metrics=evaluation.metrics,
            cv=cross_validated.cv,
            results={
                **evaluation.results,
                "parity_max_abs_diff": exported.parity,
                **uplift_figures,
                **({"time_to_miss": time_to_miss.figures} if time_to_miss else {}),
            },
            timings={**timer.seconds, "total": round(time.perf_counter() - started, 3)},
        )
        held_out = blended.p_test["ensemble"]
        reference = reference_distributions(
            features=frame.x[np.ix_(rows.fit, np.asarray(features.pruning.kept))],
            names=features.names,
            scores=held_out if held_out.size else blended.p_val["ensemble"],
            seed=config.seed,
        )
        statistics = feature_statistics(
            frame.x[np.ix_(rows.fit, np.asarray(features.pruning.kept))], features.names
        )
        bundle_dir = _write(
            model_dir,
            record,
            natives=natives,
            exported=exported,
            reference=reference,
            uplift=uplift,
            statistics=statistics,
            time_to_miss=time_to_miss,
        )
    timer.seconds["total"] = round(time.perf_counter() - started, 3)
    return TrainResult(bundle_dir, read_manifest(bundle_dir, verify=False), timer.seconds)


def _time_to_miss(
    frame: TrainingFrame, rows: prepare.Rows, features: prepare.Features, *, config: TrainConfig
) -> TimeToMiss:
    """The hazard model on the fitting rows, measured on the out-of-time test rows."""
    assert frame.days_to_miss is not None  # the caller checked
    test = rows.split.test
    return train_time_to_miss(
        features.prepare(frame, rows.fit),
        frame.days_to_miss[rows.fit],
        features.prepare(frame, test),
        frame.days_to_miss[test],
        rounds=min(config.max_trees, HAZARD_MAX_ROUNDS),
        threads=config.threads,
        seed=config.seed,
    )


def _write(
    model_dir: Path,
    record: RunRecord,
    *,
    natives: stages.Natives,
    exported: stages.Exported,
    reference: ReferenceDistributions,
    uplift: UpliftResult | None,
    statistics: dict[str, FeatureStatistics],
    time_to_miss: TimeToMiss | None = None,
) -> Path:
    """The bundle: files, manifest, metrics.json and report, checked again once written."""
    evaluation = evaluation_data(record)
    contents = BundleContents(
        natives=natives,
        graphs=exported.graphs,
        manifest_fields={**manifest_fields(record), "feature_statistics": statistics},
        report_html=render_report(evaluation),
        metrics=evaluation,
        reference=reference,
        uplift=None if uplift is None else uplift_contents(uplift, config=record.config),
        hazard=(
            None
            if time_to_miss is None
            else (time_to_miss.model.model, time_to_miss.model.learner, time_to_miss.graph)
        ),
    )
    return write_bundle(
        model_dir,
        contents,
        parity_rows=exported.rows[:WRITTEN_PARITY_ROWS],
        parity_tolerance=record.config.parity_tolerance,
    )
