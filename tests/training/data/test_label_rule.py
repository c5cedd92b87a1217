from datetime import date

import polars as pl

from pde.contracts.data.label_rule import labels_at, missed

AS_OF = date(2025, 3, 1)


def payments(rows: list[tuple[str, str, date, float, date | None, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.String,
            "kind": pl.String,
            "due_date": pl.Date,
            "amount_due": pl.Float64,
            "paid_date": pl.Date,
            "amount_paid": pl.Float64,
        },
        orient="row",
    )


def test_label_rule_missed_cases() -> None:
    due = date(2025, 3, 10)
    frame = payments(
        [
            ("a", "loan", due, 100.0, None, 0.0),  # unpaid
            ("b", "loan", due, 100.0, date(2025, 3, 15), 100.0),  # 5 days late: within grace
            ("c", "loan", due, 100.0, date(2025, 3, 16), 100.0),  # 6 days late
            ("d", "loan", due, 100.0, due, 50.0),  # exactly half
            ("e", "loan", due, 100.0, due, 49.99),  # less than half
        ]
    )
    assert frame.select(missed()).to_series().to_list() == [True, False, True, False, True]


def test_label_rule_window_and_kinds() -> None:
    frame = payments(
        [
            ("on_t", "card", AS_OF, 10.0, None, 0.0),  # due at t: outside (t, t+30]
            ("last_day", "card", date(2025, 3, 31), 10.0, None, 0.0),  # t + 30: inside
            ("after", "card", date(2025, 4, 1), 10.0, None, 0.0),  # t + 31: outside
            ("utility_only", "utility", date(2025, 3, 5), 10.0, None, 0.0),  # not credit
            ("mixed", "mortgage", date(2025, 3, 5), 10.0, date(2025, 3, 5), 10.0),
            ("mixed", "loan", date(2025, 3, 20), 10.0, None, 0.0),
            ("paid", "loan", date(2025, 3, 20), 10.0, date(2025, 3, 18), 10.0),
        ]
    )
    labels = dict(labels_at(frame, AS_OF).iter_rows())
    assert labels == {"last_day": 1, "mixed": 1, "paid": 0}
