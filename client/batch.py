"""Scoring a features file (Parquet or CSV) through the server's stream, to a results file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pde.client.sync import RiskClient
from pde.contracts.data.csv_shape import ragged_lines
from pde.core.errors import PdeError

SUFFIXES = (".parquet", ".csv")


class ScoreFileError(PdeError):
    """The input or output file cannot be used."""


@dataclass(frozen=True)
class FileSummary:
    rows: int
    alerts: int
    model_version: str
    tiers: dict[str, int]


def _check_suffix(path: Path, role: str) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise ScoreFileError(f"{role} {path}: use a .parquet or .csv file")


def read_features(path: Path) -> pl.DataFrame:
    """The file's rows; a CSV line with a wrong number of fields is an error naming it."""
    _check_suffix(path, "input")
    if not path.is_file():
        raise ScoreFileError(f"input {path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        ragged = ragged_lines(path)
        if ragged is not None:
            raise ScoreFileError(f"input {ragged.describe()}")
        return pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ScoreFileError(f"input {path}: {exc}") from None


def _where(path: Path, index: int) -> str:
    """A data row by its place in the file: the line of a CSV (header is line 1), else the row."""
    if path.suffix.lower() == ".csv":
        return f"{path.name} line {index + 2}"
    return f"{path.name} row {index + 1}"


def numeric_features(frame: pl.DataFrame, names: list[str], path: Path) -> pl.DataFrame:
    """The feature columns as Float64; a cell that is not a number (empty means missing) is an
    error naming the file, the line and the column."""
    columns = []
    for name in names:
        cells = frame.get_column(name)
        if cells.dtype.is_numeric() or cells.dtype == pl.Null:
            columns.append(cells.cast(pl.Float64))
            continue
        if cells.dtype != pl.String:
            raise ScoreFileError(f"input {path.name}, column {name!r}: has type {cells.dtype}")
        text = cells.str.strip_chars()
        numbers = text.cast(pl.Float64, strict=False)
        bad = numbers.is_null() & text.is_not_null() & (text != "")
        if bad.any():
            first = int(bad.arg_true()[0])
            raise ScoreFileError(
                f"input {_where(path, first)}, column {name!r}: {str(cells[first])[:40]!r} is not "
                f"a number ({int(bad.sum())} such cells in the column)"
            )
        columns.append(numbers)
    return frame.with_columns(columns)


def check_unique_ids(frame: pl.DataFrame, id_name: str, path: Path) -> None:
    duplicated = frame.get_column(id_name).is_duplicated()
    if duplicated.any():
        rows = duplicated.arg_true()
        first = int(rows[0])
        raise ScoreFileError(
            f"input {_where(path, first)}, column {id_name!r}: id "
            f"{str(frame.get_column(id_name)[first])[:40]!r} appears more than once "
            f"({len(rows)} rows share an id); pass --allow-duplicate-ids to score them anyway"
        )


def pick_id_column(frame: pl.DataFrame, feature_names: list[str], given: str | None) -> str | None:
    """The given id column, else `customer_id` / `id`, else the first non-feature column."""
    if given is not None:
        if given not in frame.columns:
            raise ScoreFileError(f"id column {given!r} not in the input")
        return given
    for name in ("customer_id", "id"):
        if name in frame.columns:
            return name
    others = [c for c in frame.columns if c not in set(feature_names)]
    return others[0] if others else None


def score_file(
    client: RiskClient,
    *,
    input_path: Path,
    output_path: Path,
    id_column: str | None = None,
    allow_duplicate_ids: bool = False,
    chunk_rows: int = 5_000,
    on_rows: Callable[[int], None] = lambda n: None,
    on_total: Callable[[int], None] = lambda n: None,
    effects: bool = False,
) -> FileSummary:
    """Streams the features of input_path through the server; writes one row per input row:
    id, probability, tier, alert, model_version (in input order), and with `effects` one
    `effect_<action>` column per action the model serves (expected fall in the miss probability).

    Nothing is sent or written when the file is ragged or truncated, a feature cell is not a
    number, or (unless allowed) two rows share an id: the error names file, line and column."""
    _check_suffix(output_path, "output")
    frame = read_features(input_path)
    info = client.model_info()
    missing = [n for n in info.feature_names if n not in frame.columns]
    if missing:
        raise ScoreFileError(
            f"input {input_path}: lacks {len(missing)} model features, e.g. {missing[:3]}"
        )
    id_name = pick_id_column(frame, info.feature_names, id_column)
    frame = numeric_features(frame, info.feature_names, input_path)
    if id_name is not None and not allow_duplicate_ids:
        check_unique_ids(frame, id_name, input_path)
    on_total(frame.height)
    ids: list[str] = []
    probabilities: list[np.ndarray] = []
    tiers: list[str] = []
    alerts: list[np.ndarray] = []
    versions: list[str] = []
    effect_rows: list[np.ndarray] = []
    actions: list[str] = []
    for chunk in client.score_batches(
        frame, id_column=id_name, chunk_rows=chunk_rows, effects=effects
    ):
        if chunk.effects is not None:
            actions = chunk.actions
            effect_rows.append(chunk.effects)
        ids.extend(chunk.row_ids)
        probabilities.append(chunk.probabilities)
        tiers.extend(chunk.tiers)
        alerts.append(chunk.alerts)
        versions.extend([chunk.model_version] * len(chunk.row_ids))
        on_rows(len(chunk.row_ids))
    scored = pl.DataFrame(
        {
            id_name or "row": ids,
            "probability": np.concatenate(probabilities) if probabilities else [],
            "tier": tiers,
            "alert": np.concatenate(alerts) if alerts else [],
            "model_version": versions,
        },
        schema_overrides={"probability": pl.Float32, "alert": pl.Boolean},
    )
    if effect_rows:
        values = np.concatenate(effect_rows)
        scored = scored.with_columns(
            pl.Series(f"effect_{a}", values[:, i]) for i, a in enumerate(actions)
        )
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(f".{output_path.name}.tmp")
    if output_path.suffix.lower() == ".parquet":
        scored.write_parquet(partial)
    else:
        scored.write_csv(partial)
    partial.replace(output_path)
    counts = scored.get_column("tier").value_counts()
    return FileSummary(
        rows=scored.height,
        alerts=int(scored.get_column("alert").sum()),
        model_version=versions[-1] if versions else info.version,
        tiers=dict(zip(counts["tier"].to_list(), counts["count"].to_list(), strict=True)),
    )
