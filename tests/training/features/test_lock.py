"""The catalogue lock: a feature's definition cannot change without a catalogue version bump."""

from dataclasses import replace
from pathlib import Path

import pytest

from pde.training.features import balance, derived, salary
from pde.training.features.catalogue import CATALOGUE_VERSION, FEATURE_NAMES, GROUPS
from pde.training.features.fingerprint import code_digest, definition_fingerprints, module_source
from pde.training.features.lock import (
    LOCK_PATH,
    REFRESH,
    Lock,
    LockError,
    changed_features,
    lock_problems,
    read_lock,
    refresh,
)
from pde.training.features.spec import FeatureGroup


def _names(*groups: FeatureGroup) -> set[str]:
    return {spec.name for group in groups for spec in group.features}


def _edited(module: str, old: str, new: str) -> dict[str, str]:
    """Fingerprints of the catalogue with `old` replaced by `new` in one module's code."""
    source = module_source(module)
    assert old in source
    edited = source.replace(old, new)
    return definition_fingerprints(
        GROUPS, read=lambda name: edited if name == module else module_source(name)
    )


@pytest.fixture(scope="module")
def locked() -> Lock:
    """A lock of the code as it is."""
    return Lock(CATALOGUE_VERSION, definition_fingerprints(GROUPS))


def test_lock_matches_the_catalogue() -> None:
    """The committed lock pins the code's catalogue: this fails when a feature changes."""
    committed = read_lock(LOCK_PATH)
    current = definition_fingerprints(GROUPS)
    problems = lock_problems(committed, version=CATALOGUE_VERSION, current=current)
    assert not problems, "\n".join(problems)
    assert list(committed.features) == list(FEATURE_NAMES)
    assert LOCK_PATH.read_text() == committed.to_json()


def test_lock_fails_when_a_window_changes_under_the_same_version(locked: Lock) -> None:
    groups = tuple(
        replace(
            group,
            features=tuple(
                replace(spec, window="lookback") if spec.name == "balance_change_30d" else spec
                for spec in group.features
            ),
        )
        for group in GROUPS
    )
    current = definition_fingerprints(groups)
    assert changed_features(locked, current) == ["balance_change_30d"]
    (problem,) = lock_problems(locked, version=CATALOGUE_VERSION, current=current)
    assert "balance_change_30d" in problem
    assert "bump CATALOGUE_VERSION" in problem and REFRESH in problem


def test_lock_fails_when_a_computation_changes(locked: Lock) -> None:
    current = _edited("pde.training.features.balance", "NEAR_ZERO = 100.0", "NEAR_ZERO = 50.0")
    changed = changed_features(locked, current)
    assert set(changed) == _names(balance.BALANCE_ENTRIES, balance.SAVINGS_ENTRIES)
    (problem,) = lock_problems(locked, version=CATALOGUE_VERSION, current=current)
    assert "balance_days_near_zero" in problem


def test_lock_follows_the_code_a_module_imports(locked: Lock) -> None:
    """Derived features read salary's OTHER_INCOME: changing it changes them too."""
    current = _edited(
        "pde.training.features.salary", '("other_income", "transfer_in")', '("other_income",)'
    )
    changed = set(changed_features(locked, current))
    assert _names(salary.ENTRIES, derived.ENTRIES) <= changed
    assert "recent_atm" not in changed


def test_lock_ignores_comments_docstrings_and_layout() -> None:
    source = module_source("pde.training.features.cash")
    laid_out = source.replace(
        "PRE_SALARY_DAYS = 7.0", "# a week before payday\nPRE_SALARY_DAYS = (\n    7.0\n)\n"
    ).replace('"""Cash features:', '"""Features of cash:')
    assert laid_out != source
    assert code_digest(laid_out) == code_digest(source)
    # the entries a module declares count as entries (their own features), not as its code
    entry = '("atm_count", "ATM withdrawals", "count", LB,'
    assert entry in source
    assert code_digest(source.replace(entry, entry.replace("LB", "D30"))) == code_digest(source)
    assert code_digest(source.replace("PRE_SALARY_DAYS = 7.0", "PRE_SALARY_DAYS = 6.0")) != (
        code_digest(source)
    )


def test_lock_notices_a_new_order(locked: Lock) -> None:
    reordered = dict(reversed(locked.features.items()))
    assert changed_features(locked, reordered)
    assert lock_problems(locked, version=CATALOGUE_VERSION, current=reordered)


def test_lock_asks_for_a_refresh_after_a_bump(locked: Lock) -> None:
    (problem,) = lock_problems(locked, version="pde-features-v999", current=locked.features)
    assert "refresh the lock" in problem and REFRESH in problem


def test_lock_refresh_refuses_a_changed_definition_without_a_bump(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.lock.json"
    refresh(path, version="v1", current={"a": "1", "b": "2"}, keep_version=False)
    with pytest.raises(LockError, match="bump CATALOGUE_VERSION"):
        refresh(path, version="v1", current={"a": "1", "b": "3"}, keep_version=False)
    assert read_lock(path) == Lock("v1", {"a": "1", "b": "2"})
    refresh(path, version="v2", current={"a": "1", "b": "3"}, keep_version=False)
    assert read_lock(path) == Lock("v2", {"a": "1", "b": "3"})
    refresh(path, version="v2", current={"a": "0", "b": "3"}, keep_version=True)
    assert read_lock(path) == Lock("v2", {"a": "0", "b": "3"})


def test_lock_parses_again_after_the_cpython_ast_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """CPython 3.11's AST converter can fail spuriously when threads overlap (a SystemError
    about its recursion depth): the parse is tried again; other SystemErrors still raise."""
    import ast

    from pde.training.features import fingerprint

    real, failures = ast.parse, ["AST constructor recursion depth mismatch (before=117, after=50)"]

    def flaky(source: str) -> ast.Module:
        if failures:
            raise SystemError(failures.pop())
        return real(source)

    monkeypatch.setattr(fingerprint.ast, "parse", flaky)
    assert isinstance(fingerprint._parse("x = 1"), ast.Module)
    failures.append("something else")
    with pytest.raises(SystemError, match="something else"):
        fingerprint._parse("x = 1")
