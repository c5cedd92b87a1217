"""Scoring-server addresses: one `host:port`, several replicas, or a gRPC target.

`PDE_GRPC_ADDRESS` is what the server binds and what clients dial. A client may name several
replicas, comma-separated (`10.0.0.5:50051,10.0.0.6:50051`), or one DNS name that resolves
to every replica (`scoring:50051`, `dns:///scoring:50051`); the client balances its calls
over them (gRPC `round_robin`, see pde/client/channel.py). With TLS, prefer the DNS name:
the server certificate is checked against the name dialled (an IP list needs IP SANs).
"""

from __future__ import annotations

import ipaddress

SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:")


class AddressError(ValueError):
    """An address that is not host:port, a list of them, or a gRPC target."""


def _split_host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise AddressError(f"{value!r} must be host:port, for example 127.0.0.1:50051")
    return host, int(port)


def _ip_version(host: str) -> int | None:
    try:
        return ipaddress.ip_address(host.strip("[]")).version
    except ValueError:
        return None


def check_address(value: str) -> str:
    """`value` if it is host:port, a comma-separated list of host:port, or a gRPC target."""
    grpc_target(value)
    return value


def grpc_target(value: str) -> str:
    """The gRPC target that reaches every replica `value` names.

    host:port stays as it is (the DNS resolver returns every address of the name); a list
    of IP literals becomes one `ipv4:` or `ipv6:` target; a list that names hosts is refused
    (gRPC resolves one name per channel: give one DNS name with every replica behind it).
    """
    value = value.strip()
    if value.startswith(SCHEMES):
        if value.startswith("dns:"):
            _split_host_port(value.rsplit("/", 1)[-1])
        return value
    parts = [part.strip() for part in value.split(",")]
    hosts = [_split_host_port(part)[0] for part in parts]
    if len(parts) == 1:
        return parts[0]
    versions = {_ip_version(host) for host in hosts}
    if None in versions or len(versions) != 1:
        raise AddressError(
            f"{value!r}: several replicas must be IP addresses of one family; for host names "
            "give one DNS name that resolves to every replica (e.g. dns:///scoring:50051)"
        )
    return f"ipv{versions.pop()}:" + ",".join(parts)


def is_single(value: str) -> bool:
    """True when `value` is one host:port (what a server can bind)."""
    return not value.strip().startswith(SCHEMES) and "," not in value
