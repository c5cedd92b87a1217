"""The report's uplift section: arms, Qini per action, policy values, fairness flags."""

from __future__ import annotations

from html import escape
from typing import Any

POLICY_NAMES = {
    "learned": "learned (uplift models + recommender)",
    "fixed_rule": "fixed by-product rule (today's)",
    "random": "random contact",
    "oracle": "oracle (true uplift)",
}


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return escape(str(value))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def uplift_section(section: dict[str, Any] | None) -> str:
    """The HTML of metrics.json's `uplift` section ('' without one)."""
    if not section:
        return ""
    if "skipped" in section:
        return (
            "<h2>Uplift per action</h2><p class='note'>Not fitted: "
            + escape(str(section["skipped"]))
            + "</p>"
        )
    parts = [
        "<h2>Uplift per action</h2>",
        f"<p class='note'>T-learner ({escape(section['library'])}): one model per arm of the"
        " treated history, uplift = P(miss | none) - P(miss | action). Success:"
        f" {escape(section['success'])}. Features blanked while fitting:"
        f" {escape(', '.join(section['masked_features']) or 'none')}.</p>",
        _table(["arm", "rows fitted"], [[a, n] for a, n in section["fit_rows"].items()]),
    ]
    if "qini" in section:
        parts += [
            f"<h3>Against the simulator's truth ({section['evaluation_rows']:,} out-of-time"
            " rows)</h3>",
            _table(
                [
                    "action",
                    "Qini",
                    "AUUC",
                    "AUUC random",
                    "AUUC oracle",
                    "true uplift",
                    "predicted",
                ],
                [
                    [
                        a,
                        q["qini"],
                        q["auuc"],
                        q["auuc_random"],
                        q["auuc_oracle"],
                        q["mean_true_uplift"],
                        q["mean_predicted_uplift"],
                    ]
                    for a, q in section["qini"].items()
                ],
            ),
        ]
    value = section.get("policy_value")
    if value:
        parts += [
            "<h3>Policy value: misses prevented per 1,000 contacts (95% bootstrap interval)</h3>",
            _table(
                ["policy", "contacts", "per 1,000 contacts", "interval", "net benefit / contact"],
                [
                    [
                        POLICY_NAMES.get(name, name),
                        p["contacts"],
                        p["per_1000_contacts"],
                        f"{p['interval'][0]:.1f} to {p['interval'][1]:.1f}",
                        p["net_benefit_per_contact"],
                    ]
                    for name, p in value["policies"].items()
                ],
            ),
            _table(
                ["margin", "per 1,000 contacts", "interval", "excludes zero"],
                [
                    [
                        name.replace("_", " "),
                        m["per_1000_contacts"],
                        f"{m['interval'][0]:.1f} to {m['interval'][1]:.1f}",
                        "yes" if m["excludes_zero"] else "no",
                    ]
                    for name, m in value["margins"].items()
                ],
            ),
        ]
    fairness = section.get("fairness")
    if fairness:
        parts.append(f"<h3>Fairness of the learned policy (ratio {fairness['ratio']})</h3>")
        for attribute, figures in fairness["attributes"].items():
            parts.append(
                f"<h4>{escape(attribute)}</h4>"
                + _table(
                    ["group", "rows", "share alerted", "cure rate", "mean p", "default rate"],
                    [
                        [
                            g,
                            f["rows"],
                            f["share_alerted"],
                            f["cure_rate"],
                            f["mean_probability"],
                            f["default_rate"],
                        ]
                        for g, f in figures["groups"].items()
                    ],
                )
                + "<p class='note'>flags: "
                + escape("; ".join(figures["flags"]) or "none")
                + "</p>"
            )
    return "".join(parts)
