"""The model bundle contract: `manifest.json` and how a bundle directory is found and checked.

A bundle is a directory `PDE_MODEL_DIR/<version>/` holding `manifest.json`, one `.onnx` graph
per model, the native model files (for SHAP explanations), `report.html` and `metrics.json`.
`PDE_MODEL_DIR/current` (a text file naming the version) points to the bundle to serve; it is
moved only after a bundle was written completely. Training writes bundles; the server and the
app only read them, through this module.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pde.contracts.catalogue import CatalogueEntry, FeatureStatistics
from pde.contracts.reference import ReferenceDistributions
from pde.core.errors import PdeError
from pde.core.names import MODEL_NAMES, RiskTier

MANIFEST = "manifest.json"
CURRENT = "current"


class BundleError(PdeError):
    """A bundle is missing, incomplete, corrupt or inconsistent."""


class ModelFile(BaseModel):
    """One model of the bundle (a member of the ensemble): its graph and its native file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    onnx_file: str
    onnx_sha256: str
    native_file: str
    native_sha256: str
    input_name: str = Field(description="Name of the graph's float32 [N, F] input.")
    output_name: str = Field(description="Output holding class probabilities, [N, 2] float32.")


class Calibration(BaseModel):
    """Maps the raw ensemble probability `s` to a calibrated one (fitted on validation).

    Every method but the legacy `isotonic` keeps its output strictly between 0 and 1 and
    strictly increasing in `s`: `s` is first clipped to [RAW_EPSILON, 1 - RAW_EPSILON] and the
    result q is squeezed to P_FLOOR + (1 - 2 P_FLOOR) q.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["platt", "beta", "isotonic_interp", "isotonic", "none"]
    # isotonic_interp: the knots (x, y) of an isotonic fit at its blocks' mean score, joined
    # by straight lines on the logit scale of both axes, ends at RAW_EPSILON and
    # 1 - RAW_EPSILON. isotonic (bundles before 2026-05): plain piecewise-linear
    # interpolation through (x, y), flat beyond the ends.
    x: list[float] = Field(default_factory=list)
    y: list[float] = Field(default_factory=list)
    # platt: q = sigmoid(a * logit(s) + b)
    # beta:  q = sigmoid(a * ln(s) - b * ln(1 - s) + c), a, b >= 0
    a: float = 1.0
    b: float = 0.0
    c: float = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Calibration:
        knots = self.method in ("isotonic", "isotonic_interp")
        if knots and (len(self.x) < 2 or len(self.x) != len(self.y)):
            raise ValueError(f"{self.method} calibration needs matching x and y of length >= 2")
        if self.method == "isotonic_interp" and not (
            all(0 < v < 1 for v in (*self.x, *self.y))
            and all(p < q for p, q in pairwise(self.x))
            and all(p < q for p, q in pairwise(self.y))
        ):
            raise ValueError("isotonic_interp knots must be strictly increasing, inside (0, 1)")
        if self.method == "platt" and self.a <= 0:
            raise ValueError("platt calibration needs a > 0 (increasing)")
        if self.method == "beta" and (min(self.a, self.b) < 0 or self.a + self.b <= 0):
            raise ValueError("beta calibration needs a, b >= 0, not both 0 (increasing)")
        return self


# Raw scores are clipped to [RAW_EPSILON, 1 - RAW_EPSILON] before a logit; calibrated values
# are squeezed into [P_FLOOR, 1 - P_FLOOR] (both exact in float32, which the API sends).
RAW_EPSILON = 1e-7
P_FLOOR = 1e-6


class AlertPolicy(BaseModel):
    """Who gets an alert: the team's weekly capacity and the economics of one intervention.

    A customer's expected net benefit of the best action is
    `p * exposure * loss_given_default * action_effect - intervention_cost`; alerts go to the
    highest net benefit within `capacity` (officers x contacts per officer per week), never to
    a customer below the break-even point (net benefit < 0).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    officers: int = Field(ge=1, description="Collections officers working the alerts.")
    contacts_per_officer: int = Field(ge=1, description="Customers one officer works a week.")
    loss_given_default: float = Field(gt=0.0, le=1.0, description="Share of exposure lost.")
    exposure_source: Literal["fixed", "outstanding_balance", "credit_limit"] = Field(
        description="Where a customer's exposure comes from: `exposure_amount` for everyone, or "
        "that feature (the amount where it is missing)."
    )
    exposure_amount: float = Field(gt=0.0, description="Exposure at default, in currency.")
    intervention_cost: float = Field(gt=0.0, description="Cost of one action, in currency.")
    action_effect: float = Field(
        gt=0.0, le=1.0, description="Share of defaults the best action averts (a prior)."
    )

    @property
    def capacity(self) -> int:
        """Alerts the team can work in a week."""
        return self.officers * self.contacts_per_officer

    def break_even(self, exposure: float | None = None) -> float:
        """The probability where an action pays for itself (at `exposure_amount` by default)."""
        value = self.exposure_amount if exposure is None else exposure
        gain = value * self.loss_given_default * self.action_effect
        return 1.0 if gain <= 0 else min(1.0, self.intervention_cost / gain)


