from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.io import load_dataset, write_dataset
from pde.contracts.data.validate import DataValidationError
from pde.core.errors import PdeError

from .conftest import CUSTOMERS_CSV, PAYMENTS_CSV, TRANSACTIONS_CSV, MakeDir


def error_of(directory: Path) -> DataValidationError:
    with pytest.raises(DataValidationError) as caught:
        load_dataset(directory)
    return caught.value


def test_io_loads_valid_csv_with_schema_dtypes(make_dataset: MakeDir) -> None:
    data = load_dataset(make_dataset())
    assert data.customers.schema["open_date"] == pl.Date
    assert data.customers.schema["birth_year"] == pl.Int64
    assert data.customers.schema["credit_limit"] == pl.Float64
    assert data.customers["declared_income"].null_count() == 3  # optional, absent
    assert data.transactions.schema["timestamp"] == pl.Datetime("us")
    assert data.transactions["timestamp"].to_list()[1] == datetime(2025, 1, 3, 11, 30)
    assert data.payments.schema["auto_debit"] == pl.Boolean
    assert data.payments["paid_date"].to_list() == [date(2025, 1, 15), None, date(2025, 2, 10)]
    assert data.payments["auto_debit_status"].to_list() == ["success", None, None]


def test_io_transactions_may_be_absent(make_dataset: MakeDir) -> None:
    directory = make_dataset()
    (directory / "transactions.csv").unlink()
    data = load_dataset(directory)
    assert data.transactions.height == 0
    assert data.transactions.schema["amount"] == pl.Float64
    assert not data.has_transactions


def test_io_missing_table_is_named(make_dataset: MakeDir) -> None:
    directory = make_dataset()
    (directory / "payments.csv").unlink()
    with pytest.raises(PdeError, match=r"no payments\.parquet or payments\.csv"):
        load_dataset(directory)


def test_io_missing_column_names_file_and_column(make_dataset: MakeDir) -> None:
    text = CUSTOMERS_CSV.replace("birth_year,", "").replace(",1980,", ",").replace(",1990,", ",")
    message = str(error_of(make_dataset(customers=text.replace(",1975,", ","))))
    assert "customers.csv" in message
    assert "'birth_year': missing required column" in message


def test_io_unknown_column_is_refused(make_dataset: MakeDir) -> None:
    text = TRANSACTIONS_CSV.replace("balance_after\n", "balance_after,merchant\n", 1)
    text = "\n".join(line + ",x" if i else line for i, line in enumerate(text.splitlines()))
    message = str(error_of(make_dataset(transactions=text + "\n")))
    assert "transactions.csv, column 'merchant': unknown column" in message


def test_io_wrong_type_names_file_row_and_column(make_dataset: MakeDir) -> None:
    text = TRANSACTIONS_CSV.replace("-40,atm", "forty,atm")
    error = error_of(make_dataset(transactions=text))
    assert "transactions.csv row 3 (1 row), column 'amount': not a number (e.g. 'forty')" in str(
        error
    )
    assert error.problems[0].rows == (3,)


def test_io_wrong_parquet_dtype_is_refused(make_dataset: MakeDir) -> None:
    directory = make_dataset()
    customers = pl.read_csv(directory / "customers.csv").with_columns(
        pl.lit(True).alias("credit_limit")
    )
    (directory / "customers.csv").unlink()
    customers.write_parquet(directory / "customers.parquet")
    message = str(error_of(directory))
    assert "customers.parquet, column 'credit_limit': has type Boolean, expected float" in message


def test_io_unparseable_date_names_rows_and_count(make_dataset: MakeDir) -> None:
    text = PAYMENTS_CSV.replace("2025-01-20", "20/01/2025").replace("2025-01-25", "soon")
    message = str(error_of(make_dataset(payments=text)))
    assert "payments.csv row 2, 3 (2 rows), column 'due_date': not a date" in message
    assert "'20/01/2025'" in message


