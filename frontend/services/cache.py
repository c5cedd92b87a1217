"""The app's cache of portfolio figures: in the process (the default), or in Redis when
PDE_REDIS_URL is set, so the worker processes of one app compute each figure once and share it.

Values are the services' own frozen dataclasses, pickled; keys are their `repr` (they hold the
scoring snapshot, so a new scoring run makes new keys). Redis being down never fails a page:
the figure is computed and the failure logged.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

LOCAL_ENTRIES = 256
PREFIX = "pde:cache:"
REDIS_TIMEOUT_S = 0.5
RETRY_AFTER_S = 30.0  # after a Redis failure, compute locally for this long before retrying


class Cache(Protocol):
    def get_or_compute(self, key: Any, compute: Callable[[], Any], *, ttl: float) -> Any: ...


Compute = Callable[[Any, Callable[[], Any]], Any]
"""What the read functions take: `cache(key, compute)` returns the value for `key`."""


def no_cache(key: Any, compute: Callable[[], Any]) -> Any:
    return compute()


class LocalCache:
    """A dict of (time, value), cleared when it grows past LOCAL_ENTRIES."""

    def __init__(self) -> None:
        self._entries: dict[Any, tuple[float, Any]] = {}

    def get_or_compute(self, key: Any, compute: Callable[[], Any], *, ttl: float) -> Any:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = compute()
        if len(self._entries) > LOCAL_ENTRIES:
            self._entries.clear()
        self._entries[key] = (now, value)
        return value


def redis_key(namespace: str, key: Any) -> str:
    return PREFIX + hashlib.sha256(repr((namespace, key)).encode()).hexdigest()


class RedisCache:
    """Figures shared by every process of the app through one Redis database. Concurrent
    misses of one key compute it once: the first takes a short lock, the others wait for it
    (at most the lock's life) and read the result."""

    def __init__(self, url: str, *, namespace: str, lock_s: float = 30.0) -> None:
        import redis

        self.namespace = namespace
        self._client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self._lock_s = lock_s
        self._down_until = 0.0
        self._local = LocalCache()
        self._guard = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Any, compute: Callable[[], Any], *, ttl: float) -> Any:
        if time.monotonic() < self._down_until:
            return self._local.get_or_compute(key, compute, ttl=ttl)
        name = redis_key(self.namespace, key)
        try:
            return self._shared(name, compute, ttl)
        except Exception as exc:  # any Redis error: compute here, retry Redis later
            log.warning("shared cache unavailable (%s): computing in the process", exc)
            with self._guard:
                self._down_until = time.monotonic() + RETRY_AFTER_S
            return self._local.get_or_compute(key, compute, ttl=ttl)

    def _shared(self, name: str, compute: Callable[[], Any], ttl: float) -> Any:
        found = self._client.get(name)
        if isinstance(found, bytes):  # pickled by this app's own processes only
            self.hits += 1
            return pickle.loads(found)
        lock = self._client.lock(
            name + ":lock", timeout=self._lock_s, blocking_timeout=self._lock_s
        )
        with lock:
            found = self._client.get(name)  # computed by another process while we waited
            if isinstance(found, bytes):
                self.hits += 1
                return pickle.loads(found)
            self.misses += 1
            value = compute()
            self._client.set(name, pickle.dumps(value), px=max(int(ttl * 1000), 1))
            return value


def make_cache(redis_url: str | None, *, namespace: str) -> Cache:
    """The in-process cache, or Redis's; `namespace` (the database's URL) keeps apart the
    figures of two apps over different databases that share one Redis."""
    return LocalCache() if not redis_url else RedisCache(redis_url, namespace=namespace)
