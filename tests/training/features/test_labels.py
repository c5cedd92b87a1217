import itertools
from datetime import date, timedelta

import numpy as np
import polars as pl

from pde.contracts.data.dataset import CanonicalData
from pde.contracts.data.schema import LABEL_HORIZON_DAYS as HORIZON_DAYS
from pde.training.features import build_training_table, compute_labels, weekly_as_of_dates

AS_OF = date(2025, 3, 10)


def one_obligation(due: date, paid: date | None, paid_amount: float = 100.0) -> CanonicalData:
    customers = pl.DataFrame(
        {
            "customer_id": ["A"],
            "open_date": [date(2020, 1, 1)],
            "birth_year": [1980],
            "income_bracket": ["middle"],
            "employment_type": ["salaried"],
            "region": ["north"],
            "product": ["personal_loan"],
            "credit_limit": [1000.0],
            "outstanding_balance": [500.0],
            "monthly_obligation": [100.0],
        }
    )
    payments = pl.DataFrame(
        {
            "obligation_id": ["O1", "U1"],
            "customer_id": ["A", "A"],
            "kind": ["loan", "utility"],
            "due_date": [due, due],
            "amount_due": [100.0, 50.0],
            "paid_date": [paid, None],
            "amount_paid": [paid_amount if paid else 0.0, 0.0],
            "auto_debit": [False, False],
            "auto_debit_status": [None, None],
        },
        schema_overrides={"paid_date": pl.Date, "auto_debit_status": pl.String},
    )
    empty_tx = pl.DataFrame(
        schema={
            "transaction_id": pl.String,
            "customer_id": pl.String,
            "timestamp": pl.Datetime("us"),
            "amount": pl.Float64,
            "category": pl.String,
            "channel": pl.String,
            "balance_after": pl.Float64,
        }
    )
    return CanonicalData(customers, empty_tx, payments)


def label(data: CanonicalData) -> int | None:
    frame = compute_labels(data, [AS_OF])
    return None if frame.is_empty() else int(frame["label"][0])


def test_labels_rule_cases() -> None:
    due = AS_OF + timedelta(days=10)
    assert label(one_obligation(due, due)) == 0
    assert label(one_obligation(due, due + timedelta(days=5))) == 0
    assert label(one_obligation(due, due + timedelta(days=6))) == 1
    assert label(one_obligation(due, None)) == 1
    assert label(one_obligation(due, due, paid_amount=40.0)) == 1
    assert label(one_obligation(due, due, paid_amount=60.0)) == 0


def test_labels_window_bounds() -> None:
    # due exactly at t: outside the label window (and outside the feature window)
    assert label(one_obligation(AS_OF, None)) is None
    assert label(one_obligation(AS_OF + timedelta(days=HORIZON_DAYS), None)) == 1
    assert label(one_obligation(AS_OF + timedelta(days=HORIZON_DAYS + 1), None)) is None


def test_labels_no_credit_obligation_means_no_row() -> None:
    data = one_obligation(AS_OF + timedelta(days=3), None)
    only_bills = CanonicalData(
        data.customers, data.transactions, data.payments.filter(pl.col("kind") == "utility")
    )
    assert label(only_bills) is None


def test_labels_do_not_depend_on_feature_window(small_data: CanonicalData) -> None:
    dates = weekly_as_of_dates(small_data)
    t = dates[len(dates) // 2]
    base = compute_labels(small_data, [t])
    past = pl.col("due_date") <= t
    rewritten = small_data.payments.with_columns(
        paid_date=pl.when(past).then(None).otherwise(pl.col("paid_date"))
    )
    changed = CanonicalData(small_data.customers, small_data.transactions.clear(), rewritten)
    assert base.equals(compute_labels(changed, [t]))


def test_labels_weekly_grid_has_observed_horizon(small_data: CanonicalData) -> None:
    dates = weekly_as_of_dates(small_data)
    assert dates == sorted(dates)
    assert all((b - a).days == 7 for a, b in itertools.pairwise(dates))
    last_event = max(
        small_data.payments["due_date"].max(),  # type: ignore[type-var]
        small_data.payments["paid_date"].max(),  # type: ignore[type-var]
    )
    assert dates[-1] + timedelta(days=HORIZON_DAYS + 5) <= last_event
    # the grid starts once a full 90-day lookback of data precedes it
    first_event = small_data.transactions["timestamp"].min().date()  # type: ignore[union-attr]
    assert (dates[0] - first_event).days >= 90
    assert (dates[0] - first_event).days < 90 + 7


def test_labels_shuffled_control_is_chance(larger_data: CanonicalData) -> None:
    from lightgbm import LGBMClassifier
    from sklearn.metrics import roc_auc_score

    table = build_training_table(larger_data)
    rng = np.random.default_rng(0)
    x = table.drop("customer_id", "as_of", "label").to_numpy()
    y = rng.permutation(table["label"].to_numpy())
    train = table["as_of"] < table["as_of"].unique().sort()[-3]
    model = LGBMClassifier(n_estimators=60, verbose=-1, random_state=0)
    model.fit(x[train.to_numpy()], y[train.to_numpy()])
    auc = roc_auc_score(y[~train.to_numpy()], model.predict_proba(x[~train.to_numpy()])[:, 1])
    assert 0.4 < auc < 0.6
    # and the same model on the real labels does find signal
    y_real = table["label"].to_numpy()
    model.fit(x[train.to_numpy()], y_real[train.to_numpy()])
    real = roc_auc_score(y_real[~train.to_numpy()], model.predict_proba(x[~train.to_numpy()])[:, 1])
    assert real > 0.65
