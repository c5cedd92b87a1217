"""A gRPC health probe for containers: exit 0 when the scoring service is SERVING.

python -m pde.client.probe [ADDRESS] [--timeout SECONDS]

It connects like the client does (`RiskClient.from_settings`): the `PDE_*` address, TLS
certificate and token. It prints the status and the address, and exits with
  0  SERVING
  1  NOT_SERVING (or the service is unknown to the server): it answers but cannot score
  2  bad usage or configuration
  3  UNREACHABLE: nothing answered (nothing listens, wrong TLS, or no reply in time)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import grpc

if TYPE_CHECKING:
    from pde.client.sync import RiskClient

SERVICE = "pde.risk.v1.RiskScoring"
SERVING = "SERVING"
UNREACHABLE = "UNREACHABLE"
EXIT_SERVING, EXIT_NOT_SERVING, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
_NO_ANSWER = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def check(client: RiskClient, *, timeout: float = 2.0, service: str = SERVICE) -> tuple[str, str]:
    """(status, detail): SERVING, NOT_SERVING, SERVICE_UNKNOWN, UNKNOWN or UNREACHABLE."""
    from pde.client.errors import RiskServiceError

    try:
        return client.health(service=service, timeout=timeout), ""
    except RiskServiceError as exc:
        if exc.code in _NO_ANSWER:
            return UNREACHABLE, exc.details
        if exc.code is grpc.StatusCode.NOT_FOUND:
            return "SERVICE_UNKNOWN", exc.details
        return "NOT_SERVING", f"{exc.code.name}: {exc.details}"


def probe(address: str, *, timeout: float = 2.0, service: str = SERVICE) -> bool:
    """True when the server at `address` (plaintext, no token) reports SERVING for `service`."""
    from pde.client.sync import RiskClient

    with RiskClient(address, timeout=timeout) as client:
        return check(client, timeout=timeout, service=service)[0] == SERVING


def exit_code(status: str) -> int:
    if status == SERVING:
        return EXIT_SERVING
    return EXIT_UNREACHABLE if status == UNREACHABLE else EXIT_NOT_SERVING


def main(argv: list[str] | None = None) -> int:
    from pde.client.sync import RiskClient
    from pde.core.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("address", nargs="?", default=None, help="host:port (PDE_GRPC_ADDRESS)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a reply")
    options = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_USAGE
    address = options.address or settings.grpc_address
    try:
        client = RiskClient.from_settings(settings, address=address, timeout=options.timeout)
    except OSError as exc:  # e.g. the TLS certificate file cannot be read
        sys.stderr.write(f"cannot set up the connection to {address}: {exc}\n")
        return EXIT_USAGE
    with client:
        status, detail = check(client, timeout=options.timeout)
    line = f"{status} {address}" + (f" ({detail})" if detail and status != SERVING else "")
    sys.stdout.write(line + "\n")
    return exit_code(status)


if __name__ == "__main__":
    sys.exit(main())
