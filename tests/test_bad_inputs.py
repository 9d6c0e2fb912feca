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

from ar_risk.contract import TABLES
from ar_risk.extract.landing import LandingError, load_landing
from ar_risk.publish.serving import publish_marts
from ar_risk.quality import QualityGateError
from ar_risk.report.data import load_data_quality
from ar_risk.summary import render_summary
from ar_risk.transform.dbt import DbtBuildError, build

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
    path.parent.mkdir(exist_ok=True)  # an optional table the fixture does not have
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
            "I22,C404,invoice,2026-03-01,2026-03-31,-10.00,CNY,,,2026-03-01T00:00:00Z",  # fails two rules
        ),
    )
    report = _run_pipeline(settings, f"{AS_OF}__b2")
    assert report.rows_quarantined == 2
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        published = {r[0] for r in con.execute("SELECT invoice_id FROM marts.fct_ar_open_items").fetchall()}
        counts = con.execute("SELECT table_name, rows_quarantined FROM meta.quarantine_counts").fetchall()
        reasons = con.execute(
            "SELECT column_name, rule, rows_quarantined FROM meta.quarantine_reasons ORDER BY ALL"
        ).fetchall()
        quality = load_data_quality(con)["tables"].set_index("table_name")
    finally:
        con.close()
    assert published == {"I1", "I2", "I3", "I20"}  # the fixture's open items plus the good new one
    assert _digest(settings.serving_path) != serving_digest  # a new publication, without the bad rows
    # Rows, not rule failures (3 rule failures for 2 rows); rows validated are the file's 3 rows, not rows x rules.
    assert counts == [("erp_invoices", 2)]
    assert reasons == [("amount", "amount_not_negative", 2), ("customer_id", "reference_known", 1)]
    assert quality.loc["erp_invoices", "rows_validated"] == 3
    assert quality.loc["erp_invoices", "rows_quarantined"] == 2
    summary = render_summary(settings)
    assert "Quarantined rows 隔离行数" in summary
    assert "erp_invoices" in summary.split("Quarantined rows")[1]
    assert "amount amount_not_negative 2, customer_id reference_known 1" in summary


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


# --- issue 17: rows that would stop every later run, re-checks, silent acceptance ------------------

CUSTOMER_HEADER = (
    "customer_id,customer_name,parent_customer_id,region,country_code,industry,customer_since,"
    "sales_rep_id,payment_terms_days,credit_rating,is_active,updated_at"
)
PAYMENT_HEADER = "payment_id,customer_id,payment_date,amount,currency,method,updated_at"
APPLICATION_HEADER = "application_id,invoice_id,payment_id,credit_note_id,applied_date,amount_applied,updated_at"


def _csv(header: str, *lines: str) -> str:
    return "\n".join([header, *lines]) + "\n"


def _quarantined(settings, table: str) -> list[tuple]:
    return _query(
        settings,
        "SELECT json_extract_string(row_json, '$.' || ?), rule, reason FROM raw._quarantine "
        "WHERE table_name = ? AND released_at IS NULL ORDER BY ALL",
        [TABLES[table].key[0], table],
    )


