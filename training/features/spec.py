"""What a feature is (name, family, meaning, unit, window, reason-code text) and how a module
declares the features it computes, beside the code that computes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pde.contracts.catalogue import ValueFormat, format_reason, unit_format
from pde.training.features.reason_codes import PROTECTED_FEATURES, reason_code_of

Family = Literal[
    "salary", "balance", "spending", "payments", "cash", "patterns", "recent", "derived"
]
FAMILIES: tuple[Family, ...] = (
    "salary",
    "balance",
    "spending",
    "payments",
    "cash",
    "patterns",
    "recent",
    "derived",
)

# The windows a feature is computed over (see `pde.training.features.catalogue`).
LB = "lookback"
D30 = "30d"
TREND = "30d vs prior"
WEEKLY = "weekly"
ASOF = "as of"
RECENT = "recency-weighted"


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of the catalogue; its fields are what a bundle ships
    (`pde.contracts.catalogue.CatalogueEntry`).

    `reason` is the text a risk officer reads when this feature pushes a score up; `{v}` is
    replaced by the value shown as `value_format` says (see `format_reason`); `reason_code` is
    its standard code and `protected` marks an attribute never shown as a reason (both from
    `pde.training.features.reason_codes`).
    """

    name: str
    family: Family
    description: str
    unit: str
    window: str
    reason: str
    value_format: ValueFormat
    reason_code: str
    protected: bool = False

    def format_reason(self, value: float) -> str:
        return format_reason(self.reason, value, self.value_format)


# A declared feature: (name, description, unit, window, reason text).
Row = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class FeatureGroup:
    """Catalogue entries declared together by `module`, the module that computes them."""

    module: str
    features: tuple[FeatureSpec, ...]


def declare(module: str, family: Family, rows: Sequence[Row]) -> FeatureGroup:
    """The entries of features that `module` computes; a value shows as its unit's format."""
    return FeatureGroup(
        module,
        tuple(
            FeatureSpec(
                name,
                family,
                description,
                unit,
                window,
                reason,
                unit_format(unit),
                reason_code=reason_code_of(name),
                protected=name in PROTECTED_FEATURES,
            )
            for name, description, unit, window, reason in rows
        ),
    )
