"""The closed list of standard reason codes a risk officer reads.

Every feature of the catalogue maps to exactly one of these codes
(`pde.training.features.reason_codes`); the code and its text travel with the bundle's
catalogue and with every reason the server returns. The list is reviewed as a whole: add a
code only with the review, never renumber one (stored decisions keep their codes).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# code -> plain text, as an officer reads it.
REASON_CODES: Final = MappingProxyType(
    {
        "R01": "Salary late or missing",
        "R02": "Income fell or became irregular",
        "R03": "Low or falling account balance",
        "R04": "Savings being drawn down",
        "R05": "Missed or late credit payments",
        "R06": "Failed automatic debits",
        "R07": "Late household bills",
        "R08": "High use of the credit limit",
        "R09": "Repayments heavy against income",
        "R10": "Spending high or rising against income",
        "R11": "More cash withdrawn",
        "R12": "Borrowing from lending apps",
        "R13": "Gambling activity",
        "R14": "Bank fees and charges",
        "R15": "More money going out than coming in",
        "R16": "Short or thin account history",
        "R17": "Several stress signals at once",
        "R18": "Change in spending habits",
        "R19": "Account and product profile",
    }
)


def reason_code_text(code: str) -> str:
    """The plain text of a standard code (KeyError for a code outside the list)."""
    return REASON_CODES[code]
