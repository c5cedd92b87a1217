from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from pde.contracts.data.dataset import CanonicalData
from pde.training.features import FEATURE_NAMES, compute_features, weekly_as_of_dates
from pde.training.features.catalogue import family_names

AS_OF = date(2025, 4, 14)


def features(data: CanonicalData, as_of: date = AS_OF) -> pl.DataFrame:
    return compute_features(data, [as_of])


def assert_same(left: pl.DataFrame, right: pl.DataFrame) -> None:
    assert left.columns == right.columns
    assert left["customer_id"].to_list() == right["customer_id"].to_list()
    a = left.select(FEATURE_NAMES).to_numpy()
    b = right.select(FEATURE_NAMES).to_numpy()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(np.nan_to_num(a), np.nan_to_num(b), rtol=0, atol=1e-9)


def test_compute_ignores_altered_future_transactions(small_data: CanonicalData) -> None:
    base = features(small_data)
    t = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    future = pl.col("timestamp") >= t
    altered = small_data.transactions.with_columns(
        amount=pl.when(future).then(pl.col("amount") * -7 + 1).otherwise(pl.col("amount")),
        category=pl.when(future).then(pl.lit("gambling")).otherwise(pl.col("category")),
        balance_after=pl.when(future).then(-1e6).otherwise(pl.col("balance_after")),
    )
    changed = CanonicalData(small_data.customers, altered, small_data.payments)
    assert altered.filter(future).height > 0
    assert_same(base, features(changed))


def test_compute_ignores_deleted_future_events(small_data: CanonicalData) -> None:
    base = features(small_data)
    t = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    transactions = small_data.transactions.filter(pl.col("timestamp") < t)
    payments = small_data.payments.filter(pl.col("due_date") < AS_OF)
    assert_same(base, features(CanonicalData(small_data.customers, transactions, payments)))


def test_compute_ignores_payments_made_at_or_after_as_of(small_data: CanonicalData) -> None:
    base = features(small_data)
    # every obligation due before t but paid at or after t: move those payments even later,
    # change their amounts and statuses; and every obligation due at or after t: rewrite it
    paid_late = pl.col("paid_date") >= AS_OF
    due_later = pl.col("due_date") >= AS_OF
    payments = small_data.payments.with_columns(
        paid_date=pl.when(paid_late)
        .then(pl.col("paid_date") + timedelta(days=40))
        .otherwise(pl.col("paid_date")),
        amount_paid=pl.when(paid_late | due_later).then(0.0).otherwise(pl.col("amount_paid")),
        auto_debit_status=pl.when(due_later)
        .then(pl.lit("failed"))
        .otherwise(pl.col("auto_debit_status")),
    )
    assert small_data.payments.filter(paid_late & ~due_later).height > 0
    changed = CanonicalData(small_data.customers, small_data.transactions, payments)
    assert_same(base, features(changed))


def test_compute_sees_events_just_before_as_of(small_data: CanonicalData) -> None:
    t = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    extra = pl.DataFrame(
        {
            "transaction_id": ["X1"],
            "customer_id": [small_data.customers["customer_id"][0]],
            "timestamp": [t - timedelta(seconds=1)],
            "amount": [-500.0],
            "category": ["gambling"],
            "channel": ["online"],
            "balance_after": [0.0],
        }
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("us")))
    changed = CanonicalData(
        small_data.customers, pl.concat([small_data.transactions, extra]), small_data.payments
    )
    before = features(small_data).row(0, named=True)
    after = features(changed).row(0, named=True)
    assert after["gambling_count"] == before["gambling_count"] + 1


def test_compute_lookback_excludes_older_events(small_data: CanonicalData) -> None:
    t = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    recent = small_data.transactions.filter(pl.col("timestamp") >= t - timedelta(days=30))
    trimmed = CanonicalData(small_data.customers, recent, small_data.payments)
    short = compute_features(small_data, [AS_OF], lookback_days=30)
    cols = ["txn_count", "gambling_amount", "atm_amount", "spend_total"]
    left = short.select(cols).to_numpy()
    right = compute_features(trimmed, [AS_OF], lookback_days=30).select(cols).to_numpy()
    np.testing.assert_allclose(left, right)


def test_compute_single_customer_equals_batch(small_data: CanonicalData) -> None:
    dates = weekly_as_of_dates(small_data)[-3:]
    batch = compute_features(small_data, dates)
    for customer_id in small_data.customers["customer_id"].sample(8, seed=1).to_list():
        one = CanonicalData(
            small_data.customers.filter(pl.col("customer_id") == customer_id),
            small_data.transactions.filter(pl.col("customer_id") == customer_id),
            small_data.payments.filter(pl.col("customer_id") == customer_id),
        )
        assert_same(
            batch.filter(pl.col("customer_id") == customer_id), compute_features(one, dates)
        )


