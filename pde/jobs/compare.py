"""`pde models compare`: a challenger bundle against the champion on the portfolio's data.

Both bundles score the same customers offline (the bundles' own ONNX graphs, as the server
runs them): on the latest scored date (or the day after the data ends) for the alert overlap
and the PSI between their score distributions, and on the latest date whose 30-day outcomes
are known for the AUC of each on the same rows. Where the challenger ran in the server's
shadow, the comparison from its stored scores is added (`pde.jobs.shadow`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy.engine import Engine

from pde.contracts.bundle import AlertPolicy
from pde.contracts.data.io import load_dataset
from pde.contracts.reference import Bins
from pde.core.errors import PdeError
from pde.core.names import DEFAULT_LOOKBACK_DAYS
from pde.core.settings import get_settings
from pde.db import monitoring
from pde.db.engine import session_scope
from pde.decision import policy_from_settings
from pde.jobs.drift import binned_psi
from pde.jobs.models import current_version, held_out_auc
from pde.jobs.realised import MATURITY
from pde.jobs.shadow import ShadowComparison, policy_alerts, shadow_comparison
from pde.training.features import compute_features
from pde.training.features.labels import compute_labels, event_span


@dataclass(frozen=True)
class Comparison:
    """The challenger against the champion; None where a figure could not be had."""

    challenger: str
    champion: str
    held_out_auc: tuple[float | None, float | None]  # (challenger, champion)
    scored_date: date
    customers: int
    alerts: tuple[int, int]  # alerts of each under the alert policy
    alerts_both: int  # customers both would alert
    score_psi: float  # the challenger's scores against the champion's bins
    matured_date: date | None
    matured_rows: int
    matured_auc: tuple[float | None, float | None]
    # From the stored shadow scores of the challenger beside the champion, when there are any.
    shadow: ShadowComparison | None = None

    @property
    def alert_overlap(self) -> float | None:
        """Share of the champion's alerts the challenger alerts too."""
        return self.alerts_both / self.alerts[1] if self.alerts[1] else None


def _scores(bundle_dir: Path, features: pl.DataFrame) -> npt.NDArray[np.float64]:
    from pde.server.bundle import load_bundle

    bundle = load_bundle(bundle_dir)
    names = bundle.manifest.feature_names
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise PdeError(
            f"{bundle_dir.name} uses features this engine does not compute ({missing[0]}, ...):"
            " only bundles trained on canonical data can be compared on the portfolio"
        )
    matrix = features.select(names).cast(pl.Float32).to_numpy()
    return np.asarray(bundle.score(matrix).probability, dtype=np.float64)


def _latest_scored(engine: Engine | None, champion: str) -> date | None:
    with session_scope(engine=engine) as session:
        dates = [d for d, _ in monitoring.scored_dates(session, model_version=champion)]
    return max(dates) if dates else None


def compare_models(
    challenger: str,
    champion: str | None = None,
    *,
    model_dir: Path,
    data_dir: Path,
    engine: Engine | None = None,
    policy: AlertPolicy | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> Comparison:
    """Compares `challenger` with `champion` (default: the current bundle)."""
    from sklearn.metrics import roc_auc_score

    against = champion or current_version(model_dir)
    if against is None:
        raise PdeError(f"{model_dir}: no current bundle to compare {challenger} with")
    policy = policy or policy_from_settings(get_settings())
    data = load_dataset(data_dir)
    end = event_span(data)[1]
    scored = _latest_scored(engine, against) or end + timedelta(days=1)
    weeks = -(-(MATURITY.days - (end - scored).days) // 7)
    matured = scored - timedelta(weeks=max(weeks, 0))
    has_matured = matured + MATURITY <= end
    dates = sorted({scored, matured}) if has_matured else [scored]
    everything = compute_features(data, dates, lookback_days=lookback_days)
    latest = everything.filter(pl.col("as_of") == scored).sort("customer_id")
    p_new, p_old = (_scores(model_dir / v, latest) for v in (challenger, against))
    new_alerts, old_alerts = (
        policy_alerts(p_new, latest, policy),
        policy_alerts(p_old, latest, policy),
    )
    matured_auc: tuple[float | None, float | None] = (None, None)
    matured_rows = 0
    if has_matured:
        rows = (
            everything.filter(pl.col("as_of") == matured)
            .join(compute_labels(data, [matured]), on=["customer_id", "as_of"], how="inner")
            .sort("customer_id")
        )
        labels = rows["label"].to_numpy()
        matured_rows = rows.height
        if 0 < int(labels.sum()) < labels.shape[0]:
            a, b = (_scores(model_dir / v, rows) for v in (challenger, against))
            matured_auc = (float(roc_auc_score(labels, a)), float(roc_auc_score(labels, b)))
    return Comparison(
        challenger=challenger,
        champion=against,
        held_out_auc=(held_out_auc(model_dir, challenger), held_out_auc(model_dir, against)),
        scored_date=scored,
        customers=latest.height,
        alerts=(int(new_alerts.sum()), int(old_alerts.sum())),
        alerts_both=int((new_alerts & old_alerts).sum()),
        score_psi=binned_psi(Bins.of(p_old), p_new)[0],
        matured_date=matured if has_matured else None,
        matured_rows=matured_rows,
        matured_auc=matured_auc,
        shadow=shadow_comparison(engine=engine, challenger=challenger, champion=against),
    )
