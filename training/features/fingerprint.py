"""A fingerprint of each feature's definition, for the catalogue lock (`lock.py`).

A feature's definition is its catalogue entry and the code that computes it: the module that
declares it, the feature and canonical-data modules that module imports (directly or not), and
`compute.py`, which joins the families and marks missing values. `catalogue.py` (the order,
locked apart) and `spec.py` (whose part in a feature is its entry) are not code of a feature.

Code is compared as its syntax tree without docstrings, comments or layout, and without the
entries it declares (they count as entries): reformatting or commenting a module changes no
fingerprint, a changed entry changes its own feature's, and any change to what the code does
changes the fingerprints of every feature it computes.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from pathlib import Path

from pde.training.features.spec import FeatureGroup

PACKAGE = "pde.training.features"
FOLLOWED = (f"{PACKAGE}.", "pde.contracts.data.")
NOT_FEATURE_CODE = frozenset({f"{PACKAGE}.catalogue", f"{PACKAGE}.spec"})
SHARED = (f"{PACKAGE}.compute",)
DIGITS = 16

SourceReader = Callable[[str], str]


def module_source(module: str) -> str:
    """The source text of an importable module."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(module)
    return Path(spec.origin).read_text()


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                names.add(child if _is_module(child) else node.module)
    return {n for n in names if n.startswith(FOLLOWED) and n not in NOT_FEATURE_CODE}


PARSE_ATTEMPTS = 3


def _parse(source: str) -> ast.Module:
    """`ast.parse`, tried again when CPython 3.11 reports its AST-constructor race
    (python/cpython#106905, fixed in 3.12): the converter's recursion counter is shared, so a
    parse can fail with a spurious "recursion depth mismatch" SystemError."""
    for attempt in range(1, PARSE_ATTEMPTS + 1):
        try:
            return ast.parse(source)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == PARSE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def code_of(module: str, read: SourceReader = module_source) -> list[str]:
    """`module` and every followed module it imports, directly or not, sorted by name."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_imported(_parse(read(name))) - seen)
    return sorted(seen)


def _dump(node: object) -> str:
    """A syntax tree as text, stable across Python versions: no positions, no contexts, and
    empty or absent fields (which new versions add) left out."""
    if isinstance(node, list):
        return "[" + ",".join(_dump(item) for item in node) + "]"
    if not isinstance(node, ast.AST):
        return repr(node)
    fields = [
        f"{name}={_dump(value)}"
        for name, value in ast.iter_fields(node)
        if name not in ("ctx", "type_comment", "kind") and value not in (None, [])
    ]
    return f"{type(node).__name__}({','.join(fields)})"


def _is_declaration(node: ast.stmt) -> bool:
    """`X = declare(...)`: catalogue entries, compared as entries rather than as code."""
    value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "declare"
    )


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _code_only(tree: ast.Module) -> ast.Module:
    tree.body = [node for node in tree.body if not _is_declaration(node)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and _is_text(first.value):
                node.body = node.body[1:]
    return tree


def code_digest(source: str) -> str:
    """sha256 of what the code does: its syntax tree without docstrings and without the
    catalogue entries it declares."""
    return hashlib.sha256(_dump(_code_only(_parse(source))).encode()).hexdigest()


def definition_fingerprints(
    groups: Iterable[FeatureGroup], *, read: SourceReader = module_source
) -> dict[str, str]:
    """Feature name -> fingerprint of its entry and its code, in the order of `groups`."""
    digests: dict[str, str] = {}

    def digest(module: str) -> str:
        if module not in digests:
            digests[module] = code_digest(read(module))
        return digests[module]

    out: dict[str, str] = {}
    for group in groups:
        modules = [*code_of(group.module, read), *SHARED]
        code: Mapping[str, str] = {m: digest(m) for m in modules}
        for spec in group.features:
            text = json.dumps({"entry": asdict(spec), "code": code}, sort_keys=True)
            out[spec.name] = hashlib.sha256(text.encode()).hexdigest()[:DIGITS]
    return out
