from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pde.contracts.data.io import load_dataset, write_dataset
from pde.contracts.data.label_rule import labels_at
from pde.core.errors import PdeError
from pde.training.data.uci_taiwan import AS_OF, import_uci_taiwan


@pytest.fixture(scope="module")
def uci_csv(shared_data: Path) -> Path:
    return shared_data / "uci_taiwan_default" / "UCI_Credit_Card.csv"


def test_uci_taiwan_figures_and_label(uci_csv: Path, tmp_path: Path) -> None:
    write_dataset(import_uci_taiwan(uci_csv), tmp_path)
    data = load_dataset(tmp_path)  # the import passes validation
    assert data.customers.height == 30_000
    assert data.payments.height == 30_000 * 7
    assert not data.has_transactions
    assert date(2005, 10, 1) == AS_OF
    labels = labels_at(data.payments, AS_OF)
    assert labels.height == 30_000
    assert labels["label"].sum() == 6_636
    assert round(float(labels["label"].mean()), 4) == 0.2212  # type: ignore[arg-type]
    # Row by row, the label is the dataset's target.
    target = pl.read_csv(uci_csv).select(
        pl.format("U{}", pl.col("ID").cast(pl.String).str.zfill(5)).alias("customer_id"),
        pl.col("default.payment.next.month").cast(pl.Int8).alias("target"),
    )
    joined = labels.join(target, on="customer_id")
    assert joined.height == 30_000
    assert (joined["label"] == joined["target"]).all()


def test_uci_taiwan_mapping_of_one_client(uci_csv: Path) -> None:
    data = import_uci_taiwan(uci_csv)
    client = data.customers.filter(pl.col("customer_id") == "U00001").row(0, named=True)
    assert client["credit_limit"] == 20_000.0 and client["birth_year"] == 1981
    assert client["income_bracket"] == "low" and client["product"] == "credit_card"
    rows = data.payments.filter(pl.col("customer_id") == "U00001").sort("due_date")
    # ID 1: PAY_0 = 2 (September, 2 months late), PAY_3 = -1 (July, paid duly), defaulted.
    september = rows.row(5, named=True)
    assert september["amount_due"] == 3913.0 and september["paid_date"] == date(2005, 11, 14)
    assert rows.row(3, named=True)["paid_date"] == date(2005, 7, 15)
    assert rows.row(6, named=True)["paid_date"] is None
    assert set(rows["kind"]) == {"card"}


def test_uci_taiwan_rejects_another_file(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("ID,LIMIT_BAL\n1,2\n")
    with pytest.raises(PdeError, match="not the UCI Taiwan file: missing column"):
        import_uci_taiwan(other)


def test_uci_taiwan_bad_cell_names_the_input_line(uci_csv: Path, tmp_path: Path) -> None:
    lines = uci_csv.read_text().splitlines()[:6]
    header = lines[0].split(",")
    cells = lines[4].split(",")
    cells[header.index("AGE")] = "forty"
    lines[4] = ",".join(cells)
    broken = tmp_path / "UCI_Credit_Card.csv"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(PdeError, match=r"UCI_Credit_Card.csv line 5, column 'AGE': 'forty'"):
        import_uci_taiwan(broken)


def test_uci_taiwan_rule_broken_by_derived_rows_names_the_input_row(
    uci_csv: Path, tmp_path: Path
) -> None:
    from pde.contracts.data.validate import DataValidationError

    lines = uci_csv.read_text().splitlines()[:6]
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("PAY_AMT2")] = "-5"  # a negative payment: amount_paid below 0
    lines[3] = ",".join(cells)
    broken = tmp_path / "UCI_Credit_Card.csv"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError) as caught:
        import_uci_taiwan(broken)
    (problem,) = caught.value.problems
    assert problem.file == "UCI_Credit_Card.csv (as payments)"
    assert (problem.column, problem.rows) == ("amount_paid", (3,))


def test_uci_taiwan_truncated_file_is_refused(uci_csv: Path, tmp_path: Path) -> None:
    text = uci_csv.read_text()[:5000]  # cut mid-line
    cut = tmp_path / "UCI_Credit_Card.csv"
    cut.write_text(text)
    with pytest.raises(PdeError, match=r"UCI_Credit_Card.csv line \d+ ends before column"):
        import_uci_taiwan(cut)
