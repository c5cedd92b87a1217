import polars as pl
import pytest

from pde.training.models import TrainingError, frame_from_table


def test_frame_non_numeric_column_is_named() -> None:
    table = pl.DataFrame({"a": [1.0, 2.0], "city": ["x", "y"], "y": [0, 1]})
    with pytest.raises(TrainingError, match="'city' is not numeric"):
        frame_from_table(table, label="y")
    frame = frame_from_table(table, label="y", exclude=("city",))
    assert frame.feature_names == ["a"]


def test_frame_label_must_be_binary_and_present() -> None:
    table = pl.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0, 2, 1]})
    with pytest.raises(TrainingError, match="only 0 and 1"):
        frame_from_table(table, label="y")
    with pytest.raises(TrainingError, match="not in the table"):
        frame_from_table(table, label="target")


def test_frame_time_column_and_fingerprint() -> None:
    table = pl.DataFrame(
        {"a": [1.0, None, 3.0], "when": ["2025-01-06", "2025-01-13", "2025-01-20"], "y": [0, 1, 0]}
    )
    frame = frame_from_table(table, label="y", time_column="when")
    assert frame.times is not None and str(frame.times[1]) == "2025-01-13"
    assert frame.feature_names == ["a"]
    changed = frame_from_table(table.with_columns(pl.col("a") * 2), label="y", time_column="when")
    assert frame.fingerprint() != changed.fingerprint()
    assert (
        frame.fingerprint() == frame_from_table(table, label="y", time_column="when").fingerprint()
    )


def test_frame_row_ids_are_left_out_unless_kept() -> None:
    """A blank-named index (a spreadsheet or pandas export) and increasing integers are row
    ids, not features; a feature that merely repeats or falls is kept."""
    table = pl.DataFrame(
        {
            "": [0, 1, 2, 3],
            "ID": [101, 102, 105, 109],
            "visits": [3, 1, 3, 2],
            "score": [0.5, 0.7, 0.9, 1.1],  # increasing, but not integers
            "y": [0, 1, 0, 1],
        }
    )
    frame = frame_from_table(table, label="y")
    assert frame.id_like == ("", "ID")
    assert frame.feature_names == ["visits", "score"]
    kept = frame_from_table(table, label="y", keep=("ID",))
    assert kept.id_like == ("",) and kept.feature_names == ["ID", "visits", "score"]
    named = frame_from_table(table, label="y", id_column="ID")
    assert named.id_like == ("",) and named.groups is not None
    with pytest.raises(TrainingError, match="kept column 'nope'"):
        frame_from_table(table, label="y", keep=("nope",))