class TierBand(BaseModel):
    """A risk tier: probabilities in [lower, upper) (the last band includes 1.0)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: RiskTier
    lower: float = Field(ge=0.0, le=1.0)
    upper: float = Field(ge=0.0, le=1.0)


class ReferenceFile(BaseModel):
    """The bundle's file of reference distributions and its sha256."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    sha256: str


class UpliftArm(ModelFile):
    """One arm's model: the 30-day miss probability of a customer given that arm."""

    fit_rows: int = Field(ge=0, description="Assigned rows of the treated history it fit on.")


class UpliftSection(BaseModel):
    """Uplift models per action (a T-learner): one graph per arm, on the bundle's input row.

    A server computes, for a row prepared as for the risk models (`feature_names` order,
    `clip_bounds`), P(miss) = column 1 of each arm's `output_name`, and
    `uplift[action] = P(miss | control) - P(miss | action)`: the expected fall in the 30-day
    miss probability the action brings. The recommender (`pde.decision.recommend`) ranks
    actions by `uplift x exposure x LGD - costs[action]`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["t_learner"] = "t_learner"
    library: str
    outcome: Literal["missed_30d"] = "missed_30d"
    success: str = Field(description="The one definition of success (cured within 30 days).")
    control: str = Field(description="The arm every action's uplift is measured against.")
    actions: list[str] = Field(min_length=1, description="Actions, in the recommender's order.")
    arms: dict[str, UpliftArm]
    costs: dict[str, float] = Field(description="Cost of each action the figures assumed.")
    masked_features: list[str] = Field(
        default_factory=list,
        description="Protected features blanked (NaN) while fitting: no tree reads them.",
    )
    metrics: dict[str, Any] = Field(
        default_factory=dict, description="Qini per action and policy values (out-of-time)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> UpliftSection:
        if set(self.arms) != {self.control, *self.actions}:
            raise ValueError("uplift arms must be exactly the control and every action")
        if set(self.costs) != set(self.actions):
            raise ValueError("uplift costs must name every action")
        return self


class Manifest(BaseModel):
    """`manifest.json` of a bundle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: Literal[1] = 1
    version: str
    created_at: datetime
    data_fingerprint: str = Field(description="sha256 of the training rows and labels.")
    source: Literal["canonical", "table"]
    feature_names: list[str] = Field(min_length=1, description="Model input order.")
    feature_catalogue_version: str | None = Field(
        description="Version of pde.training.features' catalogue; None for `--table` bundles."
    )
    feature_catalogue: list[CatalogueEntry] = Field(
        default_factory=list,
        description="The catalogue entries of the model's features, as trained (the server's "
        "reason texts come from them); empty for `--table` bundles.",
    )
    id_column: str | None = None
    label_column: str | None = None
    models: dict[str, ModelFile]
    weights: dict[str, float]
    calibration: Calibration
    threshold: float = Field(
        ge=0.0,
        le=1.0,
        description="The break-even floor: no alert below it (the server's `alert` flag is "
        "p >= threshold; the capacity-limited alerts are the policy's, see `policy`).",
    )
    policy: AlertPolicy | None = Field(
        None, description="The alert policy the held-out figures were computed with."
    )
    tiers: list[TierBand] = Field(min_length=1)
    clip_bounds: dict[str, tuple[float, float]] = Field(
        description="Per feature (lower, upper) applied before the graphs; NaN passes through."
    )
    metrics: dict[str, Any] = Field(description="Held-out metrics per model and 'ensemble'.")
    training: dict[str, Any] = Field(default_factory=dict, description="Parameters and timings.")
    reference: ReferenceFile | None = Field(
        None, description="Reference distributions for drift; None in bundles before 2026-12."
    )
    uplift: UpliftSection | None = Field(
        None, description="Uplift models per action, when the data had a treated history."
    )
    hazard: ModelFile | None = Field(
        None,
        description="The time-to-miss hazard model (pde.contracts.hazard): its graph takes the "
        "features plus the interval index, [N, F + 1]; None in bundles without one.",
    )
    feature_statistics: dict[str, FeatureStatistics] = Field(
        default_factory=dict,
        description="What is usual per feature in the training rows (quartiles, mean), which "
        "reason texts quote; empty in older bundles.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if set(self.models) != set(MODEL_NAMES):
            raise ValueError(f"models must be exactly {', '.join(MODEL_NAMES)}")
        if set(self.weights) != set(MODEL_NAMES) or abs(sum(self.weights.values()) - 1) > 1e-6:
            raise ValueError("weights must name every model and sum to 1")
        if len(set(self.feature_names)) != len(self.feature_names):
            raise ValueError("feature_names has duplicates")
        described = {entry.name for entry in self.feature_catalogue}
        if self.feature_catalogue and not set(self.feature_names) <= described:
            raise ValueError("feature_catalogue must describe every feature")
        unknown = set(self.clip_bounds) - set(self.feature_names)
        if unknown:
            raise ValueError(f"clip_bounds for unknown features: {sorted(unknown)[:5]}")
        bands = self.tiers
        if bands[0].lower != 0.0 or bands[-1].upper != 1.0:
            raise ValueError("tiers must cover [0, 1]")
        for before, after in pairwise(bands):
            if before.upper != after.lower:
                raise ValueError("tiers must be contiguous")
        return self


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(bundle_dir: Path, *, verify: bool = True) -> Manifest:
    """Reads and validates `manifest.json`; with verify, checks every file's sha256."""
    path = bundle_dir / MANIFEST
    if not path.is_file():
        raise BundleError(f"{bundle_dir}: no {MANIFEST}; not a model bundle")
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{path}: invalid manifest at {where}: {first['msg']}") from None
    if verify:
        members: list[tuple[str, ModelFile]] = list(manifest.models.items())
        if manifest.uplift is not None:
            members += [(f"uplift {a}", arm) for a, arm in manifest.uplift.arms.items()]
        if manifest.hazard is not None:
            members.append(("hazard", manifest.hazard))
        for name, model in members:
            for file, expected in (
                (model.onnx_file, model.onnx_sha256),
                (model.native_file, model.native_sha256),
            ):
                member = bundle_dir / file
                if not member.is_file():
                    raise BundleError(f"{bundle_dir}: {name} file {file} is missing")
                if sha256_file(member) != expected:
                    raise BundleError(f"{bundle_dir}: {name} file {file} fails its sha256 check")
        reference = manifest.reference
        if reference is not None and (
            not (bundle_dir / reference.file).is_file()
            or sha256_file(bundle_dir / reference.file) != reference.sha256
        ):
            raise BundleError(f"{bundle_dir}: {reference.file} is missing or fails its sha256")
    return manifest


def read_reference(bundle_dir: Path) -> ReferenceDistributions | None:
    """The bundle's reference distributions; None for a bundle written without them."""
    reference = read_manifest(bundle_dir, verify=False).reference
    if reference is None:
        return None
    path = bundle_dir / reference.file
    try:
        return ReferenceDistributions.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise BundleError(f"{path}: unreadable reference distributions: {exc}") from None


def current_bundle_dir(model_dir: Path) -> Path:
    """The bundle `model_dir/current` points to."""
    pointer = model_dir / CURRENT
    if not pointer.is_file():
        raise BundleError(f"{model_dir}: no current bundle (train one with `pde train`)")
    version = pointer.read_text().strip()
    bundle = model_dir / version
    if not version or not bundle.is_dir():
        raise BundleError(f"{pointer} names {version!r}, which is not a bundle directory")
    return bundle


def set_current(model_dir: Path, version: str) -> None:
    """Moves the `current` pointer atomically (write then rename)."""
    if not (model_dir / version / MANIFEST).is_file():
        raise BundleError(f"{model_dir / version}: not a complete bundle")
    tmp = model_dir / f".{CURRENT}.tmp"
    tmp.write_text(version + "\n")
    tmp.replace(model_dir / CURRENT)


def list_bundles(model_dir: Path) -> list[str]:
    """Versions of the complete bundles under model_dir, oldest first."""
    if not model_dir.is_dir():
        return []
    return sorted(p.name for p in model_dir.iterdir() if (p / MANIFEST).is_file())
