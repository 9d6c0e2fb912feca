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

The module adds to its copy of the fixture (tests/fixtures/landing_tiny_ml_extra; the
shared fixture stays as it is): C2's invoices I4 (01-10, 400, due 02-09, paid in full 02-20), I5 (01-05, 300, due
01-20, written off in full 03-10) and I6 (2025-11-01, 100, due 2025-12-01, unpaid); on I1 a
dispute opened 02-10 and resolved 03-05, contacts on 02-05, 02-25 and 03-15 and a promise
made 02-25 to pay 300 by 03-10 (nothing paid after 02-20: broken); on I2 contacts on 03-20
and 03-31 and a promise made 03-20 to pay 500 by 04-15.

Observations (as of 03-31, cadence 1): the issue date, then each month-end after it while
the document is not closed before it. I1: 01-01, 01-31, 02-28, 03-31; I4: 01-10, 01-31 (paid
02-20, so no 02-28); I5: 01-05, 01-31, 02-28 (closed 03-10); I6: 2025-11-01 and five
month-ends 11-30 ... 03-31.

Document state of I1 (facts dated before d):
- at 02-28: 28 days past due; credit 100 (02-16) + receipt 600 (02-20) -> share paid 0.7,
  1 receipt, open 300; dispute open (opened 02-10, resolved 03-05 >= d); promise made
  02-25, promised 03-10 >= d -> active, not broken; contacts in [01-29, 02-28): 02-05,
  02-25 -> 2.
- at 03-31: 59 days past due; dispute resolved 03-05 -> 0; promise date 03-10 passed
  without the 300 -> broken, not active; contacts in [03-01, 03-31): 03-15 -> 1.
- scoring at 04-01: 60 days past due, broken 1, contacts in [03-02, 04-01): 1.
I2 at 03-31: 28 days past due, promise (made 03-20, due 04-15) active, contacts 1 (03-20;
the one on 03-31 is dated on d and does not count); scoring at 04-01: 29, active, 2.

Labels (H = 30 days, default horizon 12 months, grace 0, 90 bad-debt days):
- I4 at 01-10: paid 02-20 after the due date 02-09 -> is_late 1; not paid before 02-09
  (01-10 + 30) -> is_paid_30d 0; paid before any default -> is_default 0; days_to_pay 41.
  At 01-31: before the due date -> is_late 1; paid before 03-02 -> is_paid_30d 1; 20 days.
- I5 (written off 03-10 = its default date): is_default 1 at 01-05, 01-31 and 02-28;
  is_late 1 at 01-05 (unpaid at due), null at 01-31 and 02-28 (after the due date).
- I6: default date 12-01 + 91 = 2026-03-02 (unpaid by 03-01, and 03-31 is past that). At
  02-28: not yet in default, is_default 1; at 03-31: in default (03-02 < 03-31) -> is_default
  null; is_paid_30d 0 at 02-28 (03-30 <= 03-31), null at 03-31 (04-30 not reached).
- I1 at 03-31: is_paid_30d null (04-30 not reached), is_default null (unpaid, 90 days past
  due not reached until 05-01, horizon not reached).

The leakage test then proves on generated data that changing anything dated on or
after a cut-off date leaves every feature of every observation dated up to it (issue
dates and month-ends) unchanged (a fact dated on the observation date itself must not
count either).
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


# Laid over this module's copy of the tiny fixture (worked by hand in the module docstring).
EXTRA_LANDING = TINY_LANDING.parent / "landing_tiny_ml_extra"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    home = tmp_path_factory.mktemp("ml_tiny") / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    shutil.copytree(EXTRA_LANDING, home / "landing", dirs_exist_ok=True)
    settings = settings_for(home)
    load_landing(settings, batch_id="b1")
    build(settings, AS_OF)
    build_training_features(settings, AS_OF)
    return settings


