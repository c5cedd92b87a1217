"""Sign-in with throttling per username and per client address, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from pde.db import login

KEY = "a session key of at least thirty-two chars"
POLICY = login.ThrottlePolicy(
    attempts_per_user=5, attempts_per_address=8, lockout=timedelta(minutes=15)
)


def attempt(db, username: str, password: str, address: str = "10.0.0.1") -> login.SignIn:
    return login.sign_in(
        db.scope, username=username, password=password, address=address, key=KEY, policy=POLICY
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


def _in_parallel(calls: list[tuple[str, str]], db, address: str) -> list[login.SignIn]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(attempt, db, user, secret, address) for user, secret in calls]
        return [f.result() for f in futures]


def test_login_parallel_sign_ins_from_one_address_all_succeed(staffed_db, password: str) -> None:
    """The password checks run outside the counters' locks: twelve people behind one address
    signing in at once all get in (none waits out the others' checks under a lock)."""
    results = _in_parallel([("off1", password)] * 12, staffed_db, "10.3.3.3")
    assert all(r.user is not None and r.token is not None for r in results)
    assert len({r.token for r in results}) == 12
    assert audit_actions(staffed_db).count(("off1", "user.sign_in")) == 12


def test_login_parallel_guesses_are_counted_one_by_one(staffed_db, password: str) -> None:
    """Twenty parallel wrong guesses: their outcomes are decided under the counters' locks, so
    exactly five count, the username is locked once and the other fifteen are refused; the
    right password after them is refused too."""
    results = _in_parallel([("off2", f"guess {n}") for n in range(20)], staffed_db, "10.4.4.4")
    assert all(r.user is None for r in results)
    actions = audit_actions(staffed_db)
    assert actions.count(("anonymous", "user.sign_in_failed")) == 5
    assert actions.count(("anonymous", "user.locked_out")) == 1
    assert actions.count(("anonymous", "user.sign_in_throttled")) == 15
    assert sum(r.locked_until is not None for r in results) == 15
    assert attempt(staffed_db, "off2", password, address="10.5.5.5").locked_until is not None


def test_login_a_password_changed_during_the_check_is_refused(staffed_db, password: str) -> None:
    """The check ran against the hash read first; if the password changed before the outcome
    is decided, the old password does not sign in."""
    from pde.db import users

    with staffed_db.scope() as s:
        check = users.check_password(users.active_password_hash(s, username="off1"), password)
    assert check.matched_hash is not None
    with staffed_db.scope() as s:
        s.execute(sa.text("UPDATE users SET password_hash = 'changed' WHERE username = 'off1'"))
    with staffed_db.scope() as s:
        assert users.complete_sign_in(s, username="off1", check=check) is None
