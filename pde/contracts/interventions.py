"""The intervention history contract: actions, 30-day outcomes and `interventions.parquet`.

A bank (or the simulator) exports one row per customer assigned to an arm on a date: an
action, or `none` (the control group, not contacted). The outcome is read 30 days later:
`cured` (no credit obligation due in the 30 days was missed), `missed`, or `no_response` (the
contact never reached the customer, and a payment was missed). The simulator also writes
`uplift_truth.parquet`, the true miss probability of every customer and weekly as-of date under
each arm; a bank has no such file, and nothing a bank would export reads it.
"""

from __future__ import annotations

from pde.contracts.data.schema import Column, Table

ACTIONS: tuple[str, ...] = (
    "soft_reminder",
    "agent_call",
    "payment_plan",
    "restructuring",
    "payment_holiday",
    "financial_counselling",
)
"""The interventions, cheapest contact first (the values of the database's intervention type)."""

CONTROL = "none"
"""The arm of the control group: assigned, never contacted."""

ARMS: tuple[str, ...] = (CONTROL, *ACTIONS)

SUPPORT_ACTIONS: tuple[str, ...] = ("financial_counselling", "payment_holiday")
"""The support path: what a customer showing vulnerability is offered before collections."""

OUTCOMES: tuple[str, ...] = ("cured", "missed", "no_response")
ASSIGNMENTS: tuple[str, ...] = ("random", "rule", "holdout", "policy")
"""How the arm was chosen: a random experiment, a fixed historical rule, the policy's random
holdout (`none`), or the recommender."""

INTERVENTIONS_FILE = "interventions.parquet"
UPLIFT_TRUTH_FILE = "uplift_truth.parquet"
SEGMENTS: tuple[str, ...] = ("organised", "income_shock", "gambling", "payday_lending")
"""The simulator's true state of a customer, which decides what works (truth only)."""

INTERVENTIONS = Table(
    name="interventions",
    description="One row per customer assigned to an arm on a date, with its 30-day outcome.",
    key=("intervention_id",),
    time_column="date",
    columns=(
        Column("intervention_id", "string", "Assignment identifier, unique."),
        Column("customer_id", "string", "The customer (must exist in customers)."),
        Column("date", "date", "Day the arm was assigned (the as-of date it was chosen on)."),
        Column("action", "string", "The action taken, or `none` (control).", allowed=ARMS),
        Column("assignment", "string", "How the arm was chosen.", allowed=ASSIGNMENTS),
        Column("reached", "bool", "The contact reached the customer (false for `none`)."),
        Column("outcome", "string", "30-day outcome.", allowed=OUTCOMES),
        Column("cost", "float", "Cost of the action (0 for `none`).", "currency", minimum=0),
    ),
)


def truth_column(arm: str) -> str:
    """The column of `uplift_truth.parquet` holding the miss probability under `arm`."""
    return f"p_{arm}"