# The fixture's ledger: I1 1,000.00 with 600.00 applied from P1 and 100.00 from credit note CN1
# (300.00 open); I2 500.00 open; CN1 fully used. Each poison row passed the gate before and then
# failed a dbt test on every later run.
POISON_ROWS = {
    "over-application": (
        {
            "erp_payments": _csv(PAYMENT_HEADER, "P2,C1,2026-03-01,5000000.00,CNY,bank_transfer,2026-03-01T00:00:00Z"),
            "erp_payment_applications": _csv(
                APPLICATION_HEADER,
                "A3,I1,P2,,2026-03-01,5000000.00,2026-03-01T00:00:00Z",  # I1 has 300.00 open
                "A4,I2,P2,,2026-03-01,200.00,2026-03-01T00:00:00Z",  # fits: loaded
            ),
        },
        "erp_payment_applications",
        [
            (
                "A3",
                "amount_applied_within_document",
                "total applied on invoice_id I1 to 5,000,700.00, more than its 1,000.00 available",
            )
        ],
    ),
    "credit note larger than the open balance": (
        {
            "erp_invoices": _invoices("CN2,C1,credit_note,2026-03-02,2026-03-02,10000.00,CNY,,,2026-03-02T00:00:00Z"),
            "erp_payment_applications": _csv(
                APPLICATION_HEADER,
                "A5,I2,,CN2,2026-03-02,10000.00,2026-03-02T00:00:00Z",  # I2 has 500.00
            ),
        },
        "erp_payment_applications",
        [("A5", "amount_applied_within_document", "invoice_id I2 to 10,000.00, more than its 500.00")],
    ),
    "write-off beyond the open balance": (
        {
            "erp_writeoffs": _csv(
                "writeoff_id,invoice_id,writeoff_date,amount,reason,updated_at",
                "W1,I1,2026-03-20,500.00,bankrupt,2026-03-20T00:00:00Z",  # I1 has 300.00 open
            )
        },
        "erp_writeoffs",
        [("W1", "amount_applied_within_document", "invoice_id I1 to 500.00, more than its 300.00 available")],
    ),
    "customer deleted while its documents live": (
        {
            "erp_customers": _csv(
                CUSTOMER_HEADER + ",is_deleted",
                "C1,上海宏达机械有限公司,,华东,CN,制造业,2020-01-01,R1,30,A,true,2026-03-05T00:00:00Z,true",
            )
        },
        "erp_customers",
        [("C1", "still_referenced", "4 live row(s) still point at it (3 erp_invoices.customer_id, 1 erp_payments")],
    ),
}


@pytest.mark.parametrize("name", list(POISON_ROWS))
def test_a_row_that_would_break_every_later_run_is_quarantined_at_the_gate(case, name):
    settings, _ = case
    files, table, expected = POISON_ROWS[name]
    for target, content in files.items():
        _write(settings, target, "poison.csv", content)
    load_landing(settings, batch_id="b-poison")
    found = _quarantined(settings, table)
    assert [(key, rule) for key, rule, _ in found] == [(key, rule) for key, rule, _ in expected]
    for (_, _, reason), (_, _, fragment) in zip(found, expected, strict=True):
        assert fragment in reason
    if name == "over-application":
        assert _query(settings, "SELECT amount_applied FROM raw.erp_payment_applications WHERE application_id = 'A4'")


def test_the_next_run_after_every_poison_row_builds_and_publishes(case):
    """All three at once: the gate keeps them out, so dbt's tests pass and the day is published."""
    settings, serving_digest = case
    (settings.landing_dir / "erp_customers" / "poison.csv").write_text(
        POISON_ROWS["customer deleted while its documents live"][0]["erp_customers"], encoding="utf-8"
    )
    for name in ("over-application", "credit note larger than the open balance"):
        for target, content in POISON_ROWS[name][0].items():
            _write(settings, target, f"poison_{len(name)}.csv", content)
    _run_pipeline(settings, "b-poison")
    assert _digest(settings.serving_path) != serving_digest
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    try:
        open_items = dict(con.execute("SELECT invoice_id, open_amount FROM marts.fct_ar_open_items").fetchall())
    finally:
        con.close()
    assert open_items["I1"] == 300 and open_items["I2"] == 300  # A4's 200.00 applied, A3 and A5 not


