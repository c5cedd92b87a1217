"""Pre-Delinquency Risk Engine: shared settings, logging, CLI and the generated API package."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pde")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
