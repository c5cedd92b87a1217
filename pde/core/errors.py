"""The engine's error hierarchy; transports (CLI, gRPC, Dash) map these in one place each."""


class PdeError(Exception):
    """An error the user can act on; its message is shown as is."""