def test_io_unparseable_timestamp(make_dataset: MakeDir) -> None:
    text = TRANSACTIONS_CSV.replace("2025-01-03 12:00", "yesterday noon")
    message = str(error_of(make_dataset(transactions=text)))
    assert "transactions.csv row 3 (1 row), column 'timestamp': not a timestamp" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            ",1000,100,50",
            ",-1000,100,50",
            "row 1 (1 row), column 'credit_limit': below the minimum 0",
        ),
        (",low,", ",rich,", "row 1 (1 row), column 'income_bracket': not an allowed value"),
        ("C2,2021-06-15", ",2021-06-15", "row 2 (1 row), column 'customer_id': missing"),
        (
            ",1000,100,50",
            ",inf,100,50",
            "row 1 (1 row), column 'credit_limit': not a finite number",
        ),
        (",1990,", ",2022,", "row 2 (1 row), column 'birth_year': birth_year after the year"),
    ],
)
def test_io_impossible_customer_values(
    make_dataset: MakeDir, old: str, new: str, expected: str
) -> None:
    message = str(error_of(make_dataset(customers=CUSTOMERS_CSV.replace(old, new, 1))))
    assert f"customers.csv {expected}" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (",,0,false,", ",,10,false,", "row 2 (1 row), column 'amount_paid': amount paid but no"),
        (",900,false,", ",900,false,failed", "row 3 (1 row), column 'auto_debit_status': status"),
        (",true,success", ",true,", "row 1 (1 row), column 'auto_debit_status': missing while"),
        (",true,success", ",maybe,success", "row 1 (1 row), column 'auto_debit': not a boolean"),
        (",card,", ",bnpl,", "row 1 (1 row), column 'kind': not an allowed value"),
    ],
)
def test_io_impossible_payment_values(
    make_dataset: MakeDir, old: str, new: str, expected: str
) -> None:
    message = str(error_of(make_dataset(payments=PAYMENTS_CSV.replace(old, new, 1))))
    assert f"payments.csv {expected}" in message


def test_io_duplicated_key_lists_every_row(make_dataset: MakeDir) -> None:
    text = TRANSACTIONS_CSV.replace("T3,", "T1,")
    message = str(error_of(make_dataset(transactions=text)))
    assert "transactions.csv row 1, 3 (2 rows), column 'transaction_id': duplicated key" in message


def test_io_unknown_customer_is_named(make_dataset: MakeDir) -> None:
    payments = PAYMENTS_CSV.replace("O3,C3", "O3,C9")
    transactions = TRANSACTIONS_CSV.replace("T3,C2", "T3,C7")
    error = error_of(make_dataset(payments=payments, transactions=transactions))
    message = str(error)
    assert "transactions.csv row 3 (1 row), column 'customer_id': unknown customer" in message
    assert "payments.csv row 3 (1 row), column 'customer_id': unknown customer (not in" in message
    assert "'C9'" in message and len(error.problems) == 2


def test_io_many_offenders_show_first_rows_and_count(make_dataset: MakeDir) -> None:
    rows = "".join(f"X{i},C1,card,2025-02-{i:02d},-5,,0,false,\n" for i in range(1, 21))
    message = str(error_of(make_dataset(payments=PAYMENTS_CSV + rows)))
    assert "payments.csv row 4, 5, 6, 7, 8, ... (20 rows), column 'amount_due'" in message


def test_io_round_trip_parquet_and_csv(make_dataset: MakeDir, tmp_path: Path) -> None:
    data = load_dataset(make_dataset())
    for fmt in ("parquet", "csv"):
        out = tmp_path / f"out-{fmt}"
        write_dataset(data, out, fmt=fmt)  # type: ignore[arg-type]
        again = load_dataset(out)
        for name in ("customers", "transactions", "payments"):
            assert getattr(again, name).equals(getattr(data, name)), (fmt, name)


