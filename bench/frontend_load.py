"""`pde bench frontend --users N`: N people using the app at once, over HTTP.

Starts `pde frontend --workers W` (gunicorn) on a seeded SQLite portfolio, with the workers'
cache in Redis when a URL is given, and drives it with N threads, each one person with their
own session: sign in through the form, then walk the pages they may open, as the browser
does: a page load is the page's HTML plus its content (the pages callback); then every
callback that fires when the page loads, called with the values of the layout it was given.
Between pages a person pauses (`think` seconds, +-50%). Prints p50/p95/max of page loads and
callbacks, errors, and the requests per second.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any

from pde.frontend.seed import DEFAULT_PASSWORD, USERS

PAGES = {
    "officer": ["/", "/overview", "/monitor", "/interventions", "/model", "/customer"],
    "supervisor": ["/", "/overview", "/monitor", "/interventions", "/model", "/customer"],
    "admin": ["/", "/overview", "/interventions", "/model", "/admin/data"],
}
PAGES_OUTPUT = "_pages_content"
CALLBACK_BUDGET_S = 1.0
PAGE_BUDGET_S = 1.5


@dataclass
class Results:
    pages: list[float] = field(default_factory=list)
    callbacks: list[float] = field(default_factory=list)
    sign_ins: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_callback: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            getattr(self, kind).append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(round(q * (len(ordered) - 1)), len(ordered) - 1)]


def _outputs(spec: str) -> list[dict[str, str]] | dict[str, str]:
    if spec.startswith(".."):
        parts = spec.strip(".").split("...")
        return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    ident, prop = spec.rsplit(".", 1)
    return {"id": ident, "property": prop}


def _props_by_id(tree: Any, found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    if isinstance(tree, list):
        for item in tree:
            _props_by_id(item, found)
    elif isinstance(tree, dict) and "props" in tree:
        props = tree["props"]
        if isinstance(props.get("id"), str):
            found[props["id"]] = props
        for value in props.values():
            if isinstance(value, list | dict):
                _props_by_id(value, found)
    return found


class Person:
    """One user's browser: cookies, the CSRF token, and timed requests."""

    def __init__(self, base: str, username: str, results: Results) -> None:
        self.base, self.username, self.results = base, username, results
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")

    def request(self, path: str, body: Any = None, *, form: dict[str, str] | None = None) -> bytes:
        data, headers = None, {"X-CSRFToken": self.cookie("_csrf_token")}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(request, timeout=60) as response:
            payload: bytes = response.read()
            return payload

    def sign_in(self) -> None:
        start = time.perf_counter()
        page = self.request("/login").decode()
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        token = match.group(1) if match else ""
        form = {"username": self.username, "password": DEFAULT_PASSWORD, "csrf_token": token}
        self.request("/login", form=form)
        if not self.cookie("pde_session"):
            raise RuntimeError(f"{self.username} could not sign in")
        self.results.add("sign_ins", time.perf_counter() - start)

    def call(self, dep: dict[str, Any], inputs: list[Any], state: list[Any]) -> Any:
        body = {
            "output": dep["output"],
            "outputs": _outputs(dep["output"]),
            "inputs": inputs,
            "state": state,
            "changedPropIds": [],
        }
        return json.loads(self.request("/_dash-update-component", body) or b"{}")

    def open_page(self, path: str, deps: list[dict[str, Any]]) -> None:
        pages_dep = next(d for d in deps if PAGES_OUTPUT in d["output"])
        start = time.perf_counter()
        self.request(path)
        location = [
            {
                "id": i["id"],
                "property": i["property"],
                "value": path if "path" in i["property"] else None,
            }
            for i in pages_dep["inputs"]
        ]
        state = [
            {"id": s["id"], "property": s["property"], "value": ""} for s in pages_dep["state"]
        ]
        answer = self.call(pages_dep, location, state)
        self.results.add("pages", time.perf_counter() - start)
        layout = answer.get("response", {}).get(PAGES_OUTPUT, {}).get("children")
        props = _props_by_id(layout, {})
        for dep in deps:
            if (
                dep is pages_dep
                or dep.get("prevent_initial_call")
                or dep.get("clientside_function")
                or "{" in dep["output"]  # pattern-matching outputs: the browser resolves them
            ):
                continue
            names = [i["id"] for i in dep["inputs"]]
            if not names or not all(n in props for n in names):
                continue
            inputs = [
                {
                    "id": i["id"],
                    "property": i["property"],
                    "value": props[i["id"]].get(i["property"]),
                }
                for i in dep["inputs"]
            ]
            states = [
                {
                    "id": s["id"],
                    "property": s["property"],
                    "value": props.get(s["id"], {}).get(s["property"]),
                }
                for s in dep["state"]
            ]
            begun = time.perf_counter()
            try:
                self.call(dep, inputs, states)
            except urllib.error.HTTPError as exc:
                if exc.code != 204:  # 204: the callback prevented its update
                    self.results.error(f"{dep['output']}: HTTP {exc.code}")
                    continue
            took = time.perf_counter() - begun
            self.results.add("callbacks", took)
            with self.results.lock:
                name = dep["output"].strip(".").split("...")[0]
                self.results.by_callback.setdefault(name, []).append(took)


def _walk(
    person: Person, rounds: int, think: float, seed: int, signed_in: threading.Barrier
) -> None:
    """Signs in (everyone at once, from the one client address, as an office does at nine),
    waits until everyone has, then walks the pages in a random order, `rounds` times."""
    rng = random.Random(seed)
    results, username = person.results, person.username
    role = next(u.role.value for u in USERS if u.username == username)
    try:
        person.sign_in()
    except (urllib.error.URLError, OSError, ValueError, RuntimeError) as exc:
        results.error(f"{username}: {exc}")
        signed_in.abort()
        return
    try:
        signed_in.wait()
        time.sleep(rng.uniform(0, think))  # people do not all click in the same instant
        deps = json.loads(person.request("/_dash-dependencies"))
        person.request("/_dash-layout")
        for _ in range(rounds):
            for path in rng.sample(PAGES[role], len(PAGES[role])):
                try:
                    person.open_page(path, deps)
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    results.error(f"{username} {path}: {exc}")
                time.sleep(think * rng.uniform(0.5, 1.5))
    except (urllib.error.URLError, OSError, ValueError, threading.BrokenBarrierError) as exc:
        results.error(f"{username}: {exc!r}")


def drive(
    base: str, *, users: int, rounds: int, think: float, cpu: Callable[[], float]
) -> tuple[Results, float, float]:
    """N people at once; returns their results, the wall time of the walks and the app's
    CPU seconds in them (`cpu()` read before and after)."""
    results = Results()
    names = [u.username for u in USERS]
    signed_in = threading.Barrier(users + 1)
    threads = [
        threading.Thread(
            target=_walk,
            args=(Person(base, names[i % len(names)], results), rounds, think, i, signed_in),
            daemon=True,
        )
        for i in range(users)
    ]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a failed sign-in: reported
        signed_in.wait()
    start, used = time.perf_counter(), cpu()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - start, cpu() - used
