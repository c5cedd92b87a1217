"""The scoring service's one handler layer: every transport calls this, never the bundle.

Holds the served bundle and swaps it atomically on reload: a request takes a reference to the
bundle once and uses it to the end, so a reload never mixes two bundles in one answer. A reload
first loads the new bundle in a throwaway process (`pde.server.preflight`), so that model files
that crash the native libraries are refused instead of taking the server down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

from pde.contracts.bundle import MANIFEST, BundleError, current_bundle_dir
from pde.contracts.hazard import concat
from pde.server import inputs
from pde.server.activity import Activity, features_from_activity
from pde.server.bundle import BatchScores, LoadedBundle, RowScore, load_bundle
from pde.server.ensemble import F32, F64
from pde.server.errors import (
    InvalidInputError,
    NotReadyError,
    ReloadRefusedError,
    VersionNotLoadedError,
    quote,
)
from pde.server.explain import (
    BatchExplanation,
    Explanation,
    Ranked,
    explain_row,
    explain_rows,
)
from pde.server.preflight import check_bundle

log = logging.getLogger(__name__)
T = TypeVar("T")

# Batches at least this large are split across the scoring threads.
PARALLEL_MIN_ROWS = 2048
# Rows of one explanation batch: SHAP costs far more per row than scoring, and a message
# holds its handler thread until it is answered.
MAX_EXPLAIN_ROWS = 10_000
# Explanation batches at least this large use the scoring threads' count of threads.
PARALLEL_EXPLAIN_ROWS = 16
# Seconds a replaced bundle keeps its explainer process, for the calls that still use it.
RETIRE_SECONDS = 30.0
# Longest reload target accepted (a path under the model dir or a version name).
MAX_BUNDLE_PATH_CHARS = 1024

# The reasons of a score that asked for none (shared: nothing adds to it).
NO_REASONS = Ranked([], [])

RowInput = Mapping[str, float] | Sequence[float] | Activity | F64


class Scorer:
    """Scores rows with the loaded bundle; loads and hot-swaps bundles."""

    def __init__(
        self,
        *,
        model_dir: Path,
        workers: int = 2,
        max_batch_rows: int = inputs.MAX_BATCH_ROWS,
        message_limit: int | None = None,
        loader: Callable[[Path], LoadedBundle] = load_bundle,
        preflight: Callable[[Path], None] = check_bundle,
    ) -> None:
        """`message_limit`: the transport's largest message in bytes when it is fixed
        beforehand; batches are then limited to the rows that fit it (see `batch_limit`)."""
        self.model_dir = model_dir
        self.workers = workers
        self.max_batch_rows = max_batch_rows
        self.message_limit = message_limit
        self._loader = loader
        self._preflight = preflight
        self._bundle: LoadedBundle | None = None
        self._loaded_at = 0.0
        self._reloads: Counter[str] = Counter()
        self._reload_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, workers - 1), thread_name_prefix="pde-score"
        )

    # -- bundle lifecycle -------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self._bundle is not None

    def bundle(self, version: str = "") -> LoadedBundle:
        """The served bundle; `version`, when given, must be the one loaded."""
        bundle = self._bundle
        if bundle is None:
            raise NotReadyError("no model is loaded yet")
        if version and version != bundle.version:
            raise VersionNotLoadedError(
                f"model version {quote(version)} is not loaded; serving {bundle.version!r}"
            )
        return bundle

    def batch_limit(self, bundle: LoadedBundle) -> inputs.BatchLimit:
        """The largest batch `bundle` takes: `max_batch_rows`, or fewer when a fixed message
        limit cannot carry that many rows of its features."""
        return inputs.BatchLimit.for_bundle(
            bundle.n_features, max_rows=self.max_batch_rows, message_bytes=self.message_limit
        )

    def load(self, path: Path | None = None, *, preflight: bool = False) -> LoadedBundle:
        """Loads the bundle at `path` (default: the `current` one) and serves it; with
        `preflight`, a child process loads it first (see `pde.server.preflight`).

        Raises BundleError when it is bad; the previously served bundle, if any, stays.
        """
        with self._reload_lock:
            directory = path if path is not None else current_bundle_dir(self.model_dir)
            if preflight:
                self._preflight(directory)
            bundle = self._loader(directory)
            previous, self._bundle = self._bundle, bundle
            self._loaded_at = time.time()
        if previous is not None:
            log.info("model %s replaced by %s", previous.version, bundle.version)
            # calls that took the previous bundle finish with it; its explainer ends after
            retire = threading.Timer(RETIRE_SECONDS, previous.close)
            retire.daemon = True
            retire.start()
        limit = self.batch_limit(bundle)
        log.info("model %s takes batches of up to %s", bundle.version, limit.describe())
        if limit.rows < self.max_batch_rows:
            log.warning(
                "model %s: the server's message limit holds only %d of the %d batch rows; "
                "restart the server to size it for this model",
                bundle.version,
                limit.rows,
                self.max_batch_rows,
            )
        return bundle

    def reload(self, path: Path | None = None) -> LoadedBundle:
        """`load` while serving, checked in a child process first: a bad bundle (one that
        fails its checks or crashes the loader) raises ReloadRefusedError; the old one stays."""
        try:
            bundle = self.load(path, preflight=True)
        except BundleError as exc:
            self._reloads["refused"] += 1
            serving = self._bundle.version if self._bundle else "nothing"
            log.error("reload refused (still serving %s): %s", serving, exc)
            raise ReloadRefusedError(f"reload refused, still serving {serving}: {exc}") from None
        self._reloads["ok"] += 1
        return bundle

    def model_state(self) -> tuple[str, str, float] | None:
        """(version, feature catalogue version, load time) of the served bundle, if any."""
        bundle = self._bundle
        if bundle is None:
            return None
        return bundle.version, bundle.manifest.feature_catalogue_version or "", self._loaded_at

    def reload_counts(self) -> dict[str, int]:
        """Hot reloads so far by result: ok, refused."""
        return {"ok": self._reloads["ok"], "refused": self._reloads["refused"]}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._bundle is not None:
            self._bundle.close()

    # -- scoring ----------------------------------------------------------------------------
    def row(self, bundle: LoadedBundle, data: RowInput) -> F32:
        """One checked row in model order from named values, packed values or raw activity."""
        names = bundle.spec.feature_names
        if type(data) is np.ndarray or type(data) is list:  # packed values: no ABC checks
            return inputs.row_from_packed(data, names)
        if isinstance(data, Activity):
            return features_from_activity(data, bundle.manifest)
        if isinstance(data, Mapping):
            return inputs.row_from_named(data, names)
        return inputs.row_from_packed(data, names)

    def prepare(self, data: RowInput, *, version: str = "") -> tuple[LoadedBundle, F32]:
        """The bundle to answer with and the checked row (raw activity computes features)."""
        bundle = self.bundle(version)
        return bundle, self.row(bundle, data)

    def score_one(
        self, data: RowInput, *, version: str = "", top_reasons: int = 0, time_to_miss: bool = False
    ) -> tuple[LoadedBundle, RowScore, Ranked]:
        """Scores one row; with top_reasons > 0 also returns its top reasons and its
        protective factors; with `time_to_miss`, its forecast (a bundle with a hazard model)."""
        if top_reasons < 0:
            raise InvalidInputError(f"top_reasons must be >= 0, got {top_reasons}")
        bundle, row = self.prepare(data, version=version)
        score = bundle.score_row(row, time_to_miss=time_to_miss)
        if not top_reasons:
            return bundle, score, NO_REASONS
        return bundle, score, Ranked.of(explain_row(bundle, row, top_k=top_reasons))

    def score_packed(
        self, data: bytes, row_ids: Sequence[str], *, version: str = ""
    ) -> tuple[LoadedBundle, BatchScores]:
        """Scores a batch of packed float32 rows (see `inputs.rows_from_bytes`)."""
        bundle = self.bundle(version)
        return bundle, self.score_rows(bundle, self.packed_rows(bundle, data, row_ids))

    def packed_rows(self, bundle: LoadedBundle, data: bytes, row_ids: Sequence[str]) -> F32:
        """Packed float32 rows checked for `bundle` (see `inputs.rows_from_bytes`)."""
        return inputs.rows_from_bytes(
            data, row_ids, bundle.spec.feature_names, limit=self.batch_limit(bundle)
        )

    def score_matrix(self, bundle: LoadedBundle, rows: F32) -> BatchScores:
        """Scores float32 rows [rows, features] in model order with `bundle` (the Open
        Inference Protocol's tensor): the row count within the batch limit, no infinite values."""
        limit = self.batch_limit(bundle)
        if rows.ndim != 2 or rows.shape[1] != bundle.n_features:
            raise InvalidInputError(
                f"expected rows of {bundle.n_features} features, got shape {list(rows.shape)}"
            )
        if not 1 <= rows.shape[0] <= limit.rows:
            raise InvalidInputError(
                f"{rows.shape[0]} rows: send 1 to {limit.rows} rows ({limit.describe()})"
            )
        inputs.check_finite(rows, bundle.spec.feature_names)
        return self.score_rows(bundle, rows)

    def in_parts(self, compute: Callable[[F32], T], rows: F32) -> list[T]:
        """`compute` on `rows`, split across the scoring threads for large batches
        (onnxruntime releases the GIL); the results in row order, one per part."""
        if rows.shape[0] < PARALLEL_MIN_ROWS or self.workers < 2:
            return [compute(rows)]
        parts = np.array_split(rows, self.workers)
        futures = [self._pool.submit(compute, part) for part in parts[1:]]
        return [compute(parts[0]), *(f.result() for f in futures)]

    def score_rows(self, bundle: LoadedBundle, rows: F32) -> BatchScores:
        """Scores checked rows, splitting large batches across the scoring threads."""
        results = self.in_parts(bundle.score, rows)
        if len(results) == 1:
            return results[0]
        misses = [r.miss for r in results if r.miss is not None]
        return BatchScores(
            per_model=np.concatenate([r.per_model for r in results], axis=1),
            probability=np.concatenate([r.probability for r in results]),
            tier=np.concatenate([r.tier for r in results]),
            alert=np.concatenate([r.alert for r in results]),
            miss=concat(misses) if len(misses) == len(results) else None,
        )

    def explain(
        self, data: RowInput, *, top_k: int, version: str = ""
    ) -> tuple[LoadedBundle, Explanation]:
        if top_k < 0:
            raise InvalidInputError(f"top_k must be >= 0, got {top_k}")
        bundle = self.bundle(version)
        row = self.row(bundle, data)
        return bundle, explain_row(bundle, row, top_k=top_k)

    def explain_packed(
        self, data: bytes, row_ids: Sequence[str], *, top_k: int, version: str = ""
    ) -> tuple[LoadedBundle, BatchExplanation]:
        """Explains a batch of packed float32 rows (see `inputs.rows_from_bytes`), at most
        `MAX_EXPLAIN_ROWS` of them."""
        if top_k < 0:
            raise InvalidInputError(f"top_k must be >= 0, got {top_k}")
        bundle = self.bundle(version)
        limit = self.batch_limit(bundle)
        if limit.rows > MAX_EXPLAIN_ROWS:
            limit = inputs.BatchLimit(MAX_EXPLAIN_ROWS, limit.n_features, limit.message_bytes)
        rows = inputs.rows_from_bytes(data, row_ids, bundle.spec.feature_names, limit=limit)
        threads = self.workers if rows.shape[0] >= PARALLEL_EXPLAIN_ROWS else 1
        return bundle, explain_rows(bundle, rows, top_k=top_k, threads=threads)

    def resolve(self, bundle_path: str) -> Path | None:
        """A reload target: empty = `current`; a version name or a bundle directory under the
        model dir. Anything else (NUL bytes, over-long, outside, not a bundle) is refused."""
        if not bundle_path:
            return None
        shown = quote(bundle_path)
        if "\0" in bundle_path:
            raise InvalidInputError(f"bundle path {shown} contains a NUL byte")
        if len(bundle_path) > MAX_BUNDLE_PATH_CHARS:
            raise InvalidInputError(
                f"bundle path {shown} is longer than {MAX_BUNDLE_PATH_CHARS} characters"
            )
        root = self.model_dir.resolve()
        path = Path(bundle_path)
        try:
            path = (path if path.is_absolute() else root / path).resolve()
            is_dir = path.is_dir()
            is_bundle = is_dir and (path / MANIFEST).is_file()
        except (OSError, ValueError) as exc:  # e.g. a name too long for the file system
            raise InvalidInputError(
                f"bundle path {shown} cannot be used: {type(exc).__name__}"
            ) from None
        if not path.is_relative_to(root):
            raise InvalidInputError(f"bundle path {shown} is outside the model directory")
        if not is_dir:
            raise InvalidInputError(
                f"bundle path {shown} is not a directory under the model directory"
            )
        if not is_bundle:
            raise InvalidInputError(f"bundle path {shown} is not a model bundle (no {MANIFEST})")
        return path
