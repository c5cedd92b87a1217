"""The feature catalogue entry as a bundle ships it, and how its reason text is written.

Training declares the catalogue (`pde.training.features`) and ships the entries of a model's
features in its manifest (`Manifest.feature_catalogue`); the server writes reason texts from
the entries of the bundle it serves, so a bundle keeps the texts it was trained with.

A reason text is the entry's `reason` with `{v}` replaced by the value shown as the entry's
`value_format` says: everything a text needs is data in the entry, and this module is the one
formatter.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pde.contracts.reason_codes import REASON_CODES

ValueFormat = Literal["percent", "decimal", "whole", "amount"]

# How each format shows a value: 0.25 -> "25%", "0.25", "0", "0.25"; 1234.5 -> "1,234.50".
_FORMAT_SPECS: dict[ValueFormat, str] = {
    "percent": ".0%",
    "decimal": ".2f",
    "whole": ".0f",
    "amount": ",.2f",
}

# The value format of each unit of the catalogue; any other unit is an amount.
UNIT_FORMATS: dict[str, ValueFormat] = {
    "share": "percent",
    "ratio": "decimal",
    "ratio of income": "decimal",
    "count": "whole",
    "days": "whole",
    "weeks": "whole",
    "months": "whole",
    "years": "whole",
    "flag": "whole",
    "rank": "whole",
}

UNKNOWN_VALUE = "unknown"

# Units whose values read better with the unit after them ("9 days").
_SPOKEN_UNITS = frozenset({"days", "weeks", "months", "years"})


def unit_format(unit: str) -> ValueFormat:
    """The value format of a unit (`amount` for a unit not in `UNIT_FORMATS`)."""
    return UNIT_FORMATS.get(unit, "amount")


def format_value(value: float, value_format: ValueFormat) -> str:
    """The value as a reason text shows it; NaN (missing) is `unknown`."""
    if math.isnan(value):
        return UNKNOWN_VALUE
    return format(value, _FORMAT_SPECS[value_format])


def format_reason(reason: str, value: float, value_format: ValueFormat) -> str:
    """`reason` with `{v}` replaced by the formatted value."""
    return reason.replace("{v}", format_value(value, value_format))


def plain_reason(feature: str, value: float) -> str:
    """The text of a feature no catalogue describes: `feature = value`."""
    shown = UNKNOWN_VALUE if math.isnan(value) else f"{value:.4g}"
    return f"{feature} = {shown}"


class FeatureStatistics(BaseModel):
    """What is usual for a feature: quartiles and mean of the training rows' present values,
    and the share missing. Shipped per feature in the manifest (`feature_statistics`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q1: float
    median: float
    q3: float
    mean: float
    missing: float = Field(ge=0.0, le=1.0)


def usual_text(unit: str, value_format: ValueFormat, stats: FeatureStatistics) -> str:
    """What is usual, in words: a flag's share of customers, else the middle half of the
    training rows (`usually 0 to 2 days`) or their median when that half is one value."""
    if unit == "flag":
        return f"seen in {stats.mean:.0%} of customers"
    suffix = f" {unit}" if unit in _SPOKEN_UNITS else ""
    low, mid, high = (format_value(v, value_format) for v in (stats.q1, stats.median, stats.q3))
    if low == high:
        return f"usually {mid}{suffix}"
    return f"usually {low} to {high}{suffix}"


class CatalogueEntry(BaseModel):
    """One feature of the catalogue, as shipped in a bundle's manifest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    family: str
    description: str
    unit: str
    window: str
    reason: str = Field(
        description="What a risk officer reads when the feature raises a score; `{v}` stands "
        "for the value."
    )
    value_format: ValueFormat | None = Field(
        default=None,
        description="How `{v}` is shown. None in bundles written before the field existed: "
        "the unit's format (`unit_format`) then.",
    )
    reason_code: str | None = Field(
        default=None,
        description="The standard reason code (`pde.contracts.reason_codes`); None in bundles "
        "written before codes existed.",
    )
    protected: bool = Field(
        default=False,
        description="A protected attribute (such as age): never shown as a reason.",
    )

    @field_validator("reason_code")
    @classmethod
    def _known_code(cls, code: str | None) -> str | None:
        if code is not None and code not in REASON_CODES:
            raise ValueError(f"{code!r} is not a standard reason code")
        return code

    @property
    def shown_as(self) -> ValueFormat:
        return self.value_format if self.value_format is not None else unit_format(self.unit)

    @property
    def code_text(self) -> str:
        """The plain text of the entry's reason code ('' without one)."""
        return "" if self.reason_code is None else REASON_CODES[self.reason_code]

    def reason_text(self, value: float, stats: FeatureStatistics | None = None) -> str:
        """The reason text for this value of the feature, followed by what is usual when the
        bundle ships the feature's statistics: `salary arrived 9 days late; usually 0 days`."""
        text = format_reason(self.reason, value, self.shown_as)
        if stats is None:
            return text
        return f"{text}; {usual_text(self.unit, self.shown_as, stats)}"
