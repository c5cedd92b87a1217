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
    UpliftArm,
    UpliftSection,
    read_manifest,
    sha256_file,
)
from pde.contracts.reference import ReferenceDistributions
from pde.core.names import MODEL_NAMES
from pde.training.learners import Learner, OnnxGraph, get_learner
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
    uplift: UpliftContents | None = None
    # The time-to-miss model: its native model, learner name and graph (None: no hazard model).
    hazard: tuple[Any, str, OnnxGraph] | None = None


@dataclass(frozen=True)
class UpliftContents:
    """The uplift arms' native models and graphs, and the section's other fields."""

    library: str
    natives: dict[str, Any]
    graphs: dict[str, OnnxGraph]
    fit_rows: dict[str, int]
    fields: dict[str, Any]


UPLIFT_DIR = "uplift"


def _write_uplift(tmp: Path, uplift: UpliftContents) -> UpliftSection:
    learner = get_learner(uplift.library)
    (tmp / UPLIFT_DIR).mkdir()
    arms = {
        arm: UpliftArm(
            **_write_model(tmp, f"{UPLIFT_DIR}/{arm}", learner, uplift.natives[arm], graph),
            fit_rows=uplift.fit_rows[arm],
        )
        for arm, graph in uplift.graphs.items()
    }
    return UpliftSection(library=uplift.library, arms=arms, **uplift.fields)


def _write_model(
    tmp: Path, stem: str, learner: Learner[Any], native: Any, graph: OnnxGraph
) -> dict[str, str]:
    """Writes one model's graph and native file under `tmp`; their ModelFile fields."""
    onnx_file = f"{stem}.onnx"
    native_file = f"{stem}{learner.suffix}"
    (tmp / onnx_file).write_bytes(graph.data)
    learner.save(native, tmp / native_file)
    return {
        "onnx_file": onnx_file,
        "onnx_sha256": sha256_file(tmp / onnx_file),
        "native_file": native_file,
        "native_sha256": sha256_file(tmp / native_file),
        "input_name": graph.input_name,
        "output_name": graph.output_name,
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")


def _write_members(tmp: Path, contents: BundleContents) -> dict[str, ModelFile]:
    return {
        name: ModelFile(
            **_write_model(
                tmp, name, get_learner(name), contents.natives[name], contents.graphs[name]
            )
        )
        for name in MODEL_NAMES
    }


def _write_hazard(tmp: Path, contents: BundleContents) -> ModelFile | None:
    if contents.hazard is None:
        return None
    native, learner_name, graph = contents.hazard
    return ModelFile(**_write_model(tmp, HAZARD, get_learner(learner_name), native, graph))


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
        uplift = None if contents.uplift is None else _write_uplift(tmp, contents.uplift)
        manifest = Manifest(
            models=models,
            reference=reference,
            uplift=uplift,
            hazard=hazard,
            **contents.manifest_fields,
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
