"""Loads a model bundle into three onnxruntime sessions, warms them and checks parity.

A bundle is accepted only when every file passes its sha256 check, the three graphs load and
answer, and their probabilities match the native models' within `PARITY_TOLERANCE` on
synthetic rows that include missing values. Anything else raises `BundleError`.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import BundleError, Manifest, read_manifest
from pde.contracts.catalogue import CatalogueEntry, FeatureStatistics
from pde.contracts.hazard import (
    INTERVAL_ENDS,
    MissForecast,
    forecast,
    forecast_one,
    with_intervals,
)
from pde.core.names import MODEL_NAMES
from pde.server import fused
from pde.server.ensemble import F32, F64, EnsembleSpec
from pde.server.explainer import Explainer
from pde.server.native import NativeModel

if TYPE_CHECKING:
    from pde.server.uplift import UpliftArms

log = logging.getLogger(__name__)

PARITY_TOLERANCE = 1e-4
PARITY_ROWS = 64


@dataclass(frozen=True)
class BatchScores:
    """Scores of a batch of rows, in the order of the rows."""

    per_model: F64  # [models, rows], MODEL_NAMES order
    probability: F64  # calibrated ensemble probability
    tier: npt.NDArray[np.uint8]
    alert: npt.NDArray[np.bool_]
    miss: MissForecast | None = None  # time to miss, when the bundle has a hazard model


@dataclass(frozen=True)
class RowScore:
    """The scores of one row."""

    per_model: list[float]  # MODEL_NAMES order
    probability: float
    tier: int
    alert: bool
    # Miss within 7, 14 and 30 days and expected days to it; None without a hazard model.
    miss: tuple[float, float, float, float] | None = None


def row_scores(scores: BatchScores) -> list[RowScore]:
    """Splits a batch's scores into one RowScore per row."""
    per_model = scores.per_model.T.tolist()
    probability = scores.probability.tolist()
    tiers = scores.tier.tolist()
    alerts = scores.alert.tolist()
    miss: list[tuple[float, float, float, float] | None] = [None] * len(probability)
    if scores.miss is not None:
        m = scores.miss
        miss = list(
            zip(
                m.within_7d.tolist(),
                m.within_14d.tolist(),
                m.within_30d.tolist(),
                m.expected_days.tolist(),
                strict=True,
            )
        )
    return [
        RowScore(per_model[i], probability[i], tiers[i], alerts[i], miss[i])
        for i in range(len(probability))
    ]


@dataclass(frozen=True)
class _Graph:
    session: Any
    input_name: str
    outputs: list[str]

    def probability(self, x: F32) -> npt.NDArray[np.float32]:
        out = self.session.run(self.outputs, {self.input_name: x})[0]
        return np.asarray(out[:, 1], dtype=np.float32)


@dataclass(frozen=True)
class _Merged:
    """The members merged into one graph (see `pde.server.fused`): one run per batch."""

    session: Any
    outputs: list[str]  # the members' probabilities, in MODEL_NAMES order
    members: int

    def per_model(self, x: F32) -> F64:
        results = self.session.run(self.outputs[: self.members], {fused.INPUT: x})
        return np.stack([r[:, 1] for r in results[: self.members]]).astype(np.float64)


