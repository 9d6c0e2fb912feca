"""The model's point-in-time features and labels (dbt models under dbt_project/models/ml).

Worked by hand on tests/fixtures/landing_tiny (docs/model.md, "Features"):

Training row I2 (C1, issued 2026-02-01, 500.00, due 2026-03-03, a Tuesday). Before
2026-02-01, C1 had only I1 (issued 2026-01-01, 1000.00, due 2026-01-31), unpaid:
open AR 1000, overdue 1000 (due date before the 1st), one overdue invoice 1 day past
due, no paid history, typical invoice 1000 -> amount vs typical 0.5, terms 30 days,
tenure 31 days, sales of the last 365 days 1000. No credit limit -> utilisation null.

Scoring row I1 at 2026-03-31, observed 2026-04-01: C1's movements before 04-01 are
I1 +1000, credit note applied -100 (02-16), receipt -600 (02-20), I2 +500 -> open AR
800; both invoices past due -> overdue 800, 2 overdue invoices, oldest 60 days
(04-01 - 01-31), average (60 + 29) / 2 = 44.5; I1 is not paid in full, so no paid
history. Labels: I1 late (not paid by 01-31), 90+ not known yet (01-31 + 90 = 05-01).

The leakage test then proves on generated data that changing anything dated on or
after a cut-off date leaves every feature of invoices issued up to it unchanged
(a fact dated on the issue date itself must not count either).
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest
from ar_risk_ml.config import load_features

from ar_risk.demo.generator import generate
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, build_training_features, run_dbt

from conftest import TINY_LANDING, settings_for

AS_OF = dt.date(2026, 3, 31)
FEATURES = [f.name for f in load_features()]


def _row(settings, sql, params=()):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    return rows


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    home = tmp_path_factory.mktemp("ml_tiny") / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    settings = settings_for(home)
    load_landing(settings, batch_id="b1")
    build(settings, AS_OF)
    build_training_features(settings, AS_OF)
    return settings


def test_training_features_of_i2_match_the_hand_computation(tiny):
    (row,) = _row(tiny, "select * from ml.invoice_features where invoice_id = 'I2'")
    expected = {
        "cur_open_ar_rc": 1000, "cur_overdue_ar_rc": 1000, "cur_overdue_share": 1.0, "cur_overdue_invoices": 1,
        "cur_max_days_past_due": 1, "cur_avg_days_past_due": 1, "hist_paid_invoices": 0,
        "rel_invoices_before": 1, "inv_amount_vs_typical": 0.5, "inv_payment_terms_days": 30, "rel_tenure_days": 31,
        "rel_sales_365_rc": 1000, "inv_due_day_of_month": 3, "inv_due_on_weekend": 0, "inv_amount_rc": 500,
    }  # fmt: skip
    assert {k: float(row[k]) for k in expected} == pytest.approx({k: float(v) for k, v in expected.items()})
    for unknown in (
        "hist_avg_days_late",
        "hist_share_late",
        "cur_credit_utilisation",
        "hist_last_payment_day_of_month",
    ):
        assert row[unknown] is None, unknown
    # I2 was due 2026-03-03 and is unpaid at 03-31: late; the 90+ label is not known before 06-01
    assert (row["is_late"], row["is_90_plus_late"]) == (1, None)


def test_scoring_features_of_i1_match_the_hand_computation(tiny):
    (row,) = _row(tiny, "select * from ml.open_invoice_features where invoice_id = 'I1'")
    assert row["observation_date"] == dt.date(2026, 4, 1)
    assert float(row["open_amount_rc"]) == 300
    got = {
        k: float(row[k])
        for k in (
            "cur_open_ar_rc",
            "cur_overdue_ar_rc",
            "cur_overdue_invoices",
            "cur_max_days_past_due",
            "cur_avg_days_past_due",
            "rel_invoices_before",
        )
    }
    assert got == pytest.approx({"cur_open_ar_rc": 800, "cur_overdue_ar_rc": 800, "cur_overdue_invoices": 2,
                                 "cur_max_days_past_due": 60, "cur_avg_days_past_due": 44.5,
                                 "rel_invoices_before": 2})  # fmt: skip
    scored = {r["invoice_id"] for r in _row(tiny, "select invoice_id from ml.open_invoice_features")}
    assert scored == {"I1", "I2", "I3"}  # the open debit documents of fct_ar_open_items


def test_labels_of_the_tiny_fixture(tiny):
    labels = {r["invoice_id"]: (r["is_late"], r["is_90_plus_late"], r["paid_date"]) for r in
              _row(tiny, "select * from ml.int_ml_document_outcomes")}  # fmt: skip
    assert labels == {
        "I1": (1, None, None),  # 300 still open
        "I2": (1, None, None),
        "I3": (None, None, None),  # due 2026-04-11: not known at 03-31
    }


# --- no leakage, on generated data --------------------------------------------------------------

CUT = dt.date(2026, 6, 30)
GEN_AS_OF = dt.date(2026, 10, 31)

# Everything dated on or after CUT is changed or removed; nothing dated before it is touched.
LATER_ROWS_CHANGED = [
    f"delete from staging.stg_erp__payment_applications where applied_date >= '{CUT}' and hash(application_id) % 2 = 0",
    f"update staging.stg_erp__payment_applications set applied_date = applied_date + 3, _loaded_at = now() "
    f"where applied_date >= '{CUT}'",
    f"delete from staging.stg_erp__writeoffs where writeoff_date >= '{CUT}'",
    # documents issued after the cut-off (one issued on it is its own observation: its amount is known)
    f"update staging.stg_erp__invoices set document_amount = document_amount * 3, _loaded_at = now() "
    f"where invoice_date > '{CUT}'",
    f"update staging.stg_crm__activities set outcome = 'refused' where activity_date >= '{CUT}'",
    f"delete from staging.stg_crm__promises where cast(created_at as date) >= '{CUT}'",
    # a promise made before the cut-off but due after it: its outcome (now broken) is a later fact
    f"update staging.stg_crm__promises set promised_amount = promised_amount * 100 where promised_date >= '{CUT}'",
    f"update staging.stg_crm__disputes set resolved_date = null where opened_date >= '{CUT}'",
    f"update staging.stg_crm__disputes set resolved_date = resolved_date + 30 where resolved_date >= '{CUT}'",
    f"delete from staging.stg_erp__orders where order_date >= '{CUT}'",
    f"update staging.stg_erp__credit_limits set credit_limit = credit_limit * 2 where valid_from >= '{CUT}'",
]


def _features_up_to_cut(settings) -> pd.DataFrame:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            f"select invoice_id, {', '.join(FEATURES)} from ml.invoice_features "
            "where invoice_date <= ? order by invoice_id",
            [CUT],
        ).df()
    finally:
        con.close()


def test_features_depend_only_on_data_dated_before_the_issue_date(tmp_path):
    settings = settings_for(tmp_path / "ar_home")
    generate(settings.landing_dir, scale="XS", seed=7, file_format="parquet", end_date=GEN_AS_OF)
    load_landing(settings, batch_id="b1")
    build(settings, GEN_AS_OF)
    build_training_features(settings, GEN_AS_OF)
    before = _features_up_to_cut(settings)
    scoring_before = _row(settings, "select sum(cur_open_ar_rc) as s, count(*) as n from ml.open_invoice_features")

    con = duckdb.connect(str(settings.warehouse_path))
    try:
        for statement in LATER_ROWS_CHANGED:
            con.execute(statement)
    finally:
        con.close()
    # the ledger, the promise judgements and the ml models rebuilt from the changed staging tables
    # (the other marts are not: they would no longer reconcile with the unchanged raw tables)
    models = ["int_ar_ledger", "int_kpi_ar_movements", "int_payment_applications_unified", "int_promises_evaluated"]
    run_dbt(settings, ["run", "--full-refresh", "--select", *models, "tag:ml"], as_of_date=GEN_AS_OF)
    after = _features_up_to_cut(settings)
    scoring_after = _row(settings, "select sum(cur_open_ar_rc) as s, count(*) as n from ml.open_invoice_features")

    assert len(before) > 1000
    # the change reached the warehouse: today's scoring features moved ...
    assert scoring_after != scoring_before
    # ... but no feature of an invoice issued up to the cut-off did
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-12)
