"""Shadow scoring's stored side: the challenger's scores of a portfolio run, and the
comparison of challenger and champion from them (docs/monitoring.md, "Shadow challenger").

When the server has a challenger loaded beside the champion, every `ScoreStream` answer
carries the challenger's scores too; the portfolio job hands the whole date to
`record_shadow_scores`, which stores them in `challenger_scores` with the alerts the alert
policy would raise on them (the same policy the champion's alerts follow). The champion's
`risk_scores`, alerts and work are untouched. `shadow_comparison` then compares the two on
the same customers: AUC on the matured outcomes, alert overlap, PSI between the scores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy.engine import Engine

from pde.client.results import RowScore
from pde.contracts.bundle import AlertPolicy
from pde.contracts.reference import Bins
from pde.db import challenger as store
from pde.db.engine import session_scope
from pde.decision import exposures, select_alerts
from pde.jobs.drift import binned_psi

log = logging.getLogger(__name__)

# Fewer matured rows than this (or one class only) give no AUC.
MIN_MATURED_ROWS = 100


def policy_alerts(
    p: npt.ArrayLike, features: pl.DataFrame, policy: AlertPolicy
) -> npt.NDArray[np.bool_]:
    """The alerts the alert policy raises on one date's probabilities `p`."""
    values = np.asarray(p, dtype=np.float64)
    source = policy.exposure_source
    column = features[source].to_numpy() if source in features.columns else None
    chosen = select_alerts(
        values, exposures(policy, column, len(values)), policy, capacity=policy.capacity
    )
    return np.asarray(chosen.alerted, dtype=bool)


def record_shadow_scores(
    *,
    features: pl.DataFrame,
    scored: Sequence[RowScore],
    as_of: date,
    champion_version: str,
    policy: AlertPolicy,
    engine: Engine | None = None,
) -> str | None:
    """Stores the challenger's scores of one whole date (rows in `features` order); returns
    the challenger's version, None when the server scored without one."""
    shadows = [row.shadow for row in scored]
    if not shadows or any(s is None for s in shadows):
        if any(s is not None for s in shadows):
            log.warning("shadow scores of %s dropped: the challenger changed mid-run", as_of)
        return None
    versions = {s.version for s in shadows if s is not None}
    if len(versions) != 1:
        log.warning("shadow scores of %s dropped: the challenger changed mid-run", as_of)
        return None
    version = versions.pop()
    p = [s.probability for s in shadows if s is not None]
    alerts = policy_alerts(p, features, policy)
    with session_scope(engine=engine) as session:
        stored = store.replace_scores(
            session=session,
            as_of=as_of,
            challenger_version=version,
            champion_version=champion_version,
            customer_ids=[row.row_id for row in scored],
            probability=p,
            threshold_alert=[s.alert for s in shadows if s is not None],
            alert=alerts.tolist(),
        )
    log.info("shadow: %d scores of challenger %s on %s stored", stored, version, as_of)
    return version


@dataclass(frozen=True)
class ShadowComparison:
    """Challenger against champion on the customers both scored in the shadow run."""

    challenger: str
    champion: str
    dates: list[date]  # the shadow-scored dates, oldest first
    latest: date
    customers: int  # of the latest date
    alerts: tuple[int, int]  # (challenger, champion) under the alert policy, latest date
    alerts_both: int
    score_psi: float  # the challenger's scores against the champion's bins, latest date
    matured_rows: int  # rows of every shadow date with a matured outcome
    matured_auc: tuple[float | None, float | None]  # (challenger, champion) on those rows

    @property
    def alert_overlap(self) -> float | None:
        """Share of the champion's alerts the challenger raises too."""
        return self.alerts_both / self.alerts[1] if self.alerts[1] else None


def _auc(labels: npt.NDArray[np.int8], p: npt.NDArray[np.float64]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, p))


def shadow_comparison(
    *, engine: Engine | None = None, challenger: str | None = None, champion: str | None = None
) -> ShadowComparison | None:
    """The comparison from the stored shadow scores of `challenger` beside `champion`
    (default: the pair scored most recently); None when nothing was shadow-scored."""
    with session_scope(engine=engine) as session:
        pairs = store.shadow_pairs(session)
        wanted = [
            (a, b)
            for a, b in pairs
            if (challenger is None or a == challenger) and (champion is None or b == champion)
        ]
        if not wanted:
            return None
        new, old = wanted[0]
        found = store.paired_scores(session, challenger=new, champion=old)
    if found.as_of.shape[0] == 0:
        return None
    dates = sorted(set(found.as_of.tolist()))
    latest = found.as_of == dates[-1]
    known = found.label >= 0
    labels = found.label[known]
    auc: tuple[float | None, float | None] = (None, None)
    if labels.shape[0] >= MIN_MATURED_ROWS and 0 < int(labels.sum()) < labels.shape[0]:
        auc = (_auc(labels, found.challenger[known]), _auc(labels, found.champion[known]))
    new_alerts, old_alerts = found.challenger_alert[latest], found.champion_alert[latest]
    return ShadowComparison(
        challenger=new,
        champion=old,
        dates=dates,
        latest=dates[-1],
        customers=int(latest.sum()),
        alerts=(int(new_alerts.sum()), int(old_alerts.sum())),
        alerts_both=int((new_alerts & old_alerts).sum()),
        score_psi=binned_psi(Bins.of(found.champion[latest]), found.challenger[latest])[0],
        matured_rows=int(known.sum()),
        matured_auc=auc,
    )
