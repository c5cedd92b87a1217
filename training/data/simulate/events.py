"""Transactions under construction: flat numpy arrays, one element per posted transaction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pde.contracts.data.schema import CHANNELS, TRANSACTION_CATEGORIES

CATEGORY = {name: i for i, name in enumerate(TRANSACTION_CATEGORIES)}
CHANNEL = {name: i for i, name in enumerate(CHANNELS)}


@dataclass
class Events:
    """Transactions of one chunk: customer index, day, second of day, signed amount, codes."""

    customer: np.ndarray
    day: np.ndarray
    second: np.ndarray
    amount: np.ndarray
    category: np.ndarray
    channel: np.ndarray

    @classmethod
    def make(
        cls,
        rng: np.random.Generator,
        *,
        customer: np.ndarray,
        day: np.ndarray,
        amount: np.ndarray,
        category: str,
        channels: tuple[str, ...],
        hours: tuple[int, int] = (8, 22),
    ) -> Events:
        """Events of one category at random times within `hours`, on one of `channels`."""
        size = customer.shape[0]
        codes = np.array([CHANNEL[c] for c in channels], dtype=np.int8)
        return cls(
            customer=customer.astype(np.int32),
            day=day.astype(np.int32),
            second=np.asarray(
                rng.integers(hours[0] * 3600, hours[1] * 3600, size=size, dtype=np.int32)
            ),
            amount=np.round(amount, 2),
            category=np.full(size, CATEGORY[category], dtype=np.int8),
            channel=codes[rng.integers(0, len(codes), size=size)],
        )

    def take(self, rows: np.ndarray) -> Events:
        """The events `rows` (a mask or indices)."""
        return Events(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )


def poisson_days(rng: np.random.Generator, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day) of events drawn from a Poisson process with daily `rate` (n, days)."""
    counts = rng.poisson(rate)
    customer, day = np.nonzero(counts)
    repeats = counts[customer, day]
    return np.repeat(customer, repeats), np.repeat(day, repeats)


def lognormal(
    rng: np.random.Generator, scale: np.ndarray, sigma: float, size: int | None = None
) -> np.ndarray:
    """Lognormal amounts with median `scale`."""
    n = scale.shape[0] if size is None else size
    return np.asarray(scale * np.exp(sigma * rng.standard_normal(n)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))
