"""Amounts near the gate's ceiling build every model, the ML features and KPIs included (issue 20 §4).

The contract types money as DECIMAL(18,2) and the gate believes amounts up to
`amount_ceiling` (expectations/gate.yml, 10 billion). DuckDB computes a product of two
DECIMAL(18) values in 18 digits, so a 100-million credit limit times an 8-decimal FX rate
overflowed in `int_ml_customer_changes` at scale L and nothing was published. Here the
hand-made tiny landing's amounts are scaled up to billions, with credit limits near the
ceiling, and the daily build and the training features must build and keep their sums exact.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, build_training_features

from conftest import TINY_LANDING, settings_for

AS_OF = dt.date(2026, 3, 31)
FACTOR = 5_000_000  # 1,000.00 -> 5,000,000,000.00: below the 10-billion ceiling
MONEY_COLUMNS = ("amount", "amount_applied", "promised_amount", "disputed_amount")
LIMITS = (
    "customer_id,credit_limit,currency,valid_from,valid_to,approved_by,updated_at\n"
    "C1,9999999999.99,CNY,2026-01-01,,cfo,2026-01-01T00:00:00Z\n"
    "C2,101430000.00,CNY,2026-01-01,,cfo,2026-01-01T00:00:00Z\n"
)


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    home = tmp_path_factory.mktemp("large_amounts") / "ar_home"
    landing = home / "landing"
    shutil.copytree(TINY_LANDING, landing)
    shutil.copytree(TINY_LANDING.parent / "landing_tiny_ml_extra", landing, dirs_exist_ok=True)
    for path in landing.rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in set(MONEY_COLUMNS) & set(frame.columns):
            frame[column] = [f"{Decimal(v) * FACTOR:.2f}" if v else v for v in frame[column]]
        frame.to_csv(path, index=False)
    (landing / "erp_credit_limits").mkdir()
    (landing / "erp_credit_limits" / "limits.csv").write_text(LIMITS)
    settings = settings_for(home)
    report = load_landing(settings, batch_id="large")
    assert report.to_dict()["quality"]["rows_quarantined"] == 0
    return settings, build(settings, AS_OF), build_training_features(settings, AS_OF)


def test_every_model_and_test_builds_on_amounts_of_billions(large):
    _, daily, training = large
    for counts in (daily, training):
        assert counts.get("error", 0) == 0 and counts.get("fail", 0) == 0, counts
        assert counts.get("success", 0) > 0


def test_sums_stay_exact_to_the_cent(large):
    settings, _, _ = large
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        invoiced = con.execute(
            "select sum(amount) from raw.erp_invoices where document_type in ('invoice', 'debit_note')"
        ).fetchone()[0]
        open_ar, docs = con.execute(
            "select sum(open_amount_rc), count(*) from marts.fct_ar_open_items where as_of_date = ?", [AS_OF]
        ).fetchone()
        applied = con.execute("select coalesce(sum(amount_applied), 0) from raw.erp_payment_applications").fetchone()[0]
        written_off = con.execute("select coalesce(sum(amount), 0) from raw.erp_writeoffs").fetchone()[0]
        utilisation = con.execute(
            "select customer_id, cur_open_ar_rc, cur_credit_utilisation from ml.invoice_features "
            "where observation_date >= date '2026-01-01' and cur_open_ar_rc > 0"
        ).fetchall()
    finally:
        con.close()
    assert docs > 0 and invoiced > 10**9
    # every amount is a multiple of the factor's cents: an exact build leaves open AR one too
    assert Decimal(open_ar) % FACTOR == 0, open_ar
    assert Decimal(open_ar) <= Decimal(invoiced) - Decimal(applied) - Decimal(written_off) + FACTOR * 10**4
    # the credit limits near the ceiling reach the features: utilisation = open AR / limit
    limits = {"C1": 9999999999.99, "C2": 101430000.00}
    checked = [(c, o, u) for c, o, u in utilisation if c in limits]
    assert checked, utilisation
    for customer, open_rc, share in checked:
        assert share == pytest.approx(float(open_rc) / limits[customer], rel=1e-6), (customer, open_rc, share)
