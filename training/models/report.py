"""`report.html`: a self-contained evaluation report (inline SVG, no script, no external link)."""

from __future__ import annotations

from html import escape
from typing import Any

from pde.core.names import MODEL_NAMES
from pde.training.models.svg import Series, bar_chart, line_chart
from pde.training.models.uplift_report import uplift_section

ORDER = ("ensemble", *MODEL_NAMES)
STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 18px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;font-size:13px}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555;font-size:13px}
.headline{font-size:18px;margin:8px 0 16px}
"""


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _models_table(metrics: dict[str, Any]) -> str:
    keys = ("auc", "gini", "ks", "pr_auc", "brier", "log_loss", "ece", "top_decile_capture")
    header = ["model", "test AUC", "Gini", "KS", "PR-AUC", "Brier", "log-loss", "ECE"]
    header += ["top-decile"]
    header += ["CV AUC mean", "CV AUC std", "precision", "recall", "F1"]
    rows = []
    for name in ORDER:
        figures = metrics[name]
        at = figures["at_threshold"]
        cv = (figures.get("cv_auc_mean"), figures.get("cv_auc_std"))
        rows.append(
            [name, *(figures.get(k) for k in keys), *cv, at["precision"], at["recall"], at["f1"]]
        )
    return _table(header, rows)


def _time_to_miss(figures: dict[str, Any] | None) -> list[str]:
    if not figures or "concordance" not in figures:
        return []
    horizons = ("7d", "14d", "30d")
    return [
        "<h2>Time to miss (test rows)</h2>",
        f"<p class='headline'>Concordance index <b>{figures['concordance']:.4f}</b> on"
        f" {figures['rows']} out-of-time rows (discrete-time hazard, {escape(figures['learner'])},"
        f" intervals ending on days {', '.join(map(str, figures['intervals']))}).</p>",
        _table(
            ["horizon", "mean forecast", "observed share"],
            [[h, figures["mean_forecast"][h], figures["observed"][h]] for h in horizons],
        ),
    ]


def _confusion(at: dict[str, Any], title: str) -> str:
    cm = at["confusion_matrix"]
    return (
        f"<h3>{escape(title)}, threshold {at['threshold']:.4f}</h3>"
        + _table(
            ["", "predicted no default", "predicted default"],
            [["actual no default", cm["tn"], cm["fp"]], ["actual default", cm["fn"], cm["tp"]]],
        )
        + f"<p class='note'>precision {at['precision']:.3f}, recall {at['recall']:.3f},"
        f" F1 {at['f1']:.3f}, flagged {at['flag_rate']:.1%} of rows</p>"
    )


def _calibration(section: dict[str, Any], weights: dict[str, float]) -> str:
    candidates = ", ".join(
        f"{escape(name)} {loss:.5f}" for name, loss in section["candidates_log_loss"].items()
    )
    return (
        f"<p class='note'>Ensemble weights {escape(str(weights))}. Calibration"
        f" <b>{escape(section['method'])}</b> (asked: {escape(section['asked'])}), fitted on"
        f" validation; out-of-fold validation log-loss of the candidates: {candidates or '-'}."
        f" Expected calibration error on test (10 bins of equal size) <b>{section['ece']:.4f}</b>."
        " Each model is calibrated alone with the same method for this table.</p>"
    )


def _alerts(section: dict[str, Any]) -> str:
    policy = section["policy"]
    text = (
        f"<p class='headline'>Alerts on test: <b>{section['share_alerted']:.1%}</b> of rows"
        f" ({section['alerts']:,} for a capacity of {section['capacity']:,}; capacity used"
        f" {section['capacity_used']:.0%}); precision {_fmt(section.get('precision'), 3)},"
        f" recall {_fmt(section.get('recall'), 3)}, lift {_fmt(section.get('lift'), 2)}"
        f" (base rate {_fmt(section.get('base_rate'), 3)}).</p>"
        f"<p class='note'>{policy['officers']} officers x {policy['contacts_per_officer']}"
        f" contacts a week = {section['weekly_capacity']:,} alerts a week"
        f" ({section['capacity_share']:.1%} of a scoring date's portfolio; held-out rows get"
        " their share of it). Customers are ranked by expected net benefit, p x exposure"
        f" ({escape(policy['exposure_source'])}, amount {policy['exposure_amount']:,.0f}) x loss"
        f" given default {policy['loss_given_default']:g} x action effect"
        f" {policy['action_effect']:g} - intervention cost {policy['intervention_cost']:,.0f};"
        f" none below the break-even floor p = {section['break_even']:.4f}, which"
        f" {section['share_above_break_even']:.1%} of the test rows reach.</p>"
    )
    for warning in section["warnings"]:
        text += f"<p><b>Warning:</b> {escape(warning)}.</p>"
    return text


def _id_like(names: list[str]) -> str:
    if not names:
        return ""
    shown = ", ".join(repr(n) for n in names)
    return f" Left out as row ids (blank name or increasing integers): {escape(shown)}."


def _charts(curves: dict[str, Any]) -> str:
    names = [n for n in ORDER if n in curves]
    roc = [Series(n, curves[n]["roc"]["fpr"], curves[n]["roc"]["tpr"]) for n in names]
    pr = [Series(n, curves[n]["pr"]["recall"], curves[n]["pr"]["precision"]) for n in names]
    cap = [
        Series(n, curves[n]["capture"]["share"], curves[n]["capture"]["captured"]) for n in names
    ]
    cal = [
        Series(n, curves[n]["calibration"]["predicted"], curves[n]["calibration"]["observed"], True)
        for n in names
    ]
    top = max([1e-3, *(max(s.xs + s.ys, default=0.0) for s in cal)])
    charts = [
        line_chart(
            roc, title="ROC (test)", x_label="false positive rate", y_label="recall", diagonal=True
        ),
        line_chart(pr, title="Precision-recall (test)", x_label="recall", y_label="precision"),
        line_chart(
            [Series(s.label, [x / top for x in s.xs], s.ys, True) for s in cal],
            title=f"Calibration by decile (x = predicted / {top:.3f})",
            x_label="predicted probability (scaled)",
            y_label="observed default rate",
            y_max=top,
        ),
        line_chart(
            cap,
            title="Cumulative capture (lift)",
            x_label="share of customers, highest risk first",
            y_label="share of defaults captured",
            diagonal=True,
        ),
    ]
    return "<div class='charts'>" + "".join(charts) + "</div>"


def _imbalance(section: dict[str, Any]) -> str:
    text = f"<p>{escape(section['method'])}.</p>"
    effect = section.get("smote_effect")
    both = ("class_weights", "smote")
    if effect:
        rows = [
            [name, *(v[method][key] for key in ("auc", "pr_auc", "brier") for method in both)]
            for name, v in effect.items()
        ]
        header = ["model", "AUC weights", "AUC SMOTE", "PR-AUC weights", "PR-AUC SMOTE"]
        text += _table([*header, "Brier weights", "Brier SMOTE"], rows)
    return text


def render_report(data: dict[str, Any]) -> str:
    """The HTML report of one bundle from its metrics.json data."""
    metrics, ensemble = data["metrics"], data["metrics"]["ensemble"]
    dropped = ", ".join(data["features"]["dropped"]) or "none"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Model report {escape(data['version'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>Model bundle {escape(data['version'])}</h1>",
        f"<p class='note'>created {escape(data['created_at'])}; source {escape(data['source'])};"
        f" data fingerprint {escape(data['data_fingerprint'][:16])}...</p>",
        f"<p class='headline'>Ensemble test AUC <b>{ensemble['auc']:.4f}</b> (Gini"
        f" {ensemble['gini']:.3f}, KS {ensemble['ks']:.3f}); CV AUC"
        f" {_fmt(ensemble.get('cv_auc_mean'))} &plusmn; {_fmt(ensemble.get('cv_auc_std'))}</p>",
    ]
    oracle = data.get("oracle")
    if oracle:
        parts.append(
            f"<p class='headline'>Simulator oracle AUC on the same {oracle['rows']} test rows"
            f" <b>{oracle['oracle_auc']:.4f}</b>; gap to the ensemble {oracle['gap']:+.4f}</p>"
        )
    split = data["split"]
    parts += [
        "<h2>Data and split</h2>",
        _table(
            ["split", "rows", "as-of range"],
            [
                [part, split["rows"][part], " to ".join(split["periods"].get(part, [])) or "-"]
                for part in ("train", "validation", "test")
            ],
        ),
        f"<p class='note'>{escape(split['kind'].replace('_', '-'))} split."
        f" {escape(data['notes'])}</p>",
        "<h2>Per-model vs ensemble (test rows)</h2>",
        _models_table(metrics),
        _calibration(data["calibration"], data["weights"]),
        "<h2>Alerts and risk tiers</h2>",
        _alerts(data["alerts"]),
        _confusion(ensemble["at_threshold"], "Confusion matrix on test at the break-even floor"),
        _confusion(ensemble["at_operating_point"], "On test at the 85% validation recall point"),
        "<h3>Risk tiers (test rows)</h3>",
        "<p class='note'>medium from the higher of the base rate and the break-even floor, high"
        " from twice the base rate, critical from the capacity cut-off (the riskiest customers"
        " the team can work in a week).</p>",
        _table(
            ["tier", "from", "to", "test rows", "share", "default rate"],
            [
                [t["tier"], t["lower"], t["upper"], t["rows"], t["share"], t["default_rate"]]
                for t in data["tiers"]
            ],
        ),
        uplift_section(data.get("uplift")),
        "<h2>Curves</h2>",
        _charts(data["curves"]),
        "<h2>Global importance (mean |SHAP|, top 20)</h2>",
        bar_chart(
            [(r["feature"], r["mean_abs_shap"]) for r in data["shap_top20"]["ensemble"]],
            title="Ensemble (weighted mean |SHAP| in log-odds)",
        ),
        *_time_to_miss(data.get("time_to_miss")),
        "<h2>Class imbalance</h2>",
        _imbalance(data["imbalance"]),
        "<h2>Features</h2>",
        f"<p>{len(data['features']['kept'])} of {data['features']['input']} features kept;"
        f" pruned (near-zero importance): {escape(dropped)}."
        f" Values clipped at the training {data['features']['clip_percentiles']} percentiles."
        f"{_id_like(data['features'].get('id_like_left_out', []))}</p>",
        "<h2>Tuning (validation AUC per trial)</h2>",
        "<p>Kept: the trial cheapest to score (decisions per row: trees x depth) whose AUC is"
        " within <code>--parsimony-se</code> standard errors of the best (default 1: the"
        " one-standard-error rule; 0 keeps the best AUC).</p>",
    ]
    for name, trials in data["tuning"].items():
        rows = [
            [
                i + 1,
                t["validation_auc"],
                t["trees"],
                t.get("cost", ""),
                "kept" if t.get("chosen") else "",
                t["seconds"],
                str(t["params"]),
            ]
            for i, t in enumerate(trials)
        ]
        header = ["trial", "AUC", "trees", "decisions per row", "", "s", "params"]
        parts.append(f"<h3>{escape(name)}</h3>" + _table(header, rows))
    parts.append("<h2>Timings (s)</h2>")
    parts.append(_table(["stage", "seconds"], [[k, v] for k, v in data["timings"].items()]))
    parts.append("</body></html>")
    return "".join(parts)
