"""Words and amounts as people read them: one formatter for money (PDE_CURRENCY), durations
in days and hours, and labels for the engine's names ("personal_loan" -> "Personal loan")."""

from __future__ import annotations

# Names whose plain capitalisation would read wrong.
SPECIAL = {
    "sla": "SLA",
    "within sla": "Within SLA",
    "promise_to_pay": "Promise to pay",
    "no_response": "No response",
    "in_progress": "In progress",
    "user.sign_in": "Signed in",
    "user.sign_out": "Signed out",
}


def human(name: str | None) -> str:
    """An engine name as a label: underscores to spaces, first letter capital."""
    if not name:
        return ""
    text = str(name)
    special = SPECIAL.get(text.lower())
    if special is not None:
        return special
    text = text.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def money(value: float | None, currency: str = "€") -> str:
    """An amount with its currency, shortened past ten thousand (k, m, bn) so it never wraps:
    "€ 461.8 m", "-€ 1,250"."""
    if value is None:
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e9:
        text = f"{value / 1e9:,.2f} bn"
    elif value >= 1e6:
        text = f"{value / 1e6:,.1f} m"
    elif value >= 1e4:
        text = f"{value / 1e3:,.1f} k"
    else:
        text = f"{value:,.0f}"
    return f"{sign}{currency}\u00a0{text}".replace(" ", "\u00a0")


def duration(hours: float | None) -> str:
    """Hours as days and hours: "14 d 22 h", "5 h", "35 min"."""
    if hours is None:
        return "–"
    sign = "-" if hours < 0 else ""
    hours = abs(hours)
    if hours < 1:
        return f"{sign}{round(hours * 60)} min"
    days, rest = divmod(round(hours), 24)
    if not days:
        return f"{sign}{rest} h"
    return f"{sign}{days} d {rest} h" if rest else f"{sign}{days} d"
