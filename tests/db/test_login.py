"""Sign-in with throttling per username and per client address, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from pde.db import login

KEY = "a session key of at least thirty-two chars"
POLICY = login.ThrottlePolicy(
    attempts_per_user=5, attempts_per_address=8, lockout=timedelta(minutes=15)
)


def attempt(db, username: str, password: str, address: str = "10.0.0.1") -> login.SignIn:
    with db.scope() as s:
        return login.sign_in(
            s, username=username, password=password, address=address, key=KEY, policy=POLICY
        )


def audit_actions(db) -> list[tuple[str, str]]:
    with db.scope() as s:
        rows = s.execute(sa.text("SELECT actor, action FROM action_audit_log ORDER BY id")).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_login_fifty_wrong_passwords_then_the_right_one_is_refused(
    staffed_db, password: str
) -> None:
    results = [attempt(staffed_db, "off1", f"guess {n}") for n in range(50)]
    assert all(r.user is None for r in results)
    assert [r.locked_until is None for r in results[:5]] == [True] * 5
    assert all(r.locked_until is not None for r in results[5:])
    right = attempt(staffed_db, "off1", password, address="10.9.9.9")  # another address too
    assert right.user is None and right.locked_until is not None
    actions = audit_actions(staffed_db)
    assert actions[:6] == [("anonymous", "user.sign_in_failed")] * 5 + [
        ("anonymous", "user.locked_out")
    ]
    assert actions.count(("anonymous", "user.sign_in_throttled")) == 46
    assert actions.count(("anonymous", "user.locked_out")) == 1


def test_login_lockout_ends_after_the_cool_off_and_success_resets(
    staffed_db, password: str
) -> None:
    for n in range(5):
        attempt(staffed_db, "off2", f"guess {n}")
    with staffed_db.scope() as s:
        s.execute(
            sa.text("UPDATE login_throttle SET locked_until = window_start WHERE key = 'user:off2'")
        )  # the cool-off is over
    ok = attempt(staffed_db, "off2", password)
    assert ok.user is not None and ok.token is not None
    with staffed_db.scope() as s:
        failures = s.execute(
            sa.text("SELECT failures FROM login_throttle WHERE key = 'user:off2'")
        ).scalar_one()
    assert failures == 0
    assert audit_actions(staffed_db)[-1] == ("off2", "user.sign_in")


def test_login_one_address_guessing_many_users_is_locked_out(staffed_db, password: str) -> None:
    for n in range(8):  # fewer than 5 per username, 8 from the address
        attempt(staffed_db, f"user{n % 4}", "wrong", address="10.6.6.6")
    assert attempt(staffed_db, "sup1", password, address="10.6.6.6").locked_until is not None
    assert attempt(staffed_db, "sup1", password, address="10.7.7.7").user is not None
