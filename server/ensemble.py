"""The ensemble's arithmetic: clipping, weighted average, calibration, tiers and alerts.

Pure functions of numpy arrays and the manifest; the ONNX sessions live in `pde.server.bundle`.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pde.contracts.bundle import P_FLOOR, RAW_EPSILON, Manifest
from pde.core.names import MODEL_NAMES

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


def _logit(p: F64) -> F64:
    return np.log(p / (1 - p))


def _interp(x: float, xp: list[float], fp: list[float]) -> float:
    """np.interp of one value: linear between the points, the end values beyond them."""
    if not xp:
        return x
    if x <= xp[0]:
        return fp[0]
    if x >= xp[-1]:
        return fp[-1]
    i = bisect.bisect_right(xp, x)
    x0, x1, y0, y1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 != x0 else y1


@dataclass(frozen=True)
class EnsembleSpec:
    """What the manifest says about turning model outputs into a decision."""

    feature_names: tuple[str, ...]
    lower: F32
    upper: F32
    weights: F64  # in MODEL_NAMES order
    calibration_method: str
    calibration_x: F64
    calibration_y: F64
    # platt: a, b; beta: a, b, c (see pde.contracts.bundle.Calibration)
    platt_a: float
    platt_b: float
    beta_c: float
    threshold: float
    tier_names: tuple[str, ...]
    tier_lowers: F64

    # the calibration's points as floats, for `calibrate_one`
    _calibration_x: list[float] = field(init=False, repr=False, compare=False)
    _calibration_y: list[float] = field(init=False, repr=False, compare=False)
    _logit_x: list[float] = field(init=False, repr=False, compare=False)
    _logit_y: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        x, y = self.calibration_x, self.calibration_y
        object.__setattr__(self, "_calibration_x", x.tolist())
        object.__setattr__(self, "_calibration_y", y.tolist())
        with np.errstate(divide="ignore", invalid="ignore"):  # as `calibrate` computes them
            object.__setattr__(self, "_logit_x", _logit(x).tolist())
            object.__setattr__(self, "_logit_y", _logit(y).tolist())

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> EnsembleSpec:
        names = tuple(manifest.feature_names)
        lower = np.full(len(names), -np.inf, dtype=np.float32)
        upper = np.full(len(names), np.inf, dtype=np.float32)
        for index, name in enumerate(names):
            if name in manifest.clip_bounds:
                lower[index], upper[index] = manifest.clip_bounds[name]
        calibration = manifest.calibration
        return cls(
            feature_names=names,
            lower=lower,
            upper=upper,
            weights=np.array([manifest.weights[m] for m in MODEL_NAMES], dtype=np.float64),
            calibration_method=calibration.method,
            calibration_x=np.asarray(calibration.x, dtype=np.float64),
            calibration_y=np.asarray(calibration.y, dtype=np.float64),
            platt_a=calibration.a,
            platt_b=calibration.b,
            beta_c=calibration.c,
            threshold=manifest.threshold,
            tier_names=tuple(t.name for t in manifest.tiers),
            tier_lowers=np.array([t.lower for t in manifest.tiers], dtype=np.float64),
        )

    def clip(self, features: F32) -> F32:
        """Applies the training clip bounds; NaN (missing) passes through unchanged."""
        # maximum/minimum propagate NaN and cost less than np.clip on small batches.
        return np.minimum(np.maximum(features, self.lower), self.upper)

    def combine(self, per_model: F64) -> F64:
        """Weighted average of the models' probabilities, per_model shaped [models, rows]."""
        return self.weights @ per_model

    def calibrate(self, raw: F64) -> F64:
        """The manifest's calibration; platt, beta and isotonic_interp give values strictly
        inside (0, 1), strictly increasing in `raw` (as training computed them)."""
        method = self.calibration_method
        if method == "isotonic":  # bundles before isotonic_interp
            return np.interp(raw, self.calibration_x, self.calibration_y)
        if method not in ("platt", "beta", "isotonic_interp"):
            return raw
        s = np.clip(raw, RAW_EPSILON, 1 - RAW_EPSILON)
        if method == "platt":
            z = self.platt_a * _logit(s) + self.platt_b
        elif method == "beta":
            z = self.platt_a * np.log(s) - self.platt_b * np.log1p(-s) + self.beta_c
        else:
            z = np.interp(_logit(s), _logit(self.calibration_x), _logit(self.calibration_y))
        return P_FLOOR + (1 - 2 * P_FLOOR) / (1 + np.exp(-z))

    def calibrate_one(self, raw: float) -> float:
        """`calibrate` of one value in plain floats (the one-row path's: no arrays)."""
        method = self.calibration_method
        if method == "isotonic":
            return _interp(raw, self._calibration_x, self._calibration_y)
        if method not in ("platt", "beta", "isotonic_interp"):
            return raw
        s = min(max(raw, RAW_EPSILON), 1 - RAW_EPSILON)
        if method == "platt":
            z = self.platt_a * math.log(s / (1 - s)) + self.platt_b
        elif method == "beta":
            z = self.platt_a * math.log(s) - self.platt_b * math.log1p(-s) + self.beta_c
        else:
            z = _interp(math.log(s / (1 - s)), self._logit_x, self._logit_y)
        return P_FLOOR + (1 - 2 * P_FLOOR) / (1 + math.exp(-z))

    def tiers(self, probability: F64) -> npt.NDArray[np.uint8]:
        """Index of each probability's band; bands are [lower, upper), the last includes 1.0."""
        index = np.searchsorted(self.tier_lowers, probability, side="right") - 1
        index[index < 0] = 0  # below the first band (cannot happen for p in [0, 1])
        return index.astype(np.uint8)

    def alerts(self, probability: F64) -> npt.NDArray[np.bool_]:
        return probability >= self.threshold
