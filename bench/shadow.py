"""`pde bench shadow`: what a shadow challenger costs the scoring server.

Serves the `current` bundle (an in-process server on loopback, a token set so ReloadModel is
open) and measures, in one run and alternately, `ScoreStream` throughput and unary `Score`
latency with no challenger and with a copy of the bundle loaded as the shadow challenger (the
same model: twice the scoring work on streams). Figures are medians of `repeat` rounds and
ratios against the run without a challenger. Bar: unary Score with a challenger loaded is
within noise of Score without (its path never touches the challenger), p50 ratio <= 1.2.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

BAR_UNARY_RATIO = 1.2
TOKEN = "bench-shadow"


def _stream_rate(client: Any, matrix: Any) -> float:
    rows = [(f"r{i}", values) for i, values in enumerate(matrix)]
    started = time.perf_counter()
    scored = sum(len(chunk.row_ids) for chunk in client.score_batches(rows, chunk_rows=4096))
    return scored / (time.perf_counter() - started)


def _unary_us(client: Any, matrix: Any, calls: int) -> float:
    timings = []
    for i in range(calls):
        started = time.perf_counter()
        client.score("c", matrix[i % matrix.shape[0]])
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def register(app: typer.Typer) -> None:
    @app.command(name="shadow", help="ScoreStream and Score with and without a challenger.")
    def shadow_bench(
        model_dir: Path | None = typer.Option(
            None, help="Bundles directory; uses its `current` bundle (default: PDE_MODEL_DIR)."
        ),
        rows: int = typer.Option(20_000, min=1000, help="Rows streamed per round."),
        calls: int = typer.Option(500, min=50, help="Unary calls per round."),
        repeat: int = typer.Option(3, min=1, help="Rounds of each figure."),
    ) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import json

        import numpy as np

        from pde.cli.console import console
        from pde.client.sync import RiskClient
        from pde.contracts.bundle import MANIFEST, current_bundle_dir, set_current
        from pde.core.settings import get_settings
        from pde.server.transport.app import ScoringServer
        from pde.server.transport.options import ServerOptions

        source = current_bundle_dir(model_dir or get_settings().model_dir)
        out = console()
        with tempfile.TemporaryDirectory(prefix="pde-bench-shadow-") as scratch:
            root = Path(scratch)
            shutil.copytree(source, root / source.name)
            shutil.copytree(source, root / "shadow-copy")
            manifest = json.loads((root / "shadow-copy" / MANIFEST).read_text())
            manifest["version"] = "shadow-copy"
            (root / "shadow-copy" / MANIFEST).write_text(json.dumps(manifest))
            set_current(root, source.name)
            server = ScoringServer(
                ServerOptions(address="127.0.0.1:0", model_dir=root, token=TOKEN, drain_seconds=0)
            )
            server.start()
            server.load()
            rng = np.random.default_rng(1)
            try:
                with RiskClient(f"127.0.0.1:{server.port}", token=TOKEN) as client:
                    n = len(client.model_info().feature_names)
                    matrix = rng.normal(size=(rows, n)).astype(np.float32)
                    figures: dict[str, list[tuple[float, float]]] = {"alone": [], "shadow": []}
                    for _ in range(repeat):  # alternately, so that load from others hits both
                        for label, path in (("alone", ""), ("shadow", "shadow-copy")):
                            client.reload(path, challenger=True)
                            figures[label].append(
                                (_stream_rate(client, matrix), _unary_us(client, matrix, calls))
                            )
            finally:
                server.stop(grace=1)
        medians = {
            label: tuple(statistics.median(values) for values in zip(*rounds, strict=True))
            for label, rounds in figures.items()
        }
        alone, shadow = medians["alone"], medians["shadow"]
        out.print(f"bundle {source.name}, {rows:,} rows streamed, {calls} unary calls, x{repeat}")
        for label, (rate, us) in medians.items():
            out.print(f"  {label:7s} ScoreStream {rate:,.0f} rows/s   Score p50 {us:,.0f} us")
        unary = shadow[1] / alone[1]
        out.print(
            f"  with a challenger: ScoreStream {shadow[0] / alone[0]:.2f}x, Score p50 {unary:.2f}x"
            f" (bar <= {BAR_UNARY_RATIO}x: {'ok' if unary <= BAR_UNARY_RATIO else 'MISSED'})"
        )