def test_compute_missing_family_gives_nan_not_zero(small_data: CanonicalData) -> None:
    no_transactions = CanonicalData(
        small_data.customers, small_data.transactions.clear(), small_data.payments
    )
    frame = features(no_transactions)
    for family in ("salary", "balance", "spending", "cash", "patterns"):
        values = frame.select(family_names(family)).to_numpy()
        assert np.isnan(values).all(), family
    payments = frame.select(family_names("payments")).to_numpy()
    assert not np.isnan(payments).all()
    assert frame["credit_due_count"].sum() > 0


def test_compute_customer_without_events_gets_zero_counts(small_data: CanonicalData) -> None:
    quiet = small_data.customers.head(1).with_columns(customer_id=pl.lit("QUIET"))
    data = CanonicalData(
        pl.concat([small_data.customers, quiet]), small_data.transactions, small_data.payments
    )
    row = features(data).filter(pl.col("customer_id") == "QUIET").row(0, named=True)
    assert row["txn_count"] == 0.0
    assert row["credit_due_count"] == 0.0
    assert np.isnan(row["salary_mean_amount"])


def test_compute_rejects_too_short_lookback(small_data: CanonicalData) -> None:
    with pytest.raises(ValueError, match="lookback_days"):
        compute_features(small_data, [AS_OF], lookback_days=7)


def test_compute_customers_opened_later_are_absent(small_data: CanonicalData) -> None:
    later = small_data.customers.with_columns(
        open_date=pl.when(pl.col("customer_id") == "C0000")
        .then(AS_OF)
        .otherwise(pl.col("open_date"))
    )
    frame = features(CanonicalData(later, small_data.transactions, small_data.payments))
    assert "C0000" not in frame["customer_id"].to_list()


def test_compute_balance_features_match_numpy(small_data: CanonicalData) -> None:
    row = features(small_data).row(0, named=True)
    t = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    rows = small_data.transactions.filter(
        (pl.col("customer_id") == row["customer_id"])
        & (pl.col("timestamp") >= t - timedelta(days=90))
        & (pl.col("timestamp") < t)
    ).sort("timestamp")
    days = np.array([(ts - t).total_seconds() / 86_400 for ts in rows["timestamp"].to_list()])
    balance = rows["balance_after"].to_numpy()
    assert row["balance_slope"] == pytest.approx(np.polyfit(days, balance, 1)[0], rel=1e-6)
    assert row["balance_last"] == pytest.approx(balance[-1])
    assert row["balance_std"] == pytest.approx(balance.std(ddof=1))


def features_with_events(
    data: CanonicalData, category: str, events: list[tuple[float, float]]
) -> dict[str, object]:
    """The first customer's feature row after replacing its `category` transactions with
    `events`, each (days before AS_OF, amount)."""
    t = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    customer = data.transactions["customer_id"][0]
    others = data.transactions.filter(
        (pl.col("customer_id") != customer) | (pl.col("category") != category)
    )
    template = data.transactions.filter(pl.col("customer_id") == customer).head(1)
    added = pl.concat(
        [
            template.with_columns(
                timestamp=pl.lit(t - timedelta(days=age)),
                category=pl.lit(category),
                amount=pl.lit(amount),
            )
            for age, amount in events
        ]
    )
    changed = CanonicalData(data.customers, pl.concat([others, added]), data.payments)
    return features(changed).filter(pl.col("customer_id") == customer).row(0, named=True)


def test_compute_recent_features_weigh_by_age(small_data: CanonicalData) -> None:
    """An ATM withdrawal 14 days (one half-life) before t counts 0.5, one at t almost 1."""
    row = features_with_events(small_data, "atm_withdrawal", [(14, -50.0), (1e-6, -50.0)])
    assert row["recent_atm"] == pytest.approx(1.5, abs=1e-4)
    assert row["atm_count"] == 2


def test_compute_savings_counts_and_latest_flow(small_data: CanonicalData) -> None:
    # two transfers into savings, then one withdrawal
    row = features_with_events(
        small_data, "savings_transfer", [(60, -300.0), (30, -200.0), (5, 450.0)]
    )
    assert (row["savings_deposits"], row["savings_withdrawals"]) == (2, 1)
    assert row["savings_last_flow"] == pytest.approx(-450.0)
    assert row["savings_transfers"] == pytest.approx(50.0)