def _session_options(threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning threads steal the second core from the gRPC threads and the other session.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # No arena: a large batch's buffers go back to the allocator instead of staying with the
    # session (measured: 240 -> 155-211 MiB after 10,000-row batches; one-row runs no slower
    # within the noise).
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


class LoadedBundle:
    """A bundle ready to score: manifest, ensemble arithmetic, ONNX sessions, native models."""

    def __init__(
        self,
        *,
        directory: Path,
        manifest: Manifest,
        graphs: dict[str, _Graph],
        natives: dict[str, NativeModel],
        merged: _Merged | None = None,
        protected: Collection[str] = (),
        hazard: _Graph | None = None,
        explainer: Explainer | None = None,
    ) -> None:
        """`protected`: features never shown as reasons, beyond those the catalogue marks."""
        self.directory = directory
        self.manifest = manifest
        self.spec = EnsembleSpec.from_manifest(manifest)
        # reason texts come from the catalogue this bundle was trained with, not the code's
        self.catalogue: Mapping[str, CatalogueEntry] = {
            entry.name: entry for entry in manifest.feature_catalogue
        }
        self._weights = self.spec.weights.tolist()
        self._tier_lowers = self.spec.tier_lowers.tolist()
        self.statistics: Mapping[str, FeatureStatistics] = manifest.feature_statistics
        self.protected: frozenset[str] = frozenset(protected) | {
            entry.name for entry in manifest.feature_catalogue if entry.protected
        }
        self.graphs_ = graphs
        self.natives_ = natives
        self.hazard_ = hazard
        self.merged_ = merged
        self.explainer = explainer
        # The uplift arms (`pde.server.uplift`), when the bundle has them.
        self.uplift_: UpliftArms | None = None

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def n_features(self) -> int:
        return len(self.spec.feature_names)

    def per_model(self, clipped: F32) -> F64:
        """Each graph's class-1 probability, [models, rows]; input already clipped."""
        if self.merged_ is not None:
            return self.merged_.per_model(clipped)
        out = np.empty((len(MODEL_NAMES), clipped.shape[0]), dtype=np.float64)
        for index, name in enumerate(MODEL_NAMES):
            out[index] = self.graphs_[name].probability(clipped)
        return out

    def score(self, features: F32, *, time_to_miss: bool = True) -> BatchScores:
        """Scores float32 rows [rows, features] in model order (validated by the caller);
        with `time_to_miss`, also their forecast (when the bundle has a hazard model)."""
        clipped = self.spec.clip(features)
        per_model = self.per_model(clipped)
        probability = self.spec.calibrate(self.spec.combine(per_model))
        return BatchScores(
            per_model=per_model,
            probability=probability,
            tier=self.spec.tiers(probability),
            alert=self.spec.alerts(probability),
            miss=self.miss_forecast(clipped) if time_to_miss else None,
        )

    def score_row(self, features: F32, *, time_to_miss: bool = False) -> RowScore:
        """Scores ONE row [1, features] (validated by the caller) as `score` does, without
        its per-row arrays: one run of the merged graph (see `pde.server.fused`), then plain
        floats: the blend, the calibration, the tier. The time-to-miss forecast, when asked
        for, is a second run (of the hazard graph, on the row once per interval)."""
        merged = self.merged_
        if merged is None:
            return row_scores(self.score(features, time_to_miss=time_to_miss))[0]
        clipped = self.spec.clip(features)
        results = merged.session.run(merged.outputs, {fused.INPUT: clipped})
        per_model = [float(out[0, 1]) for out in results]
        raw = sum(w * p for w, p in zip(self._weights, per_model, strict=True))
        probability = self.spec.calibrate_one(raw)
        tier = max(bisect.bisect_right(self._tier_lowers, probability) - 1, 0)
        alert = probability >= self.spec.threshold
        miss = self._row_miss(clipped) if time_to_miss else None
        return RowScore(per_model, probability, tier, alert, miss)

    def miss_forecast(self, clipped: F32) -> MissForecast | None:
        """The time-to-miss forecast of clipped rows; None without a hazard model."""
        if self.hazard_ is None:
            return None
        hazards = self.hazard_.probability(with_intervals(clipped))
        return forecast(hazards.reshape(clipped.shape[0], len(INTERVAL_ENDS)))

    def _row_miss(self, clipped: F32) -> tuple[float, float, float, float] | None:
        """`miss_forecast` of one clipped row as RowScore carries it."""
        if self.hazard_ is None:
            return None
        return forecast_one(self.hazard_.probability(with_intervals(clipped)).tolist())

    def native(self, name: str) -> NativeModel:
        return self.natives_[name]

    def close(self) -> None:
        """Ends the explainer process; scoring goes on working, explanations fail."""
        if self.explainer is not None:
            self.explainer.close()


def synthetic_rows(spec: EnsembleSpec, *, rows: int, seed: int = 7) -> F32:
    """Rows spread over each feature's clip range (normal where unbounded), 15% missing."""
    rng = np.random.default_rng(seed)
    lower = np.where(np.isfinite(spec.lower), spec.lower, -3.0)
    upper = np.where(np.isfinite(spec.upper), spec.upper, 3.0)
    x = rng.uniform(lower, upper, size=(rows, len(spec.feature_names))).astype(np.float32)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[0] = np.nan
    return x


def _check_parity(bundle: LoadedBundle) -> float:
    x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=PARITY_ROWS))
    onnx = bundle.per_model(x)
    worst = 0.0
    for index, name in enumerate(MODEL_NAMES):
        diff = float(np.max(np.abs(onnx[index] - bundle.native(name).probability(x))))
        if not diff <= PARITY_TOLERANCE:
            raise BundleError(
                f"{bundle.directory}: {name} ONNX graph disagrees with its native model "
                f"(max abs diff {diff:.2g} > {PARITY_TOLERANCE:g})"
            )
        worst = max(worst, diff)
    return worst


def _check_row_path(bundle: LoadedBundle) -> None:
    """The one-row path gives what the batch path gives (it is what unary Score uses)."""
    rows = synthetic_rows(bundle.spec, rows=8, seed=11)
    batch = row_scores(bundle.score(rows))
    for index, expected in enumerate(batch):
        got = bundle.score_row(rows[index : index + 1], time_to_miss=True)
        if (
            abs(got.probability - expected.probability) > 1e-12
            or got.tier != expected.tier
            or got.alert != expected.alert
            or (got.miss is None) != (expected.miss is None)
            or not np.allclose(got.miss or (), expected.miss or (), rtol=0, atol=1e-9)
        ):
            raise BundleError(f"{bundle.directory}: the one-row path disagrees with the batch")


