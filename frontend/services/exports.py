"""Downloads of the app's tables and lists as CSV or Excel, in the user's scope, audited.

The tables are the app's lists (`list_exports`) and a customer's Deep Dive tables
(`customer_exports`), read by the same services the pages use, in the user's scope;
`access.export_refusal` decides who may download what. Every download is written to the
audit log (table, format, rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pde.db import audit
from pde.frontend.services import access
from pde.frontend.services.base import Services
from pde.frontend.services.customer_exports import CUSTOMER_TABLES
from pde.frontend.services.list_exports import TABLES
from pde.frontend.services.spreadsheets import to_csv, to_xlsx

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Download:
    filename: str
    mimetype: str
    body: bytes


def download(
    services: Services,
    user: access.SignedIn,
    name: str,
    fmt: str,
    *,
    customer_id: str | None = None,
) -> Download:
    """The table `name` as `fmt` (csv or xlsx) for the user, recorded in the audit log; a
    customer's table (CUSTOMER_TABLES) needs `customer_id`."""
    known = name in TABLES or name in CUSTOMER_TABLES
    access.refuse_if(access.export_refusal(user, name, known=known))
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: csv or xlsx")
    if name in CUSTOMER_TABLES:
        if not customer_id:
            raise ValueError(f"{name} is one customer's table: add ?id=CUSTOMER")
        table = CUSTOMER_TABLES[name](services, user, customer_id)
        name = f"{name}-{customer_id}"
    else:
        table = TABLES[name](services, user)
    body = to_csv(table) if fmt == "csv" else to_xlsx(table)
    with services.session() as session:
        audit.append(
            session,
            actor=user.username,
            action="export.download",
            entity_type="export",
            entity_id=name,
            before=None,
            after={"format": fmt, "rows": len(table.rows)},
        )
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Download(f"pde-{name}-{stamp}.{fmt}", FORMATS[fmt], body)
