"""The Action Center's priority queue: its columns and its rows as the table shows them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pde.frontend.components import money, pct, when
from pde.frontend.services.queue import AlertSummary, QueuePage, QueueRow
from pde.frontend.services.recommendations import effect_text

COLUMNS = [
    ("link", "Customer"),
    ("probability_pct", "Risk"),
    ("tier", "tier"),
    ("miss_7d_pct", "Miss in 7 days"),
    ("delta_pct", "Change"),
    ("exposure", "Exposure"),
    ("product", "Product"),
    ("action_label", "Recommended action"),
    ("effect_fmt", "Expected effect"),
    ("net_fmt", "Net benefit"),
    ("why", "Why"),
    ("flags", "Flags"),
    ("cost_fmt", "Cost"),
    ("cool_down", "Cool-down"),
    ("open_work_fmt", "Open work"),
]


def _effect(row: QueueRow) -> str:
    text = effect_text(row.expected_effect)
    return f"{text} (prior)" if text and row.effect_basis == "prior" else text


def _flags(row: QueueRow) -> str:
    flags = ["potentially vulnerable"] if row.vulnerable else []
    if row.held_out:
        flags.append("held out (control)")
    return ", ".join(flags)


def queue_rows(page: QueuePage) -> list[dict[str, Any]]:
    """The table's rows; each keeps every field (the impact simulation reads them back)."""
    return [
        {
            **asdict(r),
            "link": f"[{r.customer_id}](/customer?id={r.customer_id})",
            "probability_pct": pct(r.probability),
            "miss_7d_pct": "" if r.miss_within_7d is None else pct(r.miss_within_7d),
            "delta_pct": f"{r.delta * 100:+.1f} pts",
            "exposure": money(r.outstanding_balance),
            "effect_fmt": _effect(r),
            "net_fmt": "" if r.net_benefit is None else money(r.net_benefit),
            "flags": _flags(r),
            "cost_fmt": money(r.cost) if r.action else "",
            "open_work_fmt": "yes" if r.open_work else "",
        }
        for r in page.rows
    ]


def snapshot_note(page: QueuePage) -> str:
    snapshot = page.snapshot
    assert snapshot is not None
    return (
        f"Scores as of {when(snapshot.as_of)}, model {snapshot.model_version};"
        f" {page.total:,} customers in this tier."
    )


def alerts_line(summary: AlertSummary) -> str:
    used = summary.alerts / summary.capacity if summary.capacity else None
    return (
        f"Latest scoring run ({when(summary.snapshot.as_of)}): {summary.alerts:,} alerts"
        f" within a capacity of {summary.capacity:,} ({pct(used)} of capacity used),"
        " whole portfolio."
    )