def _member(directory: Path, member: Any) -> tuple[Path, str, str]:
    return directory / member.onnx_file, member.input_name, member.output_name


def merge(directory: Path, manifest: Manifest, *, threads: int) -> _Merged | None:
    """The members merged into one session (`fused.merged_model`); None (separate sessions
    serve) when they do not merge."""
    members = {name: _member(directory, manifest.models[name]) for name in MODEL_NAMES}
    try:
        model, outputs = fused.merged_model(members)
        session = _session(model.SerializeToString(), threads=threads)
    except Exception as exc:  # onnx / onnxruntime raise their own error types
        log.warning("%s: serving three graphs, they do not merge into one: %s", directory, exc)
        return None
    return _Merged(session, outputs, len(members))


def _hazard_graph(directory: Path, manifest: Manifest, *, threads: int) -> _Graph | None:
    """The time-to-miss graph's session; None for a bundle without one."""
    member = manifest.hazard
    if member is None:
        return None
    try:
        session = _session(str(directory / member.onnx_file), threads=threads)
    except Exception as exc:  # onnxruntime raises its own error types
        raise BundleError(f"{directory}: cannot load the hazard graph: {exc}") from None
    return _Graph(session, member.input_name, [member.output_name])


def _session(source: str | bytes, *, threads: int) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(
        source, sess_options=_session_options(threads), providers=["CPUExecutionProvider"]
    )


def _check_width(directory: Path, what: str, session: Any, input_name: str, n: int) -> None:
    inputs = {i.name: i for i in session.get_inputs()}
    if input_name not in inputs:
        raise BundleError(f"{directory}: {what} graph has no input {input_name!r}")
    width = inputs[input_name].shape[-1]
    if isinstance(width, int) and width != n:
        raise BundleError(
            f"{directory}: {what} graph takes {width} features, the manifest lists {n}"
        )


def member_graphs(directory: Path, manifest: Manifest, *, threads: int) -> dict[str, _Graph]:
    """One session per member: what serves when the members do not merge into one graph."""
    graphs: dict[str, _Graph] = {}
    for name in MODEL_NAMES:
        member = manifest.models[name]
        try:
            session = _session(str(directory / member.onnx_file), threads=threads)
        except Exception as exc:  # onnxruntime raises its own error types
            raise BundleError(f"{directory}: cannot load {name}: {exc}") from None
        _check_width(directory, name, session, member.input_name, len(manifest.feature_names))
        graphs[name] = _Graph(session, member.input_name, [member.output_name])
    return graphs


def load_bundle(
    directory: Path, *, threads: int = 1, protected: Collection[str] | None = None
) -> LoadedBundle:
    """Loads, verifies, warms up and parity-checks the bundle in `directory`. `protected`:
    features never shown as reasons beyond the catalogue's (default: the settings').

    The scoring process holds one ONNX session (the members merged, see `pde.server.fused`;
    three when they do not merge); the native models live in the bundle's explainer process
    (see `pde.server.explainer`), started first so that it loads while the sessions are built.
    Close the bundle (`LoadedBundle.close`) when it is no longer served.
    """
    from pde.core.settings import get_settings

    if protected is None:
        protected = get_settings().protected_features
    started = time.perf_counter()
    manifest = read_manifest(directory, verify=True)
    explainer = Explainer(
        directory, {name: directory / manifest.models[name].native_file for name in MODEL_NAMES}
    )
    try:
        merged = merge(directory, manifest, threads=threads)
        graphs = {} if merged is not None else member_graphs(directory, manifest, threads=threads)
        if merged is not None:
            n = len(manifest.feature_names)
            _check_width(directory, "the merged", merged.session, fused.INPUT, n)
        bundle = LoadedBundle(
            directory=directory,
            manifest=manifest,
            graphs=graphs,
            natives={name: explainer.model(name) for name in MODEL_NAMES},
            merged=merged,
            protected=protected,
            hazard=_hazard_graph(directory, manifest, threads=threads),
            explainer=explainer,
        )
        from pde.server.uplift import load_uplift

        bundle.uplift_ = load_uplift(bundle, threads=threads)
        explainer.ready()
        worst = _check_parity(bundle)  # also warms every graph up
        for rows in (1, 1, 16, 256):
            bundle.score(synthetic_rows(bundle.spec, rows=rows, seed=rows))
        _check_row_path(bundle)
    except BundleError:
        explainer.close()
        raise
    except Exception as exc:
        explainer.close()
        raise BundleError(f"{directory}: the graphs fail on synthetic rows: {exc}") from None
    log.info(
        "bundle %s loaded from %s in %.2f s (parity max abs diff %.2g)",
        manifest.version,
        directory,
        time.perf_counter() - started,
        worst,
    )
    return bundle