def test_io_write_is_atomic_and_replaces_the_set(make_dataset: MakeDir, tmp_path: Path) -> None:
    data = load_dataset(make_dataset())
    out = tmp_path / "out"
    write_dataset(data, out, fmt="csv")
    (out / "notes.txt").write_text("someone else's file")
    write_dataset(data, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["customers.parquet", "notes.txt", "payments.parquet", "transactions.parquet"]
    bad = CanonicalData(
        customers=data.customers.with_columns(pl.lit(-1.0).alias("credit_limit")),
        transactions=data.transactions,
        payments=data.payments,
    )
    with pytest.raises(DataValidationError, match="credit_limit"):
        write_dataset(bad, out)
    assert sorted(p.name for p in out.iterdir()) == names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_io_write_refuses_a_file_as_target(make_dataset: MakeDir, tmp_path: Path) -> None:
    data = load_dataset(make_dataset())
    target = tmp_path / "report.txt"
    target.write_text("not a dataset")
    with pytest.raises(PdeError, match="exists and is not a directory"):
        write_dataset(data, target)
    assert target.read_text() == "not a dataset"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]


def test_io_truncated_csv_line_names_file_line_and_column(make_dataset: MakeDir) -> None:
    cut = PAYMENTS_CSV.rstrip("\n").rsplit(",", 4)[0] + "\n"  # the last line loses 4 fields
    with pytest.raises(PdeError) as caught:
        load_dataset(make_dataset(payments=cut))
    message = str(caught.value)
    assert "payments.csv line 4 ends before column 'paid_date'" in message
    assert "the header has 9" in message


def test_io_ragged_csv_line_with_extra_fields_is_refused(make_dataset: MakeDir) -> None:
    lines = CUSTOMERS_CSV.splitlines()
    lines[2] += ",surplus"
    with pytest.raises(PdeError, match=r"customers.csv line 3 has more fields than the header"):
        load_dataset(make_dataset(customers="\n".join(lines) + "\n"))


def test_io_quoted_separators_are_not_ragged(make_dataset: MakeDir) -> None:
    quoted = CUSTOMERS_CSV.replace(",north,", ',"north, coast",')
    data = load_dataset(make_dataset(customers=quoted))
    assert data.customers["region"].to_list()[0] == "north, coast"


def test_io_events_after_the_extraction_date_are_refused(make_dataset: MakeDir) -> None:
    directory = make_dataset()
    (directory / "extract.json").write_text('{"extracted_on": "2025-01-03"}')
    problems = {(p.file, p.column, p.rows) for p in error_of(directory).problems}
    # T2 (2025-01-03 11:30) is on the day; T3 too; nothing in transactions is later.
    assert problems == {("payments.csv", "paid_date", (1, 3))}
    (directory / "extract.json").write_text('{"extracted_on": "2025-02-10"}')
    assert load_dataset(directory).payments.height == 3


def test_io_events_years_ahead_are_refused_without_an_extraction_file(
    make_dataset: MakeDir,
) -> None:
    late = TRANSACTIONS_CSV.replace("2025-01-02 10:00:00", "2031-01-02 10:00:00")
    error = error_of(make_dataset(transactions=late))
    (problem,) = error.problems
    assert (problem.file, problem.column, problem.rows) == ("transactions.csv", "timestamp", (1,))
    assert "dated after the data's extraction date" in problem.what


def test_io_bad_extraction_file_is_named(make_dataset: MakeDir) -> None:
    directory = make_dataset()
    (directory / "extract.json").write_text('{"extracted": "soon"}')
    with pytest.raises(PdeError, match=r"extract.json: expected"):
        load_dataset(directory)


def test_io_simulation_states_its_extraction_date(
    small_simulation: tuple[Path, object],
) -> None:
    import json

    directory, _ = small_simulation
    simulated = json.loads((directory / "simulation.json").read_text())
    extract = json.loads((directory / "extract.json").read_text())
    assert extract == {"extracted_on": simulated["parameters"]["end"]}
