"""Writes a model bundle atomically: temp dir, verify, rename to its version.

Writing never moves the `current` pointer: a new bundle is a challenger until it is promoted
(pde.jobs.models.promote, the one audited path)."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pde.contracts.bundle import (
    MANIFEST,
    BundleError,
    Manifest,
    ModelFile,
    ReferenceFile,
    read_manifest,
    sha256_file,
)
from pde.contracts.reference import ReferenceDistributions
from pde.core.names import MODEL_NAMES
from pde.training.learners import OnnxGraph, get_learner
from pde.training.models.onnx_export import check_parity

log = logging.getLogger(__name__)

REPORT = "report.html"
METRICS = "metrics.json"
REFERENCE = "reference.json"
HAZARD = "hazard"  # hazard.onnx and the native hazard model


def bundle_version(created_at: datetime, fingerprint: str) -> str:
    """`YYYYMMDDTHHMMSSZ-<first 8 hex of the data fingerprint>`."""
    return f"{created_at:%Y%m%dT%H%M%SZ}-{fingerprint[:8]}"


@dataclass(frozen=True)
class BundleContents:
    """What goes into a bundle besides the manifest's own fields."""

    natives: dict[str, Any]
    graphs: dict[str, OnnxGraph]
    manifest_fields: dict[str, Any]
    report_html: str
    metrics: dict[str, Any]
    reference: ReferenceDistributions | None = None  # for drift; written as reference.json
    # The time-to-miss model: its native model, learner name and graph (None: no hazard model).
    hazard: tuple[Any, str, OnnxGraph] | None = None


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")


def _write_members(tmp: Path, contents: BundleContents) -> dict[str, ModelFile]:
    models: dict[str, ModelFile] = {}
    for name in MODEL_NAMES:
        graph = contents.graphs[name]
        learner = get_learner(name)
        onnx_file = f"{name}.onnx"
        native_file = f"{name}{learner.suffix}"
        (tmp / onnx_file).write_bytes(graph.data)
        learner.save(contents.natives[name], tmp / native_file)
        models[name] = ModelFile(
            onnx_file=onnx_file,
            onnx_sha256=sha256_file(tmp / onnx_file),
            native_file=native_file,
            native_sha256=sha256_file(tmp / native_file),
            input_name=graph.input_name,
            output_name=graph.output_name,
        )
    return models


def _write_hazard(tmp: Path, contents: BundleContents) -> ModelFile | None:
    if contents.hazard is None:
        return None
    native, learner_name, graph = contents.hazard
    learner = get_learner(learner_name)
    native_file = f"{HAZARD}{learner.suffix}"
    (tmp / f"{HAZARD}.onnx").write_bytes(graph.data)
    learner.save(native, tmp / native_file)
    return ModelFile(
        onnx_file=f"{HAZARD}.onnx",
        onnx_sha256=sha256_file(tmp / f"{HAZARD}.onnx"),
        native_file=native_file,
        native_sha256=sha256_file(tmp / native_file),
        input_name=graph.input_name,
        output_name=graph.output_name,
    )


def write_bundle(
    model_dir: Path,
    contents: BundleContents,
    *,
    parity_rows: Any = None,
    parity_tolerance: float = 1e-4,
) -> Path:
    """Writes, verifies and publishes a bundle; returns its directory.

    Verification reads the manifest back with every sha256 and, given `parity_rows`, checks
    the written ONNX files against the reloaded native files. Any failure leaves existing
    bundles untouched and removes the partial directory. `current` is never moved here.
    """
    version = str(contents.manifest_fields["version"])
    final = model_dir / version
    if final.exists():
        raise BundleError(f"{final} already exists")
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=model_dir))
    try:
        models = _write_members(tmp, contents)
        hazard = _write_hazard(tmp, contents)
        reference = None
        if contents.reference is not None:
            (tmp / REFERENCE).write_text(contents.reference.model_dump_json() + "\n")
            reference = ReferenceFile(file=REFERENCE, sha256=sha256_file(tmp / REFERENCE))
        manifest = Manifest(
            models=models, reference=reference, hazard=hazard, **contents.manifest_fields
        )
        _write_json(tmp / METRICS, contents.metrics)
        (tmp / REPORT).write_text(contents.report_html, encoding="utf-8")
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
        read_manifest(tmp, verify=True)
        if parity_rows is not None:
            for name, member in models.items():
                check_parity(
                    name,
                    get_learner(name).load(tmp / member.native_file),
                    tmp / member.onnx_file,
                    parity_rows,
                    tolerance=parity_tolerance,
                    input_name=member.input_name,
                    output_name=member.output_name,
                )
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("bundle %s written (not current until promoted)", final)
    return final
