"""Downloads in browser tests: a GET with the signed-in browser's session, CSV bodies as
rows, and the downloads the audit log recorded."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pde.db.engine import session_scope


def fetch(driver: Any, url: str) -> tuple[int, str, bytes]:
    """GETs `url` with the browser's cookies (the signed-in session): (status, type, body)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def exports_audited(engine: Engine, actor: str) -> list[str]:
    with session_scope(engine=engine) as session:
        return [
            str(e)
            for (e,) in session.execute(
                sa.text(
                    "SELECT entity_id FROM action_audit_log WHERE action = 'export.download'"
                    " AND actor = :a ORDER BY id"
                ),
                {"a": actor},
            )
        ]
