"""The dbt project on the hand-made fixture: values checked by hand (tests/fixtures/README.md)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import DbtBuildError, build, run_dbt

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture
def loaded(tiny_settings):
    load_landing(tiny_settings, batch_id="b1")
    return tiny_settings


def _open_items(settings, as_of=AS_OF):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            """SELECT invoice_id, customer_id, open_amount, open_amount_rc, days_past_due, aging_bucket
               FROM marts.fct_ar_open_items WHERE as_of_date = ? ORDER BY invoice_id""",
            [as_of],
        ).fetchall()
    finally:
        con.close()


def test_open_items_match_the_hand_computed_fixture(loaded):
    counts = build(loaded, AS_OF)
    assert counts.get("error", 0) == 0 and counts.get("fail", 0) == 0
    assert counts["pass"] >= 60  # data tests, unit test and models all ran
    rows = [(i, c, float(o), float(rc), d, b) for i, c, o, rc, d, b in _open_items(loaded)]
    assert rows == [
        ("I1", "C1", 300.0, 300.0, 59, "dpd_31_60"),
        ("I2", "C1", 500.0, 500.0, 28, "dpd_1_30"),
        ("I3", "C2", 200.0, 1420.0, -11, "not_due"),
    ]


def test_bi_contract_column_types_are_fixed(loaded):
    build(loaded, AS_OF)
    con = duckdb.connect(str(loaded.warehouse_path), read_only=True)
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = 'fct_ar_open_items'"
        ).fetchall()
    )
    con.close()
    assert types["open_amount"] == types["open_amount_rc"] == types["original_amount"] == "DECIMAL(18,2)"
    assert types["fx_rate_to_reporting"] == "DECIMAL(18,8)"
    assert types["as_of_date"] == types["due_date"] == "DATE"
    assert types["days_past_due"] in ("INTEGER", "BIGINT")


def test_as_of_dates_accumulate_and_a_rerun_replaces_only_its_date(loaded):
    build(loaded, dt.date(2026, 2, 14))  # before the payment and the credit note: I1 fully open
    build(loaded, AS_OF)
    build(loaded, AS_OF)
    earlier = [(i, float(o), d) for i, _, o, _, d, _ in _open_items(loaded, dt.date(2026, 2, 14))]
    assert earlier == [("I1", 1000.0, 14), ("I2", 500.0, -17), ("I3", 200.0, -56)]
    assert len(_open_items(loaded)) == 3


@pytest.mark.parametrize(
    ("broken_raw_data", "failing_test"),
    [
        # a missing rate must fail the build instead of converting at 1.0
        ("DELETE FROM raw.erp_fx_rates", "not_null_int_open_items_enriched_fx_rate_to_reporting"),
        # applications above the document amount leave a negative open balance
        (
            "UPDATE raw.erp_payment_applications SET amount_applied = 950 WHERE application_id = 'A1'",
            "not_negative_int_documents_balanced_open_amount",
        ),
    ],
    ids=["missing_fx_rate", "over_applied_invoice"],
)
def test_bad_ledger_data_fails_the_build(loaded, broken_raw_data, failing_test):
    con = duckdb.connect(str(loaded.warehouse_path))
    con.execute(broken_raw_data)
    con.close()
    with pytest.raises(DbtBuildError, match=failing_test):
        build(loaded, AS_OF)


def test_as_of_date_var_is_required_and_validated(loaded):
    with pytest.raises(DbtBuildError, match="dbt var as_of_date is required"):
        run_dbt(loaded, ["build", "--select", "int_documents_balanced"], as_of_date=None)


def test_bad_aging_bucket_edges_are_rejected(loaded, tmp_path, monkeypatch):
    import ar_risk.config as config

    project = tmp_path / "dbt_project"
    shutil.copytree(loaded.dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    seed = project / "seeds" / "aging_buckets.csv"
    seed.write_text(seed.read_text().replace("dpd_31_60,2,31,60", "dpd_31_60,2,32,60"))  # a one-day gap
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path)
    with pytest.raises(DbtBuildError, match="assert_aging_buckets_contiguous"):
        build(loaded, AS_OF)
