"""Serving the bundle's uplift models: the expected effect of each action on a scored row.

A bundle with an `uplift` section (`pde.contracts.bundle.UpliftSection`) ships one graph per
arm (the control and every action), each giving the 30-day miss probability of a customer
given that arm, on the row the risk models take (model order, clipped). The served effect is

    effect[action](x) = P(miss | x, control) - P(miss | x, action)

At load every arm's graph is checked against its native model on synthetic rows, as the risk
models are. Effects are opt-in per request: the plain Score path never runs these graphs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import BundleError, Manifest
from pde.server import fused
from pde.server.bundle import LoadedBundle, RowScore, synthetic_rows
from pde.server.errors import InvalidInputError, NotReadyError
from pde.server.explain import Ranked, explain_row
from pde.training.learners import get_learner

if TYPE_CHECKING:
    from pde.server.scorer import RowInput, Scorer

# Batches at least this large have their effects computed on the scoring threads too.

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

PARITY_TOLERANCE = 1e-5
PARITY_ROWS = 64


@dataclass(frozen=True)
class _Arms:
    """The arms' graphs in one session (merged as the ensemble's members are, see
    `pde.server.fused`: one run per batch), or one session per arm when they do not merge."""

    sessions: Sequence[tuple[Any, str, list[str]]]  # (session, input name, outputs)
    names: list[str]  # the arm of each output, in order

    def miss(self, clipped: F32) -> dict[str, F64]:
        found: list[Any] = []
        for session, input_name, outputs in self.sessions:
            found += session.run(outputs, {input_name: clipped})
        return {
            arm: np.asarray(out[:, 1], dtype=np.float64)
            for arm, out in zip(self.names, found, strict=True)
        }


@dataclass(frozen=True)
class UpliftArms:
    """The arms' sessions of one bundle: `effects` gives [rows, actions] in `actions` order."""

    control: str
    actions: tuple[str, ...]
    arms: _Arms

    def effects(self, clipped: F32) -> F64:
        """Expected fall in the miss probability per action, [rows, actions]."""
        miss = self.arms.miss(clipped)
        base = miss[self.control]
        return np.column_stack([base - miss[a] for a in self.actions])


def _session(model: str | bytes, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def _arms(directory: Path, manifest: Manifest, threads: int) -> _Arms:
    """The arms merged into one session; one session per arm when they do not merge."""
    section = manifest.uplift
    assert section is not None
    members = {
        arm: (directory / m.onnx_file, m.input_name, m.output_name)
        for arm, m in section.arms.items()
    }
    try:
        model, outputs = fused.merged_model(members)
        return _Arms(
            [(_session(model.SerializeToString(), threads), fused.INPUT, outputs)], [*members]
        )
    except Exception as exc:  # onnx / onnxruntime raise their own error types
        log.warning("%s: the uplift arms do not merge into one graph: %s", directory, exc)
    return _Arms(
        [(_session(str(path), threads), name, [out]) for path, name, out in members.values()],
        [*members],
    )


def _predict_here(library: str, path: Path, x: F32) -> F64:
    learner = get_learner(library)
    return np.asarray(learner.predict(learner.load(path), x, threads=1), dtype=np.float64)


def native_effects(
    directory: Path,
    manifest: Manifest,
    clipped: F32,
    *,
    predict: Callable[[str, Path, F32], F64] = _predict_here,
) -> F64:
    """The same effects from the arms' native models (the reference the graphs must match);
    `predict(library, native file, rows)` runs one (a served bundle's explainer process runs
    them, so that the scoring process loads no tree library)."""
    section = manifest.uplift
    if section is None:
        raise BundleError(f"{directory}: the bundle has no uplift models")
    miss = {
        arm: np.asarray(
            predict(section.library, directory / member.native_file, clipped), dtype=np.float64
        )
        for arm, member in section.arms.items()
    }
    return np.column_stack([miss[section.control] - miss[a] for a in section.actions])


def load_uplift(bundle: LoadedBundle, *, threads: int = 1) -> UpliftArms | None:
    """The bundle's uplift arms, checked against their native models on synthetic rows
    prepared as the risk models' (clipped); None for a bundle without them."""
    directory, manifest = bundle.directory, bundle.manifest
    section = manifest.uplift
    if section is None:
        return None
    try:
        arms = _arms(directory, manifest, threads)
        served = UpliftArms(section.control, tuple(section.actions), arms)
        x = bundle.spec.clip(synthetic_rows(bundle.spec, rows=PARITY_ROWS, seed=5))
        explainer = bundle.explainer
        predict = explainer.predict_file if explainer is not None else _predict_here
        reference = native_effects(directory, manifest, x, predict=predict)
        worst = float(np.max(np.abs(served.effects(x) - reference)))
    except BundleError:
        raise
    except Exception as exc:  # onnxruntime and the learners raise their own error types
        raise BundleError(f"{directory}: cannot load the uplift models: {exc}") from None
    if not worst <= PARITY_TOLERANCE:
        raise BundleError(
            f"{directory}: the uplift graphs disagree with their native models "
            f"(max abs diff of the effects {worst:.2g} > {PARITY_TOLERANCE:g})"
        )
    log.info("%s: serving the effects of %s", directory, ", ".join(section.actions))
    return served


def arms_of(bundle: LoadedBundle) -> UpliftArms:
    """The served bundle's uplift arms; NotReadyError (FAILED_PRECONDITION) without them."""
    arms = bundle.uplift_
    if arms is None:
        raise NotReadyError(
            f"model {bundle.version} has no uplift models: it cannot give expected effects "
            "(train it with a treated history; ModelInfo.actions lists what a model serves)"
        )
    return arms


def row_effects(bundle: LoadedBundle, row: F32) -> dict[str, float]:
    """One checked row's effect per action, {action: effect}."""
    arms = arms_of(bundle)
    values = arms.effects(bundle.spec.clip(row))[0]
    return dict(zip(arms.actions, values.tolist(), strict=True))


def score_one(
    scorer: Scorer,
    data: RowInput,
    *,
    version: str = "",
    top_reasons: int = 0,
    time_to_miss: bool = False,
) -> tuple[LoadedBundle, RowScore, Ranked, dict[str, float]]:
    """`Scorer.score_one` with the row's expected effects (a request that asked for them)."""
    if top_reasons < 0:
        raise InvalidInputError(f"top_reasons must be >= 0, got {top_reasons}")
    bundle, row = scorer.prepare(data, version=version)
    arms_of(bundle)  # refused before any work when the model has none
    score = bundle.score_row(row, time_to_miss=time_to_miss)
    ranked = Ranked([], [])
    if top_reasons:
        ranked = Ranked.of(explain_row(bundle, row, top_k=top_reasons))
    return bundle, score, ranked, row_effects(bundle, row)


@dataclass(frozen=True)
class BatchEffects:
    actions: tuple[str, ...]
    values: F64  # [rows, actions]

    def as_bytes(self) -> bytes:
        return np.ascontiguousarray(self.values, dtype="<f4").tobytes()


def effects_of(scorer: Scorer, bundle: LoadedBundle, rows: F32) -> BatchEffects:
    """Every row's expected effects under `bundle`'s uplift models (`rows`: its checked
    input rows), split across the scorer's threads for large batches as its scoring is."""
    arms = arms_of(bundle)
    parts = scorer.in_parts(arms.effects, bundle.spec.clip(rows))
    return BatchEffects(arms.actions, np.concatenate(parts))
