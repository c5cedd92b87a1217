"""The client tests reuse the server tests' bundle and server fixtures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SERVER_CONFTEST = Path(__file__).resolve().parent.parent / "server" / "conftest.py"

_spec = importlib.util.spec_from_file_location("pde_test_server_conftest", SERVER_CONFTEST)
assert _spec and _spec.loader
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module
_spec.loader.exec_module(_module)

bundle_dir = _module.bundle_dir
bundle_tools = _module.bundle_tools
model_dir = _module.model_dir
served = _module.served
bundles = _module.bundles
start_server = _module.start_server
