"""`pde train`: Train the ensemble and export an ONNX model bundle."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pde.cli.console import console
from pde.cli.dates import parse_date
from pde.contracts.bundle import AlertPolicy
from pde.core.errors import PdeError
from pde.core.settings import get_settings

if TYPE_CHECKING:
    from pde.training.models import TrainConfig, TrainingFrame, TrainResult


def _announce(start: float) -> Callable[[str, str], None]:
    def progress(stage: str, detail: str) -> None:
        elapsed = time.perf_counter() - start
        console().print(f"[dim]{elapsed:7.1f}s[/] [bold]{stage}[/] {detail}".rstrip())

    return progress


def _frame(
    data: Path | None,
    table: Path | None,
    *,
    label: str | None,
    id_column: str | None,
    time_column: str | None,
    exclude: list[str],
    keep: list[str],
    as_of: list[str],
    lookback_days: int | None,
) -> TrainingFrame:
    from pde.training.models import frame_from_table, load_canonical_frame, read_table_file

    if table is not None:
        if data is not None:
            raise PdeError("give either --data or --table, not both")
        if label is None:
            raise PdeError("--table needs --label COL (the 0/1 outcome column)")
        if as_of or lookback_days is not None:
            raise PdeError("--as-of and --lookback-days apply to --data only")
        frame = frame_from_table(
            read_table_file(table),
            label=label,
            id_column=id_column,
            time_column=time_column,
            exclude=tuple(exclude),
            keep=tuple(keep),
        )
        if frame.id_like:
            shown = ", ".join(repr(n) for n in frame.id_like)
            console().print(
                f"[yellow]left out as row ids[/] (blank name or increasing integers): {shown};"
                " use --keep-column NAME to use one as a feature, or --id NAME for customers"
            )
        return frame
    if label or id_column or time_column or exclude or keep:
        raise PdeError("--label, --id, --time, --exclude and --keep-column apply to --table only")
    directory = data or get_settings().data_dir
    if not directory.is_dir():
        raise PdeError(f"{directory}: no canonical data directory (give --data or --table)")
    dates = [d for d in map(parse_date, as_of) if d is not None] or None
    return load_canonical_frame(
        directory,
        lookback_days=lookback_days,
        as_of_dates=dates,
        protected=tuple(get_settings().protected_attributes),
    )


def register(app: typer.Typer) -> None:
    @app.command(name="train")
    def train(
        data: Path | None = typer.Option(
            None, "--data", help="Canonical data directory [default: PDE_DATA_DIR]."
        ),
        table: Path | None = typer.Option(
            None, "--table", help="CSV or Parquet file of numeric features instead of --data."
        ),
        label: str | None = typer.Option(None, "--label", help="0/1 label column of --table."),
        id_column: str | None = typer.Option(None, "--id", help="Customer id column of --table."),
        time_column: str | None = typer.Option(
            None, "--time", help="As-of date column of --table: enables the out-of-time split."
        ),
        exclude: list[str] = typer.Option([], "--exclude", help="Column of --table to ignore."),
        keep: list[str] = typer.Option(
            [],
            "--keep-column",
            help="Column of --table to use as a feature although it looks like a row id.",
        ),
        as_of: list[str] = typer.Option(
            [], "--as-of", help="As-of date of --data (repeatable) [default: the weekly grid]."
        ),
        lookback_days: int | None = typer.Option(
            None, "--lookback-days", min=30, help="Feature window of --data [default: 90]."
        ),
        out: Path | None = typer.Option(
            None, "--out", help="Model directory [default: PDE_MODEL_DIR]."
        ),
        quick: bool = typer.Option(False, "--quick", help="Few trees, 1 trial, 2-fold CV."),
        trials: int | None = typer.Option(
            None, "--trials", min=1, help="Random-search trials per library [default: 5]."
        ),
        parsimony_se: float = typer.Option(
            1.0,
            "--parsimony-se",
            min=0.0,
            max=10.0,
            help="Keep the trial cheapest to score within this many standard errors of the best"
            " validation AUC (0: the best AUC).",
        ),
        smote: bool = typer.Option(False, "--smote", help="SMOTE instead of class weights."),
        learn_weights: bool = typer.Option(
            False, "--learn-weights", help="Fit the ensemble weights on validation."
        ),
        calibration: str = typer.Option(
            "auto",
            "--calibration",
            help="auto (least validation log-loss), platt, beta or isotonic_interp.",
        ),
        officers: int | None = typer.Option(
            None, "--officers", min=1, help="Officers working alerts [PDE_OFFICERS]."
        ),
        contacts: int | None = typer.Option(
            None,
            "--contacts-per-officer",
            min=1,
            help="Customers an officer works a week [PDE_CONTACTS_PER_OFFICER].",
        ),
        lgd: float | None = typer.Option(
            None, "--lgd", help="Loss given default, 0-1 [PDE_LOSS_GIVEN_DEFAULT]."
        ),
        exposure_source: str | None = typer.Option(
            None,
            "--exposure-source",
            help="fixed, outstanding_balance or credit_limit [PDE_EXPOSURE_SOURCE].",
        ),
        exposure: float | None = typer.Option(
            None, "--exposure", help="Exposure at default, currency [PDE_EXPOSURE_AMOUNT]."
        ),
        cost_intervention: float | None = typer.Option(
            None, "--cost-intervention", help="Cost of one action [PDE_INTERVENTION_COST]."
        ),
        action_effect: float | None = typer.Option(
            None,
            "--action-effect",
            help="Share of defaults an action averts, 0-1 [PDE_ACTION_EFFECT].",
        ),
        test_periods: int | None = typer.Option(
            None, "--test-periods", min=1, help="As-of dates in test [default: a fifth, 1-4]."
        ),
        validation_periods: int | None = typer.Option(
            None, "--validation-periods", min=1, help="As-of dates in validation [as test]."
        ),
        gap_days: int | None = typer.Option(
            None,
            "--gap-days",
            min=0,
            help="Fit only on rows whose label window closed this many days before the test"
            " dates [default: 30 for --data, 0 for --table].",
        ),
        cv_folds: int | None = typer.Option(None, "--cv-folds", min=2, help="[default: 5]"),
        cv_max_rows: int | None = typer.Option(
            None, "--cv-max-rows", min=100, help="Rows cross-validated [default: 150,000]."
        ),
        fit_max_rows: int | None = typer.Option(
            None, "--fit-max-rows", min=100, help="Rows the models fit on [default: 60,000]."
        ),
        tune_max_rows: int | None = typer.Option(
            None, "--tune-max-rows", min=100, help="Rows tuning fits on [default: 25,000]."
        ),
        stop_max_rows: int | None = typer.Option(
            None,
            "--stop-max-rows",
            min=100,
            help="Validation rows watched for early stopping [default: 20,000].",
        ),
        seed: int = typer.Option(42, "--seed"),
    ) -> None:
        """Train CatBoost + XGBoost + LightGBM, calibrate, export ONNX, write a bundle."""
        # Before xgboost/lightgbm load OpenMP: idle threads must not spin on 2 shared cores.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from pde.training.models import TrainConfig, train_frame

        if calibration not in ("auto", "platt", "beta", "isotonic_interp"):
            raise PdeError("--calibration must be auto, platt, beta or isotonic_interp")
        policy = _policy(
            officers=officers,
            contacts_per_officer=contacts,
            loss_given_default=lgd,
            exposure_source=exposure_source,
            exposure_amount=exposure,
            intervention_cost=cost_intervention,
            action_effect=action_effect,
        )
        start = time.perf_counter()
        progress = _announce(start)
        progress("load", str(table or data or get_settings().data_dir))
        frame = _frame(
            data,
            table,
            label=label,
            id_column=id_column,
            time_column=time_column,
            exclude=exclude,
            keep=keep,
            as_of=as_of,
            lookback_days=lookback_days,
        )
        settings = get_settings()
        options: dict[str, object] = {
            "action_costs": dict(settings.action_costs),
            "max_contacts_30d": settings.max_contacts_per_30_days,
            "cool_down_days": settings.cool_down_days,
            "protected": tuple(settings.protected_attributes),
            "fairness_ratio": settings.fairness_ratio,
            "seed": seed,
            "smote": smote,
            "learn_weights": learn_weights,
            "calibration": calibration,
            "policy": policy,
            "test_periods": test_periods,
            "validation_periods": validation_periods,
            "gap_days": gap_days if gap_days is not None else (30 if table is None else 0),
        }
        options["parsimony_se"] = parsimony_se
        if trials is not None:
            options["trials"] = trials
        if cv_folds is not None:
            options["cv_folds"] = cv_folds
        caps = {
            "cv_max_rows": cv_max_rows,
            "fit_max_rows": fit_max_rows,
            "tune_max_rows": tune_max_rows,
            "stop_max_rows": stop_max_rows,
        }
        options.update({k: v for k, v in caps.items() if v is not None})
        config: TrainConfig = (
            TrainConfig.quick_run(**options) if quick else TrainConfig(**options)  # type: ignore[arg-type]
        )
        console().print(
            f"{frame.n_rows:,} rows, {len(frame.feature_names)} features,"
            f" {float(frame.y.mean()):.2%} positive; row caps: fit {config.fit_max_rows:,},"
            f" tune {config.tune_max_rows:,}, early stopping {config.stop_max_rows:,},"
            f" cross-validation {config.cv_max_rows:,}"
        )
        model_dir = out or get_settings().model_dir
        result = train_frame(frame, config=config, model_dir=model_dir, progress=progress)
        _summary(result)
        _register(result.bundle_dir.name, model_dir)


def _register(version: str, model_dir: Path) -> None:
    """Registers the new bundle as a challenger; `current` moves only by promotion (the
    first bundle of an empty model directory is promoted at once)."""
    from sqlalchemy.exc import SQLAlchemyError

    from pde.cli.cmd_db import CLI_ACTOR
    from pde.jobs.models import register_trained

    try:
        done = register_trained(version, actor=CLI_ACTOR, model_dir=model_dir)
    except SQLAlchemyError as exc:
        console().print(
            f"[yellow]warning:[/] {version} is not registered (the database at PDE_DATABASE_URL"
            f" cannot record it: {type(exc).__name__}; `pde db upgrade` creates the tables);"
            f" it is not current: `pde models promote {version}` registers and promotes it",
            soft_wrap=True,
        )
        return
    if done.promotion is not None:
        console().print(
            f"{version} is the first bundle here: promoted to champion and current",
            soft_wrap=True,
        )
    else:
        console().print(
            f"{version} registered as a challenger (current is unchanged):"
            f" `pde models compare {version}`, then `pde models promote {version}`",
            soft_wrap=True,
        )


def _policy(**values: object) -> AlertPolicy:
    """The `PDE_*` alert policy with the options given on the command line."""
    from pydantic import ValidationError

    from pde.decision import policy_from_settings

    base = policy_from_settings(get_settings()).model_dump()
    base.update({k: v for k, v in values.items() if v is not None})
    try:
        return AlertPolicy.model_validate(base)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PdeError(f"alert policy: {first['loc'][0]}: {first['msg']}") from None


def _summary(result: TrainResult) -> None:
    import json

    figures = result.manifest.metrics["ensemble"]
    data = json.loads((result.bundle_dir / "metrics.json").read_text())
    alerts = data["alerts"]
    console().print(
        f"ensemble test AUC [bold]{figures['auc']:.4f}[/] (CV AUC"
        f" {figures['cv_auc_mean']:.4f} ± {figures['cv_auc_std']:.4f} on"
        f" {data['cv']['rows']:,} rows), ECE {figures['ece']:.4f}"
        f" ({data['calibration']['method']}), {result.timings['total']:.0f}s"
    )
    console().print(
        f"alerts on test: {alerts['share_alerted']:.1%} of rows, capacity used"
        f" {alerts['capacity_used']:.0%} of {alerts['capacity']:,}; precision"
        f" {alerts['precision']:.3f}, recall {alerts['recall']:.3f}, lift {alerts['lift']:.1f};"
        f" break-even floor {result.manifest.threshold:.4f}"
        f" ({alerts['share_above_break_even']:.1%} of rows above it)"
    )
    for warning in alerts["warnings"]:
        console().print(f"[yellow]warning:[/] {warning}")
    if "uplift" in data:
        _uplift_summary(data["uplift"])
    console().print(f"bundle {result.bundle_dir}")


def _uplift_summary(uplift: dict[str, object]) -> None:
    if "skipped" in uplift:
        console().print(f"[yellow]uplift models skipped:[/] {uplift['skipped']}")
        return
    rows = uplift["fit_rows"]
    assert isinstance(rows, dict)
    console().print(
        f"uplift: one model per arm on {sum(rows.values()):,} assigned rows"
        f" ({', '.join(f'{a} {n:,}' for a, n in rows.items())})"
    )
    value = uplift.get("policy_value")
    if isinstance(value, dict):
        shown = []
        for name, figures in value["policies"].items():
            low, high = figures["interval"]
            shown.append(f"{name} {figures['per_1000_contacts']:.1f} [{low:.1f}, {high:.1f}]")
        console().print("misses prevented per 1,000 contacts: " + "; ".join(shown))