def test_training_features_of_i2_match_the_hand_computation(tiny):
    (row,) = _row(tiny, "select * from ml.invoice_features where invoice_id = 'I2' and observation_kind = 'issue'")
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
    assert scored == {"I1", "I2", "I3", "I6"}  # the open debit documents of fct_ar_open_items


def test_labels_of_the_tiny_fixture(tiny):
    labels = {r["invoice_id"]: (r["is_late"], r["is_90_plus_late"], r["paid_date"]) for r in
              _row(tiny, "select * from ml.int_ml_document_outcomes")}  # fmt: skip
    assert labels == {
        "I1": (1, None, None),  # 300 still open
        "I2": (1, None, None),
        "I3": (None, None, None),  # due 2026-04-11: not known at 03-31
        "I4": (1, 0, dt.date(2026, 2, 20)),
        "I5": (1, None, None),  # written off, not paid
        "I6": (1, 1, None),
    }


DOC_STATE = ["doc_days_past_due", "doc_share_paid", "doc_partial_receipts", "doc_open_dispute", "doc_active_promise",
             "doc_broken_promise", "doc_contacts_30d"]  # fmt: skip


def test_observations_over_the_documents_life(tiny):
    rows = _row(tiny, "select invoice_id, observation_date, observation_kind from ml.invoice_features")
    got = {}
    for r in rows:
        got.setdefault(r["invoice_id"], []).append((r["observation_date"].isoformat(), r["observation_kind"]))
    month_ends = ["2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31"]
    assert {k: sorted(v) for k, v in got.items()} == {
        "I1": [("2026-01-01", "issue")] + [(d, "month_end") for d in month_ends[2:]],
        "I2": [("2026-02-01", "issue")] + [(d, "month_end") for d in month_ends[3:]],
        "I3": [("2026-02-10", "issue")] + [(d, "month_end") for d in month_ends[3:]],
        "I4": [("2026-01-10", "issue"), ("2026-01-31", "month_end")],  # paid 02-20
        "I5": [("2026-01-05", "issue"), ("2026-01-31", "month_end"), ("2026-02-28", "month_end")],  # closed 03-10
        "I6": [("2025-11-01", "issue")] + [(d, "month_end") for d in month_ends],
    }


def test_document_state_features_match_the_hand_computation(tiny):
    def state(table, invoice_id, day):
        sql = f"select * from ml.{table} where invoice_id = ? and observation_date = ?"
        (row,) = _row(tiny, sql, [invoice_id, day])
        return {k: float(row[k]) for k in [*DOC_STATE, "open_amount_rc", "in_default_at_observation"]}

    # order: days past due, share paid, receipts, dispute, active promise, broken promise, contacts 30d, open, default
    expected = {
        ("invoice_features", "I1", "2026-01-31"): (0, 0, 0, 0, 0, 0, 0, 1000, 0),
        ("invoice_features", "I1", "2026-02-28"): (28, 0.7, 1, 1, 1, 0, 2, 300, 0),
        ("invoice_features", "I1", "2026-03-31"): (59, 0.7, 1, 0, 0, 1, 1, 300, 0),
        ("open_invoice_features", "I1", "2026-04-01"): (60, 0.7, 1, 0, 0, 1, 1, 300, 0),
        ("invoice_features", "I2", "2026-02-01"): (-30, 0, 0, 0, 0, 0, 0, 500, 0),
        ("invoice_features", "I2", "2026-03-31"): (28, 0, 0, 0, 1, 0, 1, 500, 0),
        ("open_invoice_features", "I2", "2026-04-01"): (29, 0, 0, 0, 1, 0, 2, 500, 0),
        ("invoice_features", "I6", "2026-02-28"): (89, 0, 0, 0, 0, 0, 0, 100, 0),
        ("invoice_features", "I6", "2026-03-31"): (120, 0, 0, 0, 0, 0, 0, 100, 1),
        ("open_invoice_features", "I6", "2026-04-01"): (121, 0, 0, 0, 0, 0, 0, 100, 1),
    }
    names = [*DOC_STATE, "open_amount_rc", "in_default_at_observation"]
    got = {key: state(*key) for key in expected}
    assert got == {key: pytest.approx(dict(zip(names, map(float, v), strict=True))) for key, v in expected.items()}


