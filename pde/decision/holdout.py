"""The policy's random holdout: customers it would contact but leaves alone, so that the
effect of every action stays measurable against an untouched control group.

Membership is a pure function of the customer id and the ISO week: the same customer is held
out (or not) all week, whichever process asks, and a new draw is made each week.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

import numpy as np
import numpy.typing as npt


def holdout_draw(customer_id: str, week_of: date) -> float:
    """A uniform number in [0, 1) fixed by the customer and the ISO week of `week_of`."""
    year, week, _ = week_of.isocalendar()
    key = f"{customer_id}|{year:04d}-W{week:02d}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / float(1 << 64)


def held_out(customer_ids: Iterable[str], week_of: date, *, share: float) -> npt.NDArray[np.bool_]:
    """Per customer: True when held out this week (a share `share` of customers)."""
    if not 0.0 <= share < 1.0:
        raise ValueError("holdout share must be in [0, 1)")
    return np.array([holdout_draw(c, week_of) < share for c in customer_ids], dtype=bool)
