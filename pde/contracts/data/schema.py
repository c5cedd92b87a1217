"""The canonical data schema: what a bank export (or the simulator, or an importer) provides.

A canonical data directory holds three tables, each as `<table>.parquet` or `<table>.csv`:
`customers`, `transactions` and `payments`. This module is the single definition of their
columns; `docs/data-schema.md` documents it and validation enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DType = Literal["string", "int", "float", "bool", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: DType
    description: str
    unit: str = ""
    required: bool = True  # the column must be present
    nullable: bool = False  # null values are allowed
    allowed: tuple[str, ...] = ()  # for strings: the closed set of values
    minimum: float | None = None  # for numbers: smallest allowed value


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns and its key (unique per row)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str
    time_column: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


SCHEMA_VERSION = "1.0"

INCOME_BRACKETS = ("low", "lower_middle", "middle", "upper_middle", "high")
EMPLOYMENT_TYPES = ("salaried", "self_employed", "contract", "retired", "unemployed", "student")
PRODUCTS = ("credit_card", "personal_loan", "mortgage", "overdraft", "auto_loan")

TRANSACTION_CATEGORIES = (
    "salary",
    "other_income",
    "transfer_in",
    "transfer_out",
    "savings_transfer",
    "atm_withdrawal",
    "gambling",
    "lending_app",
    "utility",
    "rent",
    "groceries",
    "card_purchase",
    "dining",
    "entertainment",
    "travel",
    "healthcare",
    "fuel",
    "loan_repayment",
    "fees",
    "other",
)
ESSENTIAL_CATEGORIES = ("utility", "rent", "groceries", "healthcare", "fuel", "loan_repayment")
DISCRETIONARY_CATEGORIES = ("card_purchase", "dining", "entertainment", "travel", "gambling")
CHANNELS = ("card", "atm", "online", "mobile", "branch", "direct_debit", "standing_order")

OBLIGATION_KINDS = ("loan", "card", "mortgage", "utility", "rent")
# Obligations whose missed payment defines the 30-day label; the others are behavioural signals.
CREDIT_KINDS = ("loan", "card", "mortgage")
AUTO_DEBIT_STATUSES = ("success", "failed")

CUSTOMERS = Table(
    name="customers",
    description="One row per customer: profile and exposure at the time of the export.",
    key=("customer_id",),
    columns=(
        Column("customer_id", "string", "Customer identifier, unique."),
        Column("open_date", "date", "Date the relationship began."),
        Column("birth_year", "int", "Year of birth.", minimum=1900),
        Column("income_bracket", "string", "Declared income bracket.", allowed=INCOME_BRACKETS),
        Column("employment_type", "string", "Employment type.", allowed=EMPLOYMENT_TYPES),
        Column("region", "string", "Region of residence (free text code)."),
        Column("product", "string", "Main credit product.", allowed=PRODUCTS),
        Column("credit_limit", "float", "Credit limit across products.", "currency", minimum=0),
        Column("outstanding_balance", "float", "Amount currently owed.", "currency", minimum=0),
        Column(
            "monthly_obligation", "float", "Contractual monthly repayment.", "currency", minimum=0
        ),
        Column(
            "declared_income",
            "float",
            "Declared monthly net income, if known.",
            "currency",
            required=False,
            nullable=True,
            minimum=0,
        ),
    ),
)

TRANSACTIONS = Table(
    name="transactions",
    description="Account activity: one row per posted transaction.",
    key=("transaction_id",),
    time_column="timestamp",
    columns=(
        Column("transaction_id", "string", "Transaction identifier, unique."),
        Column("customer_id", "string", "The customer (must exist in customers)."),
        Column("timestamp", "datetime", "Posting time (naive, bank's local time)."),
        Column("amount", "float", "Signed amount: credits positive, debits negative.", "currency"),
        Column(
            "category", "string", "Merchant / purpose category.", allowed=TRANSACTION_CATEGORIES
        ),
        Column("channel", "string", "Channel of the transaction.", allowed=CHANNELS),
        Column(
            "balance_after",
            "float",
            "Current-account balance after posting, if the export has it.",
            "currency",
            required=False,
            nullable=True,
        ),
    ),
)

PAYMENTS = Table(
    name="payments",
    description="Obligations: one row per instalment or bill due, with how it was paid.",
    key=("obligation_id",),
    time_column="due_date",
    columns=(
        Column("obligation_id", "string", "Instalment / bill identifier, unique."),
        Column("customer_id", "string", "The customer (must exist in customers)."),
        Column("kind", "string", "What is owed.", allowed=OBLIGATION_KINDS),
        Column("due_date", "date", "Date the amount is due."),
        Column("amount_due", "float", "Amount due.", "currency", minimum=0),
        Column("paid_date", "date", "Date paid; null while unpaid.", nullable=True),
        Column("amount_paid", "float", "Amount paid (0 while unpaid).", "currency", minimum=0),
        Column("auto_debit", "bool", "Collected by auto-debit."),
        Column(
            "auto_debit_status",
            "string",
            "Outcome of the auto-debit attempt; null when not auto-debited.",
            nullable=True,
            allowed=AUTO_DEBIT_STATUSES,
        ),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (CUSTOMERS, TRANSACTIONS, PAYMENTS)}

# The 30-day label, shared by the feature pipeline, the simulator's truth and the importers:
# for an as-of date t, the label is 1 when an obligation of a CREDIT_KINDS kind due in
# (t, t + LABEL_HORIZON_DAYS] is missed: unpaid, paid more than GRACE_DAYS after its due date,
# or paid less than MIN_PAID_FRACTION of the amount due. No such obligation: no label.
LABEL_HORIZON_DAYS = 30
GRACE_DAYS = 5
MIN_PAID_FRACTION = 0.5