def test_the_three_labels_of_the_tiny_fixture(tiny):
    rows = _row(tiny, "select invoice_id, observation_date, is_late, is_paid_30d, is_default, days_to_pay "
                "from ml.invoice_features where invoice_id in ('I1', 'I4', 'I5', 'I6')")  # fmt: skip
    got = {(r["invoice_id"], r["observation_date"].isoformat()): (r["is_late"], r["is_paid_30d"], r["is_default"],
           r["days_to_pay"]) for r in rows}  # fmt: skip
    assert got == {
        # (is_late, is_paid_30d, is_default, days_to_pay)
        ("I1", "2026-01-01"): (1, 0, None, None),
        ("I1", "2026-01-31"): (1, 0, None, None),  # observed on the due date: still "not yet past due"
        ("I1", "2026-02-28"): (None, 0, None, None),
        ("I1", "2026-03-31"): (None, None, None, None),
        ("I4", "2026-01-10"): (1, 0, 0, 41),
        ("I4", "2026-01-31"): (1, 1, 0, 20),
        ("I5", "2026-01-05"): (1, 0, 1, None),
        ("I5", "2026-01-31"): (None, 0, 1, None),
        ("I5", "2026-02-28"): (None, 0, 1, None),
        ("I6", "2025-11-01"): (1, 0, 1, None),
        ("I6", "2025-11-30"): (1, 0, 1, None),
        ("I6", "2025-12-31"): (None, 0, 1, None),
        ("I6", "2026-01-31"): (None, 0, 1, None),
        ("I6", "2026-02-28"): (None, 0, 1, None),
        ("I6", "2026-03-31"): (None, None, None, None),  # in default since 03-02: not a prediction
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
    # contacts about a document (doc_contacts_30d): later ones removed
    f"delete from staging.stg_crm__activities where activity_date >= '{CUT}' and hash(activity_id) % 2 = 0",
    f"delete from staging.stg_crm__promises where cast(created_at as date) >= '{CUT}'",
    # a promise made before the cut-off but due after it: its outcome (now broken) is a later fact
    f"update staging.stg_crm__promises set promised_amount = promised_amount * 100 where promised_date >= '{CUT}'",
    f"update staging.stg_crm__disputes set resolved_date = null where opened_date >= '{CUT}'",
    f"update staging.stg_crm__disputes set resolved_date = resolved_date + 30 where resolved_date >= '{CUT}'",
    f"delete from staging.stg_erp__orders where order_date >= '{CUT}'",
    f"update staging.stg_erp__credit_limits set credit_limit = credit_limit * 2 where valid_from >= '{CUT}'",
]


def _features_up_to_cut(settings) -> pd.DataFrame:
    """Every observation dated up to the cut-off (issue dates and month-ends), with its features and state."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select invoice_id, observation_date, observation_kind, open_amount_rc, in_default_at_observation, "
            f"{', '.join(FEATURES)} from ml.invoice_features "
            "where observation_date <= ? order by invoice_id, observation_date",
            [CUT],
        ).df()
    finally:
        con.close()


def test_features_depend_only_on_data_dated_before_the_observation_date(tmp_path):
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
    # month-end observations and the document-state features are part of what is compared
    kinds = before["observation_kind"].value_counts()
    assert kinds["month_end"] > 1000 and kinds["issue"] > 1000
    for feature in ("doc_open_dispute", "doc_active_promise", "doc_broken_promise", "doc_contacts_30d",
                    "doc_partial_receipts"):  # fmt: skip
        assert before[feature].sum() > 0, feature
    assert before["in_default_at_observation"].sum() > 0
    # the change reached the warehouse: today's scoring features moved ...
    assert scoring_after != scoring_before
    # ... but no feature of an invoice issued up to the cut-off did
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-12)
