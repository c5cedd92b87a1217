"""Shadow scoring: a challenger bundle loaded beside the champion, scored on `ScoreStream`.

The champion keeps answering every call as before; when a challenger is loaded, each
`ScoreStream` batch is also scored by it and the result carries the challenger's
probabilities, alerts and version in fields of their own (`challenger_*`). Unary `Score`,
`Explain` and the Open Inference Protocol never touch it, so the challenger costs nothing on
their path.

The challenger reads the champion's rows: its features are picked from them by name. A
challenger that takes features the champion does not (its own feature selection) needs them
sent beside the rows (`ScoreBatch.challenger_features`, in the order
`ModelInfo.challenger_feature_names` gives; the Python client does this from a DataFrame);
a batch without them gets no shadow scores. Both bundles must compute their features with
the same catalogue, or the challenger is refused at load. Loads go through the same checks as
a reload of the champion: a child process loads it first (`pde.server.preflight`), then the
full verification, warm-up and parity check (`pde.server.bundle.load_bundle`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import BundleError
from pde.server.bundle import BatchScores, LoadedBundle, load_bundle
from pde.server.ensemble import F32
from pde.server.errors import InvalidInputError, ReloadRefusedError
from pde.server.preflight import check_bundle
from pde.server.scorer import Scorer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShadowScores:
    """The challenger's scores of a batch, in the order of its rows."""

    version: str
    probability: npt.NDArray[np.float64]
    alert: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Challenger:
    bundle: LoadedBundle
    # The challenger's columns among the champion's rows (None: it takes features the
    # champion does not, sent apart), for the champion version they were matched with.
    champion_version: str
    columns: npt.NDArray[np.intp] | None


def columns_for(champion: LoadedBundle, challenger: LoadedBundle) -> npt.NDArray[np.intp] | None:
    """Where each challenger feature sits in the champion's rows; None when it takes
    features the champion does not. BundleError when their feature catalogues differ."""
    wanted = challenger.manifest.feature_catalogue_version
    have = champion.manifest.feature_catalogue_version
    if wanted != have:
        raise BundleError(
            f"challenger {challenger.version} uses features {wanted}, the champion "
            f"{champion.version} {have}: it cannot score the champion's rows"
        )
    index = {name: i for i, name in enumerate(champion.spec.feature_names)}
    if any(n not in index for n in challenger.spec.feature_names):
        return None
    return np.array([index[n] for n in challenger.spec.feature_names], dtype=np.intp)


class Shadow:
    """The shadow challenger of one server: load, unload, and score a champion's batch."""

    def __init__(
        self,
        *,
        loader: Callable[[Path], LoadedBundle] = load_bundle,
        preflight: Callable[[Path], None] = check_bundle,
    ) -> None:
        self._loader = loader
        self._preflight = preflight
        self._challenger: _Challenger | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def _warn_once(self, version: str) -> None:
        if version not in self._warned:
            self._warned.add(version)
            log.warning(
                "challenger %s takes features the champion does not: batches without "
                "challenger_features get no shadow scores",
                version,
            )

    @property
    def version(self) -> str:
        """The loaded challenger's version; empty when none is loaded."""
        found = self._challenger
        return found.bundle.version if found is not None else ""

    @property
    def feature_names(self) -> list[str]:
        """The loaded challenger's features in its order; empty when none is loaded."""
        found = self._challenger
        return list(found.bundle.spec.feature_names) if found is not None else []

    def load(self, directory: Path, champion: LoadedBundle, *, preflight: bool = True) -> str:
        """Loads the bundle in `directory` as the challenger of `champion`; a bad one (or
        the champion itself) raises ReloadRefusedError and the previous challenger stays."""
        try:
            with self._lock:
                if preflight:
                    self._preflight(directory)
                bundle = self._loader(directory)
                # the shadow only scores: its native models (loaded for the parity check)
                # need not stay in memory
                bundle.close()
                if bundle.version == champion.version:
                    raise BundleError(f"{bundle.version} is the champion itself")
                columns = columns_for(champion, bundle)
                self._challenger = _Challenger(bundle, champion.version, columns)
        except BundleError as exc:
            log.error("challenger refused (keeping %s): %s", self.version or "none", exc)
            raise ReloadRefusedError(f"challenger refused: {exc}") from None
        log.info("shadow challenger %s loaded beside %s", bundle.version, champion.version)
        return bundle.version

    def unload(self) -> None:
        with self._lock:
            previous, self._challenger = self._challenger, None
        if previous is not None:
            log.info("shadow challenger %s unloaded", previous.bundle.version)

    def score(
        self, champion: LoadedBundle, rows: F32, own: Callable[[LoadedBundle], F32 | None]
    ) -> ShadowScores | None:
        """The challenger's scores of the champion's checked rows, None without a
        challenger. Its features come from `rows` by name or, when it takes others, from
        `own(challenger)` (its own checked rows; None: not sent, no shadow scores). After the
        champion is swapped, the columns are matched again (a challenger whose catalogue
        no longer matches is unloaded, logged)."""
        found = self._challenger
        if found is None:
            return None
        if found.champion_version != champion.version:
            found = self._rematch(found, champion)
            if found is None:
                return None
        if found.columns is not None:
            x = np.ascontiguousarray(rows[:, found.columns])
        else:
            sent = own(found.bundle)
            if sent is None:
                self._warn_once(found.bundle.version)
                return None
            x = sent
        scores = found.bundle.score(x)
        return ShadowScores(found.bundle.version, scores.probability, scores.alert)

    def _rematch(self, found: _Challenger, champion: LoadedBundle) -> _Challenger | None:
        with self._lock:
            if self._challenger is not found:
                return self._challenger
            try:
                columns = columns_for(champion, found.bundle)
            except BundleError as exc:
                log.error("shadow challenger unloaded: %s", exc)
                self._challenger = None
                return None
            self._challenger = _Challenger(found.bundle, champion.version, columns)
            return self._challenger


def shadow_fields(scores: BatchScores, shadow: ShadowScores | None) -> dict[str, object]:
    """The `challenger_*` fields of a ScoreBatchResult (none without a challenger)."""
    if shadow is None:
        return {}
    if shadow.probability.shape != scores.probability.shape:
        raise InvalidInputError("the challenger's scores do not match the batch")  # a bug
    return {
        "challenger_probabilities": shadow.probability.astype("<f4").tobytes(),
        "challenger_alerts": shadow.alert.astype(np.uint8).tobytes(),
        "challenger_version": shadow.version,
    }


def shadow_scores(
    scorer: Scorer,
    shadow: Shadow,
    bundle: LoadedBundle,
    rows: F32,
    row_ids: Sequence[str],
    *,
    challenger_data: bytes = b"",
) -> ShadowScores | None:
    """The challenger's scores of a ScoreStream batch the champion (`bundle`) scored from
    `rows`, when one is loaded (`challenger_data`: its own features, packed; checked as
    strictly as the champion's)."""

    def own(challenger: LoadedBundle) -> F32 | None:
        if not challenger_data:
            return None
        return scorer.packed_rows(challenger, challenger_data, row_ids)

    return shadow.score(bundle, rows, own)
