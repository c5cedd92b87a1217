"""The catalogue lock: `catalogue.lock.json` pins the definition of every feature, and their
order, to `CATALOGUE_VERSION`.

A bundle records the catalogue version its features were computed with, and scoring refuses a
bundle of another version; so a feature must not change while the version stays. A test
compares the lock with the code and fails when a definition (see `fingerprint.py`) changed
and the version did not. After bumping the version, refresh the lock (in a checkout):

    python -m pde.training.features.lock                 # after bumping CATALOGUE_VERSION
    python -m pde.training.features.lock --keep-version  # a change that alters no value or text
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pde.core.errors import PdeError
from pde.training.features.catalogue import CATALOGUE_VERSION, GROUPS
from pde.training.features.fingerprint import definition_fingerprints

LOCK_PATH = Path(__file__).resolve().with_name("catalogue.lock.json")
REFRESH = "python -m pde.training.features.lock"
SHOWN = 8


class LockError(PdeError):
    """The lock cannot be refreshed as asked."""


@dataclass(frozen=True)
class Lock:
    """A catalogue version and the fingerprint of each of its features, in catalogue order."""

    version: str
    features: dict[str, str]

    def to_json(self) -> str:
        body = {"catalogue_version": self.version, "refresh": REFRESH, "features": self.features}
        return json.dumps(body, indent=1) + "\n"


def read_lock(path: Path = LOCK_PATH) -> Lock:
    data = json.loads(path.read_text())
    return Lock(version=data["catalogue_version"], features=dict(data["features"]))


def changed_features(locked: Lock, current: Mapping[str, str]) -> list[str]:
    """Features added, removed, redefined or moved since the lock."""
    names = [*current, *(n for n in locked.features if n not in current)]
    changed = [n for n in names if locked.features.get(n) != current.get(n)]
    if not changed and list(locked.features) != list(current):
        changed = [a for a, b in zip(current, locked.features, strict=True) if a != b]
    return changed


def _listed(names: Sequence[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def lock_problems(locked: Lock, *, version: str, current: Mapping[str, str]) -> list[str]:
    """What is wrong between the lock and the code's catalogue (empty: they agree)."""
    if version != locked.version:
        return [
            f"CATALOGUE_VERSION is {version!r} but the lock pins {locked.version!r}: "
            f"refresh the lock with `{REFRESH}` and commit it"
        ]
    changed = changed_features(locked, current)
    if not changed:
        return []
    return [
        f"the definition of {len(changed)} feature(s) changed ({_listed(changed)}) but "
        f"CATALOGUE_VERSION is still {version!r}: bump CATALOGUE_VERSION in "
        f"training/features/catalogue.py, then refresh the lock with `{REFRESH}` and commit it"
    ]


def refresh(path: Path, *, version: str, current: dict[str, str], keep_version: bool) -> Lock:
    """Writes the lock for `current`; refuses a changed definition under the same version."""
    if path.exists() and not keep_version:
        locked = read_lock(path)
        changed = changed_features(locked, current)
        if locked.version == version and changed:
            raise LockError(
                f"{_listed(changed)} changed under catalogue version {version!r}: bump "
                "CATALOGUE_VERSION in training/features/catalogue.py first (or pass "
                "--keep-version when the change alters no value and no text)"
            )
    lock = Lock(version=version, features=current)
    path.write_text(lock.to_json())
    return lock


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REFRESH, description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--keep-version",
        action="store_true",
        help="lock a changed definition under the same version (it alters no value or text)",
    )
    args = parser.parse_args(argv)
    current = definition_fingerprints(GROUPS)
    try:
        lock = refresh(
            LOCK_PATH, version=CATALOGUE_VERSION, current=current, keep_version=args.keep_version
        )
    except LockError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(f"wrote {LOCK_PATH}: {lock.version}, {len(lock.features)} features\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
