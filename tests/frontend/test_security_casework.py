"""Forged casework callbacks: an officer cannot change another officer's customer's contact
preferences, record a promise on their work or use the supervisors' bulk assignment."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.frontend.test_auth import _sign_in
from tests.frontend.test_security import _callback

OPEN = "('recommended', 'approved', 'assigned', 'in_progress')"


def _output(client: Any, result_id: str) -> str:
    """The callback's output string as the app declares it (duplicate outputs carry a hash)."""
    for dependency in client.get("/_dash-dependencies").get_json():
        if result_id in dependency["output"]:
            return str(dependency["output"])
    raise AssertionError(f"no callback writes {result_id}")


def _theirs(engine: Engine) -> tuple[str, int]:
    """A customer of off2's with open work, and that work's id."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT a.customer_id, i.id FROM customer_assignments a JOIN interventions i"
                f" ON i.customer_id = a.customer_id AND i.status IN {OPEN}"
                " WHERE a.officer = 'off2' AND a.ended_at IS NULL ORDER BY i.id LIMIT 1"
            )
        ).one()
    return str(row[0]), int(row[1])


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_security_casework_changes_refuse_another_officers_customer(
    dash_app: Any, portfolio: tuple[str, Engine]
) -> None:
    engine = portfolio[1]
    customer, work = _theirs(engine)
    client = dash_app.server.test_client()
    _sign_in(client, "off1")
    contacts, promises = _count(engine, "contact_preferences"), _count(engine, "promises_to_pay")

    output = _output(client, "dd-contact-result")
    refresh = output.split("...")[1].rstrip(".")
    saved = _callback(
        client,
        output,
        [("dd-contact-result", "children"), (refresh.rsplit(".", 1)[0], "data")],
        [{"id": "dd-contact-save", "property": "n_clicks", "value": 1}],
        [
            {"id": "dd-search", "property": "value", "value": customer},
            {"id": "dd-contact-channel", "property": "value", "value": "sms"},
            {"id": "dd-contact-time", "property": "value", "value": "any"},
            {"id": "dd-contact-flags", "property": "value", "value": ["do_not_contact"]},
            {"id": "dd-contact-note", "property": "value", "value": "forged"},
            {"id": "dd-refresh", "property": "data", "value": 0},
        ],
    )
    assert saved.status_code == 200
    assert f"customer {customer} is not assigned to you" in str(saved.get_json())

    output = _output(client, "dd-promise-result")
    refresh = output.split("...")[1].rstrip(".")
    promised = _callback(
        client,
        output,
        [("dd-promise-result", "children"), (refresh.rsplit(".", 1)[0], "data")],
        [{"id": "dd-promise-save", "property": "n_clicks", "value": 1}],
        [
            {"id": "dd-promise-work", "property": "value", "value": str(work)},
            {"id": "dd-promise-date", "property": "value", "value": "2099-01-01"},
            {"id": "dd-promise-amount", "property": "value", "value": 10},
            {"id": "dd-refresh", "property": "data", "value": 0},
        ],
    )
    assert promised.status_code == 200
    assert "is not yours" in str(promised.get_json())

    assigned = _callback(
        client,
        "..tm-result.children...tm-refresh.data..",
        [("tm-result", "children"), ("tm-refresh", "data")],
        [{"id": "tm-assign", "property": "n_clicks", "value": 1}],
        [
            {"id": "tm-select", "property": "value", "value": [customer]},
            {"id": "tm-refresh", "property": "data", "value": 0},
        ],
    )
    assert assigned.status_code == 200
    assert "your role does not allow you to assign customers" in str(assigned.get_json())
    assert _count(engine, "contact_preferences") == contacts
    assert _count(engine, "promises_to_pay") == promises
    with engine.connect() as connection:
        owner = connection.execute(
            sa.text(
                "SELECT officer FROM customer_assignments WHERE customer_id = :c"
                " AND ended_at IS NULL"
            ),
            {"c": customer},
        ).scalar_one()
    assert owner == "off2"
