"""`pde serve`: Start the gRPC scoring server on the current bundle."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="serve", help="Start the gRPC scoring server on the current bundle.")
    def serve(
        address: str | None = typer.Option(
            None, help="host:port to bind (default: PDE_GRPC_ADDRESS)."
        ),
        model_dir: Path | None = typer.Option(
            None, help="Bundles directory; serves its `current` one (default: PDE_MODEL_DIR)."
        ),
        grace: float = typer.Option(
            8.0, min=0, help="Seconds in-flight calls get to finish on SIGTERM."
        ),
        drain: float = typer.Option(
            1.0, min=0, help="Seconds health says NOT_SERVING before new calls are refused."
        ),
        handler_threads: int | None = typer.Option(
            None, min=1, help="gRPC handler threads = calls served at once (default: 8)."
        ),
        processes: int = typer.Option(
            1,
            min=1,
            help="Server processes on the one port (SO_REUSEPORT), each with its own model; "
            "for machines with more cores than one process uses.",
        ),
        challenger: str | None = typer.Option(
            None,
            help="A bundle version under the model dir scored in the champion's shadow on "
            "ScoreStream (default: PDE_CHALLENGER_VERSION).",
        ),
    ) -> None:
        # OpenMP reads this when the tree libraries load: idle threads must sleep, not spin.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from pde.core.settings import get_settings
        from pde.server.transport import app as server_app
        from pde.server.transport.options import ServerOptions

        overrides: dict[str, object] = {"grace_seconds": grace, "drain_seconds": drain}
        if handler_threads:
            overrides["handler_threads"] = handler_threads
        if address:
            overrides["address"] = address
        if model_dir:
            overrides["model_dir"] = model_dir
        if challenger:
            overrides["challenger"] = challenger
        options = ServerOptions.from_settings(get_settings(), **overrides)
        from pde.core.addresses import is_single

        if not is_single(options.address):
            raise typer.BadParameter(
                f"{options.address!r}: a server binds one host:port (several replicas or a DNS "
                "name are for clients)",
                param_hint="--address / PDE_GRPC_ADDRESS",
            )
        if processes == 1:
            server_app.serve(options)
            return
        from pde.server.transport.processes import serve_processes

        code = serve_processes(options, processes)
        if code:
            raise typer.Exit(code)
