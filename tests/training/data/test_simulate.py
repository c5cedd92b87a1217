import hashlib
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pde.contracts.data.io import load_dataset
from pde.contracts.data.label_rule import labels_at
from pde.core.errors import PdeError
from pde.training.data.simulate import SimulationConfig, SimulationSummary, roc_auc, simulate

from .conftest import SMALL


def digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def test_simulate_same_seed_same_bytes(tmp_path: Path) -> None:
    config = SimulationConfig(customers=300, weeks=3, seed=5)
    simulate(config, tmp_path / "a")
    simulate(config, tmp_path / "b")
    simulate(SimulationConfig(customers=300, weeks=3, seed=6), tmp_path / "c")
    first = digests(tmp_path / "a")
    assert set(first) == {
        "customers.parquet",
        "transactions.parquet",
        "payments.parquet",
        "truth.parquet",
        "interventions.parquet",
        "uplift_truth.parquet",
        "simulation.json",
        "extract.json",
    }
    assert first == digests(tmp_path / "b")
    other = digests(tmp_path / "c")
    # Another seed changes every file but the extraction date (the same calendar).
    assert all(first[name] != other[name] for name in first if name != "extract.json")
    assert first["extract.json"] == other["extract.json"]


def test_simulate_output_passes_validation(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    out, summary = small_simulation
    data = load_dataset(out)
    assert data.customers.height == SMALL.customers == summary.customers
    assert data.transactions.height == summary.transactions
    per_customer = summary.transactions / SMALL.customers * 16 / (SMALL.days / 7)
    assert 100 <= per_customer <= 200  # per 16 weeks
    assert data.transactions["timestamp"].min().date() >= SMALL.start  # type: ignore[union-attr]
    assert data.payments["due_date"].max() <= SMALL.start + timedelta(days=SMALL.last_due_day)  # type: ignore[operator]
    assert set(data.payments["kind"].unique()) == {"card", "loan", "mortgage", "utility", "rent"}
    categories = set(data.transactions["category"].unique())
    for signal in ("salary", "atm_withdrawal", "gambling", "lending_app", "savings_transfer"):
        assert signal in categories


def test_simulate_truth_matches_the_label_rule(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    """Every truth row with a probability has a label by the rule, and only those."""
    out, summary = small_simulation
    data = load_dataset(out)
    truth = pl.read_parquet(out / "truth.parquet")
    assert truth.schema == pl.Schema(
        {"customer_id": pl.String, "as_of": pl.Date, "true_probability": pl.Float64}
    )
    first = 7 * SMALL.history_weeks  # a full history precedes the first as-of date
    as_of = [SMALL.start + timedelta(days=first + 7 * k) for k in range(SMALL.weeks)]
    assert sorted(truth["as_of"].unique()) == as_of
    assert truth.height == SMALL.customers * SMALL.weeks
    labels = pl.concat([labels_at(data.payments, t).with_columns(as_of=pl.lit(t)) for t in as_of])
    joined = truth.join(labels, on=["customer_id", "as_of"], how="left")
    assert joined.filter(
        pl.col("true_probability").is_null() != pl.col("label").is_null()
    ).is_empty()
    labelled = joined.drop_nulls()
    assert labelled.height == summary.labelled_rows
    assert labelled["label"].mean() == pytest.approx(summary.default_rate)
    auc = roc_auc(labelled["true_probability"].to_numpy(), labelled["label"].to_numpy())
    assert auc == pytest.approx(summary.oracle_auc)


def test_simulate_rate_and_oracle_auc_are_realistic(
    small_simulation: tuple[Path, SimulationSummary],
) -> None:
    out, summary = small_simulation
    assert 0.05 <= summary.default_rate <= 0.12
    assert 0.78 <= summary.oracle_auc <= 0.92
    # The truth is calibrated: its mean is the realised rate, within sampling error.
    assert abs(summary.mean_true_probability - summary.default_rate) < 0.01
    record = json.loads((out / "simulation.json").read_text())
    assert record["parameters"]["seed"] == SMALL.seed
    assert record["summary"]["oracle_auc"] == summary.oracle_auc


def test_simulate_reports_progress_and_rejects_bad_sizes(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    simulate(SimulationConfig(customers=50, weeks=1), tmp_path, progress=lambda *a: seen.append(a))
    assert seen == [(50, 50)]
    with pytest.raises(PdeError, match="--customers"):
        SimulationConfig(customers=0)
    with pytest.raises(PdeError, match="--history-weeks"):
        SimulationConfig(history_weeks=0)


def test_simulate_shocks_have_a_daily_hazard() -> None:
    """A run twice as long holds about twice the job losses and medical bills (per-day
    hazards), so the share of customers under a shock does not depend on the run's length."""
    import numpy as np

    from pde.training.data.simulate.latent import draw_latent
    from pde.training.data.simulate.population import draw_profiles

    def shocks(n_days: int) -> tuple[int, int]:
        rng = np.random.default_rng(4)
        latent = draw_latent(rng, draw_profiles(rng, 20_000, 12), n_days)
        losses = int(((latent.loss_day >= -60) & (latent.loss_day < n_days)).sum())
        bills = int(((latent.medical_day >= -40) & (latent.medical_day < n_days)).sum())
        return losses, bills

    (short_losses, short_bills), (long_losses, long_bills) = shocks(148), shocks(296)
    assert long_losses / short_losses == pytest.approx((296 + 60) / (148 + 60), rel=0.12)
    assert long_bills / short_bills == pytest.approx((296 + 40) / (148 + 40), rel=0.12)


def test_simulate_roc_auc_counts_ties_half() -> None:
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert roc_auc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5