def test_a_failed_dbt_test_names_the_test_the_keys_and_the_source_file_and_line(case):
    """A row that reached raw before the gate knew the rule (here put there by hand) is traced to its file."""
    settings, _ = case
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute(
            """INSERT INTO raw.erp_payment_applications BY NAME
               SELECT 'A9' AS application_id, 'I2' AS invoice_id, 'P1' AS payment_id, DATE '2026-03-01' AS applied_date,
                      5000000.00 AS amount_applied, TIMESTAMP '2026-03-01' AS updated_at, 'old' AS _batch_id,
                      now()::TIMESTAMP AS _loaded_at, 'late_apps.csv' AS _source_file, 7 AS _source_row,
                      'x' AS _row_hash"""
        )
    finally:
        con.close()
    with pytest.raises(DbtBuildError) as failure:
        build(settings, AS_OF)
    message = str(failure.value)
    assert "not_negative_int_documents_balanced_open_amount" in message
    assert "invoice_id=I2" in message
    assert "erp_payment_applications A9 from late_apps.csv row 7 (line 8)" in message
    assert "erp_invoices i.csv row 2 (line 3)" in message


def test_a_payment_quarantined_for_an_unknown_customer_loads_when_the_customer_arrives(case):
    settings, _ = case
    _write(
        settings, "erp_payments", "p2.csv", _csv(PAYMENT_HEADER, "P9,C404,2026-03-01,50.00,CNY,,2026-03-01T00:00:00Z")
    )
    first = load_landing(settings, batch_id="2026-03-30__day1")
    assert first.tables["erp_payments"].rows_quarantined == 1
    assert _query(settings, "SELECT count(*) FROM raw.erp_payments WHERE payment_id = 'P9'") == [(0,)]
    # The next day the customer arrives; the payments file is re-sent unchanged (its hash is known).
    _write(
        settings,
        "erp_customers",
        "c2.csv",
        _csv(CUSTOMER_HEADER, "C404,新客户有限公司,,华东,CN,制造业,2026-01-01,,30,,true,2026-03-31T00:00:00Z"),
    )
    second = load_landing(settings, batch_id="2026-03-31__day2")
    assert second.tables["erp_payments"].rows_released_from_quarantine == 1
    assert _query(settings, "SELECT _source_file, _source_row FROM raw.erp_payments WHERE payment_id = 'P9'") == [
        ("p2.csv", 1)
    ]
    # Still visible in the quarantine, marked released by the day it loaded.
    assert _query(
        settings,
        "SELECT rule, starts_with(released_batch_id, '2026-03-31__day2') FROM raw._quarantine "
        "WHERE table_name = 'erp_payments'",
    ) == [("reference_known", True)]
    # A third run neither loads it twice nor re-checks it.
    load_landing(settings, batch_id="2026-04-01__day3")
    assert _query(settings, "SELECT count(*) FROM raw.erp_payments WHERE payment_id = 'P9'") == [(1,)]


def test_a_row_still_waiting_for_its_reference_stays_quarantined_once(case):
    settings, _ = case
    _write(
        settings, "erp_payments", "p2.csv", _csv(PAYMENT_HEADER, "P9,C404,2026-03-01,50.00,CNY,,2026-03-01T00:00:00Z")
    )
    for day in ("2026-03-30__a", "2026-03-31__b", "2026-04-01__c"):
        load_landing(settings, batch_id=day)
    assert _query(settings, "SELECT count(*), count(released_at) FROM raw._quarantine") == [(1, 0)]


SILENT_CASES = {
    # file content, the stop or the quarantine expected
    "is_deleted X": (
        _invoices(GOOD_INVOICE).replace("updated_at\n", "updated_at,is_deleted\n").replace("Z\n", "Z,X\n"),
        (LandingError, r"erp_invoices\.is_deleted: value 'X' at line 2 of .*new\.csv is not a valid bool"),
    ),
    "sub-cent amount": (
        _invoices("I21,C1,invoice,2026-03-01,2026-03-31,0.004,CNY,,,2026-03-01T00:00:00Z"),
        [("I21", "amount_in_cents"), ("I21", "amount_not_zero")],
    ),
    "zero amount": (
        _invoices("I21,C1,invoice,2026-03-01,2026-03-31,0,CNY,,,2026-03-01T00:00:00Z"),
        [("I21", "amount_not_zero")],
    ),
    "implausible amount": (
        _invoices("I21,C1,invoice,2026-03-01,2026-03-31,1000000000000000,CNY,,,2026-03-01T00:00:00Z"),
        [("I21", "amount_plausible")],
    ),
}


