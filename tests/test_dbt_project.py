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
    counts = build(loaded, AS_OF, unit_tests=True)
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
        (
            "DELETE FROM raw.erp_fx_rates",
            "(?s)not_null_columns_int_open_items_enriched.*column_name=fx_rate_to_reporting, null_rows=",
        ),
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
    with pytest.raises(DbtBuildError, match="the as-of date is required"):
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


def test_without_payment_applications_receipts_are_applied_fifo(loaded):
    # Hand-computed (tests/fixtures/README.md): C1's credits CN1 100 (02-15) and P1 600 (02-20)
    # fill I1 (due 01-31) before I2 (due 03-03): I1 300 open, I2 untouched. Same as the ERP's
    # own applications in this fixture, now reached by the FIFO fallback, and the run says so.
    con = duckdb.connect(str(loaded.warehouse_path))
    con.execute("DELETE FROM raw.erp_payment_applications")
    con.close()
    build(loaded, AS_OF)
    rows = [(i, c, float(o), float(rc), d, b) for i, c, o, rc, d, b in _open_items(loaded)]
    assert rows == [
        ("I1", "C1", 300.0, 300.0, 59, "dpd_31_60"),
        ("I2", "C1", 500.0, 500.0, 28, "dpd_1_30"),
        ("I3", "C2", 200.0, 1420.0, -11, "not_due"),
    ]
    con = duckdb.connect(str(loaded.warehouse_path), read_only=True)
    applications = con.execute(
        """SELECT application_method, invoice_id, payment_id, credit_note_id, amount_applied, applied_date
           FROM intermediate.int_payment_applications_unified ORDER BY applied_date"""
    ).fetchall()
    con.close()
    assert [(m, i, p, cn, float(a), d.isoformat()) for m, i, p, cn, a, d in applications] == [
        ("fifo", "I1", None, "CN1", 100.0, "2026-02-15"),
        ("fifo", "I1", "P1", None, 600.0, "2026-02-20"),
    ]
    log = (loaded.home / "dbt" / "logs" / "dbt.log").read_text()
    assert "Payment applications: 2 rows by method fifo" in log


def test_aggregates_on_the_fixture(loaded):
    # Company row: buckets 300 (31-60) + 500 (1-30) + 1420 (not due) = 2220; overdue 800 in 2 documents.
    build(loaded, AS_OF)
    con = duckdb.connect(str(loaded.warehouse_path), read_only=True)
    company = con.execute(
        """SELECT not_due_amount_rc, dpd_1_30_amount_rc, dpd_31_60_amount_rc, total_open_ar_rc, overdue_amount_rc,
                  overdue_invoice_count, open_invoice_count, unapplied_cash_rc, net_open_ar_rc
           FROM marts.agg_ar_aging WHERE as_of_date = ? AND scope_type = 'company'""",
        [AS_OF],
    ).fetchone()
    ranks = con.execute(
        "SELECT customer_rank, customer_id, open_amount_rc FROM marts.agg_ar_concentration WHERE as_of_date = ?",
        [AS_OF],
    ).fetchall()
    summary = con.execute(
        "SELECT customers_for_80_pct, hhi FROM intermediate.int_concentration_summary WHERE scope_type = 'company'"
    ).fetchone()
    con.close()
    assert [float(v) for v in company] == [1420, 500, 300, 2220, 800, 2, 3, 0, 2220]
    assert [(r, c, float(a)) for r, c, a in ranks] == [(1, "C2", 1420.0), (2, "C1", 800.0)]
    # C2 alone holds 1420/2220 = 64% < 80%, so both customers are needed; HHI = 0.6396^2 + 0.3604^2.
    assert summary[0] == 2
    assert float(summary[1]) == pytest.approx((1420 / 2220) ** 2 + (800 / 2220) ** 2, abs=1e-9)


def test_item_history_keeps_a_daily_window_and_month_ends(loaded, tmp_path, monkeypatch):
    import ar_risk.config as config

    project = tmp_path / "dbt_project"
    shutil.copytree(loaded.dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    settings_file = project / "dbt_project.yml"
    settings_file.write_text(
        settings_file.read_text().replace("item_history_daily_days: 92", "item_history_daily_days: 30")
    )
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path)
    for day in (dt.date(2026, 1, 31), dt.date(2026, 2, 14), AS_OF):
        build(loaded, day)
    con = duckdb.connect(str(loaded.warehouse_path), read_only=True)
    item_dates = [
        r[0] for r in con.execute("SELECT DISTINCT as_of_date FROM marts.fct_ar_open_items ORDER BY 1").fetchall()
    ]
    aging_dates = [
        r[0] for r in con.execute("SELECT DISTINCT as_of_date FROM marts.agg_ar_aging ORDER BY 1").fetchall()
    ]
    con.close()
    # 2026-02-14 is 45 days before 2026-03-31 and not a month-end: dropped; 01-31 is a month-end: kept.
    assert item_dates == [dt.date(2026, 1, 31), AS_OF]
    # The aggregates keep every date.
    assert aging_dates == [dt.date(2026, 1, 31), dt.date(2026, 2, 14), AS_OF]


