"""Bad inputs (issue 4 §6): each stops with a clear error or is quarantined, and the last
publication stays byte-identical.

One real publication is made once per module (extract -> dbt build -> publish, through the
same Python functions the DAG tasks call). Each case copies that home, drops a bad file into
its landing folder and runs the pipeline the way the DAGs do: extract first, and only if the
extract passes, build and publish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil

import duckdb
import pytest

from ar_risk.extract.landing import LandingError, load_landing
from ar_risk.publish.serving import publish_marts
from ar_risk.quality import QualityGateError
from ar_risk.transform.dbt import build

from conftest import TINY_LANDING, settings_for

AS_OF = dt.date(2026, 3, 31)
INVOICE_HEADER = (
    "invoice_id,customer_id,document_type,invoice_date,due_date,amount,currency,order_id,sales_rep_id,updated_at"
)
GOOD_INVOICE = "I20,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_pipeline(settings, batch_id: str):
    """extract -> build -> publish, stopping at the first error, as the DAG chain does."""
    report = load_landing(settings, batch_id=batch_id)
    counts = build(settings, AS_OF)
    assert counts.get("error", 0) == 0 and counts.get("fail", 0) == 0, counts
    publish_marts(settings, run_id=batch_id, as_of_date=AS_OF)
    return report


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("bad_inputs") / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    settings = settings_for(home)
    _run_pipeline(settings, "good")
    return home


@pytest.fixture
def case(published, tmp_path):
    """A copy of the published home: its own landing folder, warehouse and serving file."""
    home = tmp_path / "ar_home"
    shutil.copytree(published, home, ignore=shutil.ignore_patterns("gx", "tmp", "dbt_target*", "logs"))
    settings = settings_for(home)
    return settings, _digest(settings.serving_path)


def _write(settings, table: str, name: str, text: str | bytes) -> None:
    path = settings.landing_dir / table / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _query(settings, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _invoices(*lines: str) -> str:
    return "\n".join([INVOICE_HEADER, *lines]) + "\n"


STOPPING_CASES = {
    "empty file": ("erp_invoices", "new.csv", "", LandingError, r"erp_invoices: file .*new\.csv is empty"),
    "wrong encoding": (
        "erp_customers",
        "new.csv",
        (
            "customer_id,customer_name,parent_customer_id,region,country_code,industry,customer_since,"
            "sales_rep_id,payment_terms_days,credit_rating,is_active,updated_at\n"
            "C7,杭州新客户有限公司,,华东,CN,制造业,2026-01-01,,30,,true,2026-03-01T00:00:00Z\n"
        ).encode("gb18030"),
        LandingError,
        r"erp_customers: .*new\.csv is not a valid contract file: .*Line: 2",
    ),
    "unparseable date": (
        "erp_invoices",
        "new.csv",
        _invoices(GOOD_INVOICE, "I21,C1,invoice,2026/13/45,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z"),
        LandingError,
        r"erp_invoices\.invoice_date: value '2026/13/45' at line 3 of .*new\.csv is not a valid date",
    ),
    "duplicate keys": (
        "erp_invoices",
        "new.csv",
        _invoices(GOOD_INVOICE, GOOD_INVOICE.replace("10.00", "11.00")),
        QualityGateError,
        r"erp_invoices\.invoice_id: critical rule key_unique failed for 2 row\(s\) of .*new\.csv.*e\.g\. line 2: "
        r"\{\"invoice_id\":\"I20\"",
    ),
    "missing required column": (
        "erp_invoices",
        "new.csv",
        "invoice_id,customer_id,document_type,invoice_date,amount,currency,order_id,sales_rep_id,updated_at\n"
        "I20,C1,invoice,2026-03-01,10.00,CNY,,,2026-03-01T00:00:00Z\n",
        LandingError,
        r"erp_invoices: required column 'due_date' is missing in .*new\.csv",
    ),
    "renamed column": (
        "erp_invoices",
        "new.csv",
        _invoices(GOOD_INVOICE).replace("due_date", "due_on"),
        LandingError,
        r"erp_invoices: required column 'due_date' is missing in .*new\.csv; the source has columns: .*due_on",
    ),
}


@pytest.mark.parametrize("name", list(STOPPING_CASES))
def test_bad_input_stops_the_run_and_the_publication_is_untouched(case, name):
    settings, serving_digest = case
    table, file_name, content, error, message = STOPPING_CASES[name]
    before = _query(settings, f"SELECT count(*) FROM raw.{table}")
    _write(settings, table, file_name, content)
    with pytest.raises(error, match=message):
        _run_pipeline(settings, "bad")
    assert _digest(settings.serving_path) == serving_digest
    assert _query(settings, f"SELECT count(*) FROM raw.{table}") == before  # nothing half-loaded


QUARANTINE_CASES = {
    "negative amount": (
        "I21,C1,invoice,2026-03-01,2026-03-31,-10.00,CNY,,,2026-03-01T00:00:00Z",
        "amount_not_negative",
        "amount",
    ),
    "unknown customer": (
        "I21,C404,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z",
        "reference_known",
        "customer_id",
    ),
    "due before invoice date": (
        "I21,C1,invoice,2026-03-15,2026-03-01,10.00,CNY,,,2026-03-01T00:00:00Z",
        "due_on_or_after_invoice_date",
        "due_date",
    ),
}


@pytest.mark.parametrize("name", list(QUARANTINE_CASES))
def test_bad_rows_are_quarantined_and_the_extract_goes_on(case, name):
    settings, serving_digest = case
    line, rule, column = QUARANTINE_CASES[name]
    _write(settings, "erp_invoices", "new.csv", _invoices(GOOD_INVOICE, line))
    report = load_landing(settings, batch_id="b-quarantine")
    assert report.tables["erp_invoices"].rows_loaded == 1  # the good row
    assert report.to_dict()["quality"]["rows_quarantined"] == 1
    rows = _query(settings, "SELECT batch_id, source_row, rule, column_name, reason, row_json FROM raw._quarantine")
    assert len(rows) == 1
    batch_id, source_row, found_rule, found_column, reason, row_json = rows[0]
    assert (batch_id, source_row, found_rule, found_column) == ("b-quarantine", 3, rule, column)
    assert reason and '"invoice_id":"I21"' in row_json
    assert _query(settings, "SELECT count(*) FROM raw.erp_invoices WHERE invoice_id = 'I21'") == [(0,)]
    assert _digest(settings.serving_path) == serving_digest  # nothing downstream has run


def test_quarantined_rows_never_reach_the_publication(case):
    """The whole chain on a file with one good and two bad rows: only the good one is published."""
    settings, serving_digest = case
    _write(
        settings,
        "erp_invoices",
        "new.csv",
        _invoices(
            GOOD_INVOICE,
            "I21,C1,invoice,2026-03-01,2026-03-31,-10.00,CNY,,,2026-03-01T00:00:00Z",
            "I22,C404,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z",
        ),
    )
    report = _run_pipeline(settings, "b2")
    assert report.rows_quarantined == 2
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        published = {r[0] for r in con.execute("SELECT invoice_id FROM marts.fct_ar_open_items").fetchall()}
    finally:
        con.close()
    assert published == {"I1", "I2", "I3", "I20"}  # the fixture's open items plus the good new one
    assert _digest(settings.serving_path) != serving_digest  # a new publication, without the bad rows


def test_extra_column_is_kept_in_raw_and_reported(case):
    settings, _ = case
    _write(settings, "erp_invoices", "new.csv", _invoices(GOOD_INVOICE).replace("updated_at\n", "updated_at,VBELN\n", 1)
           .replace("00:00:00Z\n", "00:00:00Z,SO-9\n"))  # fmt: skip
    report = load_landing(settings, batch_id="b-extra")
    assert report.tables["erp_invoices"].extra_columns == ["VBELN"]
    assert _query(settings, "SELECT VBELN FROM raw.erp_invoices WHERE invoice_id = 'I20'") == [("SO-9",)]


def test_quotes_semicolons_and_sql_are_stored_verbatim_and_never_run(case):
    settings, _ = case
    name = "Robert'); DROP TABLE raw.erp_invoices; --"
    notes = "Said \"pay; tomorrow\"'; DELETE FROM raw.erp_customers WHERE '1'='1"
    _write(
        settings,
        "erp_customers",
        "new.csv",
        "customer_id,customer_name,parent_customer_id,region,country_code,industry,customer_since,"
        "sales_rep_id,payment_terms_days,credit_rating,is_active,updated_at\n"
        f'C9,"{name}",,华东,CN,制造业,2026-01-01,,30,,true,2026-03-01T00:00:00Z\n',
    )
    (settings.landing_dir / "crm_activities").mkdir()
    escaped = notes.replace('"', '""')
    _write(
        settings,
        "crm_activities",
        "a.csv",
        "activity_id,customer_id,invoice_id,contact_id,collector_id,activity_ts,channel,outcome,notes,updated_at\n"
        f'X1,C9,,,,2026-03-02T09:00:00+08:00,call,reached,"{escaped}",2026-03-02T01:00:00Z\n',
    )
    load_landing(settings, batch_id="b-sql")
    assert _query(settings, "SELECT customer_name FROM raw.erp_customers WHERE customer_id = 'C9'") == [(name,)]
    assert _query(settings, "SELECT notes FROM raw.crm_activities") == [(notes,)]
    assert _query(settings, "SELECT count(*) FROM raw.erp_invoices") == [(4,)]  # still there
    assert _query(settings, "SELECT count(*) FROM raw.erp_customers") == [(3,)]
