from pathlib import Path

from pde.contracts.data.schema import TABLES

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-schema.md"


def test_schema_every_column_and_value_is_documented() -> None:
    text = DOC.read_text()
    missing = [
        f"{table.name}.{column.name}"
        for table in TABLES.values()
        for column in table.columns
        if f"| `{column.name}` | {column.dtype} |" not in text
    ]
    missing += [
        f"{column.name}={value}"
        for table in TABLES.values()
        for column in table.columns
        for value in column.allowed
        if f"`{value}`" not in text
    ]
    assert not missing, f"docs/data-schema.md is missing {missing}"


def test_schema_keys_are_columns() -> None:
    for table in TABLES.values():
        assert set(table.key) <= set(table.names)
        assert len(set(table.names)) == len(table.names)


def test_schema_interventions_file_is_documented() -> None:
    from pde.contracts.interventions import INTERVENTIONS

    text = DOC.read_text()
    missing = [c.name for c in INTERVENTIONS.columns if f"| `{c.name}` | {c.dtype} |" not in text]
    missing += [v for c in INTERVENTIONS.columns for v in c.allowed if f"`{v}`" not in text]
    assert not missing, f"docs/data-schema.md is missing {missing}"