def _rows(settings, sql):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_incremental_staging_equals_a_full_rebuild(loaded):
    """The daily build re-stages only keys with a new raw version; the result equals a full rebuild."""
    build(loaded, AS_OF)
    # The next extraction as raw records it: new versions of some keys with a later _loaded_at.
    next_load = "TIMESTAMP '2030-01-01' AS _loaded_at, 'b2' AS _batch_id"
    con = duckdb.connect(str(loaded.warehouse_path))
    for invoice, change in (
        # I2's amount corrected at the source: the newer version wins
        ("I2", "amount + 100 AS amount, updated_at + INTERVAL 1 DAY AS updated_at"),
        # I3 deleted at the source: it disappears
        ("I3", "true AS is_deleted, updated_at + INTERVAL 1 DAY AS updated_at"),
        # an older version of I1 re-sent: the stored, newer one stays
        ("I1", "amount - 1 AS amount, updated_at - INTERVAL 1 DAY AS updated_at"),
    ):
        con.execute(
            f"INSERT INTO raw.erp_invoices SELECT * REPLACE ({change}, {next_load})"
            " FROM raw.erp_invoices WHERE invoice_id = ?",
            [invoice],
        )
    con.close()

    build(loaded, AS_OF)
    staging = "SELECT * FROM staging.stg_erp__invoices ORDER BY invoice_id"
    open_items = "SELECT * FROM marts.fct_ar_open_items ORDER BY as_of_date, invoice_id"
    incremental = _rows(loaded, staging), _rows(loaded, open_items)
    assert [r[0] for r in incremental[0]] == ["CN1", "I1", "I2"]
    assert [float(r[6]) for r in incremental[0] if r[0] in ("I1", "I2")] == [1000.0, 600.0]

    build(loaded, AS_OF, full_refresh=True)
    assert (_rows(loaded, staging), _rows(loaded, open_items)) == incremental


# The ledger and what reads it, compared between an incremental and a full build
# (the ledger without its lineage column, which records when each row was written).
LEDGER_READERS = {
    "ledger": "SELECT * EXCLUDE (_source_loaded_through) FROM intermediate.int_ar_ledger"
    " ORDER BY movement_type, movement_id",
    "movements": "SELECT * FROM intermediate.int_kpi_ar_movements ORDER BY movement_type, movement_id",
    "balances": "SELECT * FROM intermediate.int_kpi_balances_by_date ORDER BY balance_date, invoice_id",
    "history": "SELECT * FROM intermediate.int_customer_document_history ORDER BY invoice_id",
    "kpis": "SELECT * FROM marts.agg_ar_kpis ORDER BY as_of_date, scope_type, scope_id",
}


def test_incremental_ledger_equals_a_full_rebuild(loaded):
    """int_ar_ledger re-derives only the documents touched since the last build, and equals a full rebuild."""
    build(loaded, AS_OF)
    before = {name: _rows(loaded, sql) for name, sql in LEDGER_READERS.items()}
    assert [r[1] for r in before["ledger"]] == ["A2", "CN1", "A1", "I1", "I2", "I3"]

    next_load = "TIMESTAMP '2030-01-01' AS _loaded_at, 'b2' AS _batch_id"
    con = duckdb.connect(str(loaded.warehouse_path))
    for table, key, value, change in (
        # a document corrected at the source: all its movements carry the new amount
        ("erp_invoices", "invoice_id", "I2", "amount + 100 AS amount, updated_at + INTERVAL 1 DAY AS updated_at"),
        # a receipt re-applied to another document: it leaves I1 and reduces I2
        (
            "erp_payment_applications",
            "application_id",
            "A1",
            "'I2' AS invoice_id, updated_at + INTERVAL 1 DAY AS updated_at",
        ),
        # a credit application deleted at the source: its movement goes
        (
            "erp_payment_applications",
            "application_id",
            "A2",
            "true AS is_deleted, updated_at + INTERVAL 1 DAY AS updated_at",
        ),
        # the credit note itself deleted: its posting goes too
        ("erp_invoices", "invoice_id", "CN1", "true AS is_deleted, updated_at + INTERVAL 1 DAY AS updated_at"),
        # an earlier USD rate restated: I3 (2026-02-10) now converts at 7.0, not 7.1
        ("erp_fx_rates", "rate_date", "2026-01-01", "DATE '2026-02-05' AS rate_date, 7.0 AS rate_to_reporting"),
    ):
        con.execute(
            f"INSERT INTO raw.{table} SELECT * REPLACE ({change}, {next_load}) FROM raw.{table} WHERE {key} = ?",
            [value],
        )
    con.close()

    build(loaded, AS_OF)
    incremental = {name: _rows(loaded, sql) for name, sql in LEDGER_READERS.items()}
    ledger = {(r[0], r[1]): r for r in incremental["ledger"]}
    assert sorted(ledger) == [("receipt_applied", "A1"), ("sale", "I1"), ("sale", "I2"), ("sale", "I3")]
    assert ledger[("receipt_applied", "A1")][2] == "I2"
    assert float(ledger[("sale", "I2")][7]) == 600.0  # document_amount
    assert float(ledger[("sale", "I3")][9]) == 1400.0  # amount_rc: 200 USD at 7.0
    assert incremental != before

    build(loaded, AS_OF, full_refresh=True)
    assert {name: _rows(loaded, sql) for name, sql in LEDGER_READERS.items()} == incremental
