"""The app's lists as downloadable tables, in the user's scope: read by the same services the
pages use (an officer's queue, work list and feeds hold only their customers and work).
`pde.frontend.services.exports` serves them as CSV or Excel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pde.frontend.services import access, labels
from pde.frontend.services import jobs as job_service
from pde.frontend.services import models as model_service
from pde.frontend.services import monitor as monitor_service
from pde.frontend.services import portfolio as portfolio_service
from pde.frontend.services import queue as queue_service
from pde.frontend.services import users as user_service
from pde.frontend.services import work as work_service
from pde.frontend.services.base import Services
from pde.frontend.services.catalogue import OPEN_STATUS_NAMES
from pde.frontend.services.portfolio_kpis import SEGMENT_DIMENSIONS
from pde.frontend.services.spreadsheets import Table

EXPORT_ROWS = 100_000  # a download holds at most this many rows
ALL_STATUSES = (*OPEN_STATUS_NAMES, "completed", "cancelled")


def _queue(services: Services, user: access.SignedIn) -> Table:
    rows = []
    for urgency in queue_service.URGENCIES:
        found = queue_service.queue_page(
            services, user, urgency=urgency, page=0, page_size=EXPORT_ROWS
        )
        rows += [
            {
                "customer_id": r.customer_id,
                "urgency": labels.human(r.urgency),
                "probability": round(r.probability, 4),
                "tier": labels.human(r.tier),
                "change": round(r.delta, 4),
                "exposure": round(r.outstanding_balance, 2),
                "product": labels.human(r.product),
                "region": labels.human(r.region),
                "action": r.action_label,
                "expected_effect": _rounded(r.expected_effect, 4),
                "net_benefit": _rounded(r.net_benefit, 2),
                "why": r.why,
                "vulnerable": "yes" if r.vulnerable else "no",
                "held_out": "yes" if r.held_out else "no",
            }
            for r in found.rows
        ]
    columns = (
        ("customer_id", "Customer"),
        ("urgency", "Urgency"),
        ("probability", "Risk"),
        ("tier", "Tier"),
        ("change", "Change since last score"),
        ("exposure", "Exposure"),
        ("product", "Product"),
        ("region", "Region"),
        ("action", "Recommended action"),
        ("expected_effect", "Expected fall in miss probability"),
        ("net_benefit", "Net benefit"),
        ("why", "Why"),
        ("vulnerable", "Potentially vulnerable"),
        ("held_out", "Held out (control group)"),
    )
    return Table("Action Center queue", columns, rows)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _interventions(services: Services, user: access.SignedIn) -> Table:
    found = work_service.work_page(
        services, user, page=0, page_size=EXPORT_ROWS, statuses=ALL_STATUSES
    )
    rows = [
        {
            "id": r.id,
            "customer_id": r.customer_id,
            "type": labels.human(r.type),
            "priority": labels.human(r.priority),
            "status": labels.human(r.status),
            "created_by": r.created_by,
            "assigned_to": r.assigned_to or "",
            "sla_due_at": r.sla_due_at,
            "sla": labels.human(r.sla),
            "age": labels.duration(r.age_hours),
        }
        for r in found.rows
    ]
    columns = (
        ("id", "Intervention"),
        ("customer_id", "Customer"),
        ("type", "Type"),
        ("priority", "Priority"),
        ("status", "Status"),
        ("created_by", "Created by"),
        ("assigned_to", "Assigned to"),
        ("sla_due_at", "SLA due (UTC)"),
        ("sla", "SLA"),
        ("age", "Age"),
    )
    return Table("Interventions", columns, rows)


def _rising(services: Services, user: access.SignedIn) -> Table:
    found = portfolio_service.overview(services, user, None, "product")
    rows = [
        {
            "customer_id": r.customer_id,
            "probability": round(r.probability, 4),
            "tier": labels.human(r.tier),
            "delta": round(r.delta, 4),
            "product": labels.human(r.product),
        }
        for r in found.rising
    ]
    columns = (
        ("customer_id", "Customer"),
        ("probability", "Risk"),
        ("tier", "Tier"),
        ("delta", "Rise since last score"),
        ("product", "Product"),
    )
    return Table("Rising risk", columns, rows)


def _segments(services: Services, user: access.SignedIn) -> Table:
    rows: list[dict[str, Any]] = []
    for dimension, name in SEGMENT_DIMENSIONS.items():
        found = portfolio_service.overview(services, user, None, dimension)
        rows += [
            {
                "dimension": name,
                "segment": labels.human(s.segment),
                "customers": s.customers,
                "mean_risk": round(s.mean_risk, 4),
                "high_risk": s.high_risk,
            }
            for s in found.segments
        ]
    columns = (
        ("dimension", "Dimension"),
        ("segment", "Segment"),
        ("customers", "Customers"),
        ("mean_risk", "Mean risk"),
        ("high_risk", "High-risk customers"),
    )
    return Table("Risk by segment", columns, rows)


def _monitor(services: Services, user: access.SignedIn) -> Table:
    feed = monitor_service.feed(services, user)
    rows = [
        {
            "scored_at": c.scored_at,
            "customer_id": c.customer_id,
            "probability": round(c.probability, 4),
            "previous": "" if c.previous is None else round(c.previous, 4),
            "tier": labels.human(c.tier),
            "alert": "yes" if c.alert else "no",
        }
        for c in feed.changes
    ]
    columns = (
        ("scored_at", "Scored at (UTC)"),
        ("customer_id", "Customer"),
        ("probability", "Risk"),
        ("previous", "Previous risk"),
        ("tier", "Tier"),
        ("alert", "Alert"),
    )
    return Table("Latest score changes", columns, rows)


def _activity(services: Services, user: access.SignedIn) -> Table:
    feed = monitor_service.feed(services, user)
    rows = [
        {
            "occurred_at": a.occurred_at,
            "actor": a.actor,
            "action": labels.human(a.action),
            "entity": f"{labels.human(a.entity_type)} {a.entity_id}",
        }
        for a in feed.activity
    ]
    columns = (
        ("occurred_at", "When (UTC)"),
        ("actor", "Who"),
        ("action", "Action"),
        ("entity", "On"),
    )
    return Table("Activity", columns, rows)


def _users(services: Services, user: access.SignedIn) -> Table:
    rows = [
        {
            "username": u.username,
            "full_name": u.full_name,
            "role": labels.human(u.role),
            "active": "yes" if u.is_active else "no",
            "last_login_at": u.last_login_at or "",
        }
        for u in user_service.list_users(services, user)
    ]
    columns = (
        ("username", "Username"),
        ("full_name", "Name"),
        ("role", "Role"),
        ("active", "Active"),
        ("last_login_at", "Last sign-in (UTC)"),
    )
    return Table("Users", columns, rows)


def _drivers(services: Services, user: access.SignedIn) -> Table:
    found = portfolio_service.overview(services, user, None, "product")
    rows = [{"driver": labels.human(name), "customers": n} for name, n in found.drivers]
    columns = (("driver", "Risk driver"), ("customers", "High-risk customers citing it"))
    return Table("Top risk drivers", columns, rows)


def _jobs(services: Services, user: access.SignedIn) -> Table:
    rows = [
        {
            "id": j.job_id,
            "title": j.title,
            "state": labels.human(j.state),
            "started_by": j.started_by,
            "duration": "" if j.duration_s is None else labels.duration(j.duration_s / 3600),
            "error": j.error or "",
        }
        for j in job_service.recent_jobs(services, user, limit=100)
    ]
    columns = (
        ("id", "Job"),
        ("title", "What"),
        ("state", "State"),
        ("started_by", "Started by"),
        ("duration", "Took"),
        ("error", "Error"),
    )
    return Table("Jobs", columns, rows)


def _model_tiers(services: Services, user: access.SignedIn) -> Table:
    access.require(access.can_read_model_report(user), "read the model's figures")
    bundle = model_service.load_bundle(services.settings.model_dir)
    rows = [
        {
            "tier": labels.human(t.tier),
            "lower": t.lower,
            "share": "" if t.share is None else round(t.share, 4),
            "default_rate": "" if t.default_rate is None else round(t.default_rate, 4),
        }
        for t in model_service.policy_view(bundle).tiers
    ]
    columns = (
        ("tier", "Tier"),
        ("lower", "From probability"),
        ("share", "Share of held-out rows"),
        ("default_rate", "Observed default rate"),
    )
    return Table(f"Risk tiers of {bundle.version}", columns, rows)


TABLES: Mapping[str, Callable[[Services, access.SignedIn], Table]] = {
    "drivers": _drivers,
    "jobs": _jobs,
    "model-tiers": _model_tiers,
    "queue": _queue,
    "interventions": _interventions,
    "rising": _rising,
    "segments": _segments,
    "score-changes": _monitor,
    "activity": _activity,
    "users": _users,
}
