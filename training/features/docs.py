"""Renders the feature catalogue into `docs/features.md`.

python -m pde.training.features.docs          # rewrites docs/features.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from pde.contracts.reason_codes import REASON_CODES
from pde.training.features.catalogue import CATALOGUE, CATALOGUE_VERSION
from pde.training.features.catalogue import __doc__ as catalogue_doc
from pde.training.features.labels import __doc__ as labels_doc
from pde.training.features.spec import FAMILIES
from pde.training.features.window import __doc__ as window_doc

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def _paragraphs(text: str | None) -> str:
    return " ".join((text or "").split())


def render_markdown() -> str:
    lines = [
        "# Feature catalogue",
        "",
        f"Version `{CATALOGUE_VERSION}`, {len(CATALOGUE)} features. Generated from the entries "
        "that the modules of `training/features/` declare beside the code computing them "
        "(assembled in `catalogue.py`) by `python -m pde.training.features.docs`; do not edit.",
        "",
        "## Time rules",
        "",
        _paragraphs(window_doc),
        "",
        _paragraphs(catalogue_doc),
        "",
        "## Label",
        "",
        _paragraphs(labels_doc),
        "",
        "Missing values are NaN. A family with no source data at all (for example transactions "
        "in the UCI Taiwan import) is NaN for every row; counts and amounts are 0 for a customer "
        "with no such event when the source exists.",
        "",
        "## Reason codes",
        "",
        "Every feature maps to one standard reason code (`pde.contracts.reason_codes`); "
        "protected features (marked *protected*) are never shown as reasons.",
        "",
        "| code | text |",
        "| --- | --- |",
        *(f"| {code} | {text} |" for code, text in REASON_CODES.items()),
        "",
    ]
    for family in FAMILIES:
        specs = [s for s in CATALOGUE if s.family == family]
        lines += [
            f"## {family} ({len(specs)})",
            "",
            "| name | description | unit | window | code | reason text |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{s.name}` | {s.description} | {s.unit} | {s.window} | {s.reason_code}"
            f"{' (protected)' if s.protected else ''} | {s.reason} |"
            for s in specs
        ]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render_markdown())
    sys.stdout.write(f"wrote {DOC_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