@pytest.mark.parametrize("name", list(SILENT_CASES))
def test_values_that_were_accepted_silently_stop_or_are_quarantined(case, name):
    settings, _ = case
    content, expected = SILENT_CASES[name]
    _write(settings, "erp_invoices", "new.csv", content)
    if isinstance(expected, tuple):
        with pytest.raises(expected[0], match=expected[1]):
            load_landing(settings, batch_id="b-silent")
        return
    load_landing(settings, batch_id="b-silent")
    assert [(key, rule) for key, rule, _ in _quarantined(settings, "erp_invoices")] == expected
    assert _query(settings, "SELECT count(*) FROM raw.erp_invoices WHERE invoice_id = 'I21'") == [(0,)]


def test_the_same_version_with_other_values_is_a_reported_conflict_and_the_first_load_wins(case):
    settings, _ = case
    _write(settings, "erp_invoices", "a_first.csv", _invoices(GOOD_INVOICE))
    _write(settings, "erp_invoices", "b_second.csv", _invoices(GOOD_INVOICE.replace("10.00", "99.00")))
    load_landing(settings, batch_id="b-conflict")
    assert _query(settings, "SELECT amount, _source_file FROM raw.erp_invoices WHERE invoice_id = 'I20'") == [
        (10, "a_first.csv")
    ]
    [(key, rule, reason)] = _quarantined(settings, "erp_invoices")
    assert (key, rule) == ("I20", "same_version_conflict")
    assert "loaded from a_first.csv row 1" in reason and "newer updated_at" in reason


def test_a_table_quarantined_almost_whole_stops_the_run_with_the_likely_fix(case):
    """A USD extract with the reporting currency left at CNY and no EUR rates: nothing would load."""
    settings, serving_digest = case
    rows = [f"E{n},C2,invoice,2026-03-01,2026-03-31,{n}.00,EUR,,,2026-03-01T00:00:00Z" for n in range(1, 31)]
    _write(settings, "erp_invoices", "eur.csv", _invoices(GOOD_INVOICE, *rows))
    before = _query(settings, "SELECT count(*) FROM raw.erp_invoices")
    with pytest.raises(QualityGateError) as failure:
        _run_pipeline(settings, "b-eur")
    message = str(failure.value)
    assert "erp_invoices: 30 of 31 rows (97%)" in message and "eur.csv" in message
    assert "Main reason: currency" in message and "EUR" in message
    assert "Likely fix: set AR_REPORTING_CURRENCY" in message and "erp_fx_rates" in message
    assert _query(settings, "SELECT count(*) FROM raw.erp_invoices") == before
    assert _query(settings, "SELECT count(*) FROM raw._quarantine") == [(0,)]
    assert _digest(settings.serving_path) == serving_digest


def test_an_invoice_far_above_the_customers_history_is_loaded_and_flagged(case, caplog):
    settings, _ = case
    history = [f"H{n},C1,invoice,2026-03-0{n},2026-03-31,100.00,CNY,,,2026-03-01T00:00:00Z" for n in range(1, 5)]
    _write(settings, "erp_invoices", "a_history.csv", _invoices(*history))  # C1: six documents, largest 1,000.00
    _write(
        settings,
        "erp_invoices",
        "b_big.csv",
        _invoices("I30,C1,invoice,2026-03-10,2026-04-09,25000.00,CNY,,,2026-03-10T00:00:00Z"),
    )
    load_landing(settings, batch_id="b-history")
    assert _query(settings, "SELECT amount FROM raw.erp_invoices WHERE invoice_id = 'I30'") == [(25000,)]
    assert _query(
        settings,
        "SELECT outcome, unexpected_count FROM raw._validation_results WHERE rule = 'amount_outside_customer_history'",
    ) == [("flagged", 1)]
    assert (
        "line 2: I30 of C1: 25,000.00 is more than 20x the customer's largest document so far (1,000.00)" in caplog.text
    )
