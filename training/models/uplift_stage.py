"""The uplift stage of a run: fit one model per arm on the treated history before the test
dates, export and check the graphs, and measure uplift, policies and fairness on the test rows
against the simulator's truth (when the data has it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pde.contracts.interventions import ACTIONS, ARMS
from pde.decision.actions import cost_vector
from pde.decision.fairness import Outcomes, age_bands, fairness_report
from pde.decision.outcomes import SUCCESS_DEFINITION
from pde.decision.recommend import RecommenderPolicy
from pde.decision.vulnerability import vulnerability
from pde.training.learners import OnnxGraph
from pde.training.models.bundle_writer import UpliftContents
from pde.training.models.config import TrainConfig
from pde.training.models.decision import exposure_of
from pde.training.models.frame import TrainingFrame
from pde.training.models.onnx_export import check_parity, parity_rows
from pde.training.models.prepare import Features, Rows
from pde.training.models.uplift import LIBRARY, UpliftModels, fit_uplift
from pde.training.models.uplift_eval import PolicyInputs, choose_policies, policy_values, qini

PARITY_MAX_ROWS = 5_000


@dataclass(frozen=True)
class UpliftResult:
    """The fitted arms, their graphs and parity, and metrics.json's `uplift` section."""

    models: UpliftModels
    graphs: dict[str, OnnxGraph]
    parity: dict[str, float]
    figures: dict[str, Any]


def recommender_of(config: TrainConfig) -> RecommenderPolicy:
    return RecommenderPolicy(
        capacity=config.policy.capacity,
        loss_given_default=config.policy.loss_given_default,
        costs=tuple(cost_vector(config.action_costs)),
        max_contacts_30d=config.max_contacts_30d,
        cool_down_days=config.cool_down_days,
    )


def _columns(frame: TrainingFrame, rows: np.ndarray) -> dict[str, np.ndarray]:
    return {name: frame.x[rows, i] for i, name in enumerate(frame.feature_names)}


def run_uplift(
    frame: TrainingFrame,
    rows: Rows,
    features: Features,
    *,
    x_test: np.ndarray,
    p_test: np.ndarray,
    config: TrainConfig,
) -> UpliftResult | None:
    """None when the frame has no treated history."""
    history = frame.uplift
    if history is None:
        return None
    test = rows.split.test
    in_test = np.zeros(frame.n_rows, dtype=bool)
    in_test[test] = True
    train = np.flatnonzero(history.assigned & ~in_test)
    models = fit_uplift(
        features.prepare(frame, train),
        arm=history.arm[train],
        missed=history.missed[train],
        names=features.names,
        seed=config.seed,
        threads=config.threads,
    )
    graphs = models.export(n_features=len(features.names))
    checked = parity_rows(x_test[:PARITY_MAX_ROWS], seed=config.seed)
    parity = {
        arm: check_parity(
            LIBRARY,
            models.natives[arm],
            graphs[arm],
            checked,
            tolerance=config.parity_tolerance,
            threads=config.threads,
        )
        for arm in ARMS
    }
    figures: dict[str, Any] = {
        "method": "t_learner",
        "library": LIBRARY,
        "success": SUCCESS_DEFINITION,
        "fit_rows": models.rows,
        "history_rows": int(history.assigned.sum()),
        "masked_features": list(models.masked),
        "parity_max_abs_diff": parity,
    }
    predicted = models.uplift(x_test, threads=config.threads)
    figures["mean_predicted_uplift"] = {
        a: float(predicted[:, i].mean()) for i, a in enumerate(ACTIONS)
    }
    if history.truth is not None and frame.times is not None:
        figures.update(_against_truth(frame, test, predicted, p_test, config=config))
    return UpliftResult(models, graphs, parity, finite(figures))


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _against_truth(
    frame: TrainingFrame,
    test: np.ndarray,
    predicted: np.ndarray,
    p_test: np.ndarray,
    *,
    config: TrainConfig,
) -> dict[str, Any]:
    history = frame.uplift
    assert history is not None and history.truth is not None and frame.times is not None
    truth = history.truth[test]
    known = ~np.isnan(truth).any(axis=1)
    rows, truth, predicted, p = test[known], truth[known], predicted[known], p_test[known]
    true_uplift = truth[:, :1] - truth[:, 1:]
    recommender = recommender_of(config)
    signals = vulnerability(_columns(frame, rows), len(rows))
    inputs = PolicyInputs(
        dates=frame.times[rows],
        p=p,
        exposure=exposure_of(frame, rows, config.policy),
        product=history.product[rows],
        vulnerable=signals.flagged,
        predicted_uplift=predicted,
        true_uplift=true_uplift,
    )
    choices = choose_policies(
        inputs, alert_policy=config.policy, recommender=recommender, seed=config.seed
    )
    values = policy_values(
        inputs,
        choices,
        costs=cost_vector(config.action_costs),
        loss_given_default=config.policy.loss_given_default,
        seed=config.seed,
    )
    learned = choices["learned"]
    chosen_p = truth[np.arange(len(rows)), learned.action + 1]
    arms = np.where(learned.contacted, np.asarray(ACTIONS)[learned.action], "none")
    attributes: dict[str, np.ndarray] = {}
    if "age_years" in frame.feature_names:
        attributes["age_band"] = age_bands(frame.x[rows, frame.feature_names.index("age_years")])
    attributes.update({name: values_[rows] for name, values_ in history.attributes.items()})
    fairness = fairness_report(
        Outcomes(
            alerted=learned.contacted,
            arm=arms.astype(str),
            cured=1.0 - chosen_p,
            p=p,
            y=frame.y[rows].astype(np.float64),
        ),
        attributes,
        ratio=config.fairness_ratio,
    )
    return {
        "evaluation_rows": len(rows),
        "qini": {a: qini(predicted[:, i], true_uplift[:, i]) for i, a in enumerate(ACTIONS)},
        "policy_value": values,
        "vulnerable_share": float(signals.flagged.mean()),
        "fairness": fairness,
    }


def uplift_contents(result: UpliftResult, *, config: TrainConfig) -> UpliftContents:
    """What the bundle writer needs of the uplift arms (the manifest's `uplift` section)."""
    figures = result.figures
    summary: dict[str, Any] = {
        key: figures[key]
        for key in ("qini", "evaluation_rows", "mean_predicted_uplift")
        if key in figures
    }
    if "policy_value" in figures:
        value = figures["policy_value"]
        summary["policy_value"] = {
            "per_1000_contacts": {
                name: {"value": p["per_1000_contacts"], "interval": p["interval"]}
                for name, p in value["policies"].items()
            },
            "margins": value["margins"],
        }
    return UpliftContents(
        library=LIBRARY,
        natives=result.models.natives,
        graphs=result.graphs,
        fit_rows=result.models.rows,
        fields={
            "success": SUCCESS_DEFINITION,
            "control": ARMS[0],
            "actions": list(ACTIONS),
            "costs": {a: float(config.action_costs[a]) for a in ACTIONS},
            "masked_features": list(result.models.masked),
            "metrics": summary,
        },
    )
