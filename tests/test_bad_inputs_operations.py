"""Operational edges and messages a person can act on (issue 17, parts 7 and 8).

As in tests/test_bad_inputs.py, one publication of the hand-made landing set is made once per
module through the Python functions the DAG tasks call, and each case works in its own copy of
that home. One test runs the real `ar-risk run` (the console message is the runner's).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

import duckdb
import openpyxl
import pytest

from ar_risk import runner
from ar_risk.extract.landing import LandingError, load_landing
from ar_risk.extract.mapping import SourceMapping, TableMapping
from ar_risk.publish.serving import publish_marts
from ar_risk.transform.dbt import build

from conftest import TINY_LANDING, ar_risk, settings_for

AS_OF = dt.date(2026, 3, 31)
INVOICE_HEADER = (
    "invoice_id,customer_id,document_type,invoice_date,due_date,amount,currency,order_id,sales_rep_id,updated_at"
)
GOOD_INVOICE = "I20,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z"
REQUIRED = ("erp_customers", "erp_invoices", "erp_payments")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("operations") / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    settings = settings_for(home)
    load_landing(settings, batch_id=f"{AS_OF}__good")
    counts = build(settings, AS_OF)
    assert counts.get("error", 0) == 0 and counts.get("fail", 0) == 0, counts
    publish_marts(settings, run_id="good", as_of_date=AS_OF)
    return home


@pytest.fixture
def case(published, tmp_path):
    home = tmp_path / "ar_home"
    shutil.copytree(published, home, ignore=shutil.ignore_patterns("gx", "tmp", "dbt_target*", "logs"))
    return settings_for(home)


def _write(settings, table: str, name: str, text: str | bytes) -> None:
    path = settings.landing_dir / table / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _query(path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _raw_counts(settings) -> dict[str, int]:
    return {t: _query(settings.warehouse_path, f"SELECT count(*) FROM raw.{t}")[0][0] for t in REQUIRED}


# ---- 7. a day with no new data ------------------------------------------------------------


def test_archived_landing_files_are_a_day_with_no_new_data(case, tmp_path):
    """Loaded files moved out of the landing folder: raw holds the tables, the load goes on."""
    before = _raw_counts(case)
    shutil.move(case.landing_dir, tmp_path / "archive")
    case.landing_dir.mkdir()
    report = load_landing(case, batch_id="archived")
    for table in REQUIRED:
        load = report.tables[table]
        assert (load.available, load.files_seen, load.rows_loaded) == (True, 0, 0), load
    assert _raw_counts(case) == before and all(before.values())


def test_a_required_table_with_no_files_and_nothing_in_raw_still_stops(tmp_path):
    home = tmp_path / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing", ignore=shutil.ignore_patterns("erp_payments"))
    with pytest.raises(
        LandingError,
        match=r"required table\(s\) erp_payments have no \.csv, \.parquet or \.xlsx files under .*"
        r"and no rows in raw from earlier loads",
    ):
        load_landing(settings_for(home), batch_id="first")


def test_a_header_only_file_loads_no_rows_and_is_registered(case):
    before = _raw_counts(case)
    _write(case, "erp_invoices", "delta_2026-04-01.csv", INVOICE_HEADER + "\n")
    report = load_landing(case, batch_id="no-new-invoices")
    assert (report.tables["erp_invoices"].files_loaded, report.tables["erp_invoices"].rows_loaded) == (1, 0)
    assert _raw_counts(case) == before
    registered = _query(
        case.warehouse_path,
        "SELECT batch_id, rows_in_file, rows_loaded FROM raw._ingested_files WHERE file_name = ?",
        ["delta_2026-04-01.csv"],
    )
    assert registered == [("no-new-invoices", 0, 0)]
    assert load_landing(case, batch_id="again").tables["erp_invoices"].files_loaded == 0  # known, skipped


# ---- 7. a failed run's date is never published later --------------------------------------


def test_rows_of_a_failed_run_date_are_not_published_by_the_next_good_run(case):
    """The day's dbt build for D succeeds, scoring fails (no run publishes D); then a good run for D2."""
    from ar_risk.run_dates import start_run_date

    failed_day, good_day = AS_OF + dt.timedelta(days=1), AS_OF + dt.timedelta(days=2)
    start_run_date(case, failed_day, "manual__failed")
    build(case, failed_day)  # the marts now hold rows of the failed day ...
    # ... and the run stops at ar_score: nothing records a publication of failed_day.
    kpi_dates = "SELECT DISTINCT as_of_date FROM marts.agg_ar_kpis ORDER BY 1"
    assert _query(case.warehouse_path, kpi_dates) == [(AS_OF,), (failed_day,)]

    start_run_date(case, good_day, "manual__good")
    build(case, good_day)
    publish_marts(case, run_id="manual__good", as_of_date=good_day)

    con = duckdb.connect(str(case.serving_path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'marts' AND column_name = 'as_of_date'"
            ).fetchall()
        ]
        dates = {t: {r[0] for r in con.execute(f"SELECT DISTINCT as_of_date FROM marts.{t}").fetchall()}
                 for t in tables}  # fmt: skip
    finally:
        con.close()
    assert "agg_ar_kpis" in dates and dates["agg_ar_kpis"] == {AS_OF, good_day}  # published history stays
    assert not {t for t, found in dates.items() if failed_day in found}, dates


# ---- 7. one run per home at a time; one log per run ---------------------------------------

HOLD_THE_LOCK = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from ar_risk.config import load_settings
    from ar_risk.run_lock import run_lock
    with run_lock(load_settings({"AR_HOME": sys.argv[1]}), dt.date(2026, 3, 30), command="ar-risk run"):
        print("held", flush=True)
        time.sleep(120)
    """
)


def test_a_second_run_on_the_same_home_fails_at_once_and_a_dead_holder_does_not_block(tmp_path, monkeypatch):
    settings = settings_for(tmp_path / "ar_home")
    started: list[str] = []
    monkeypatch.setattr(runner, "prepare_airflow", lambda s: started.append("prepare"))
    monkeypatch.setattr(runner, "has_champion", lambda s: True)
    monkeypatch.setattr(
        runner, "run_dag", lambda s, dag_id, as_of: started.append(dag_id) or runner.DagRunResult(dag_id, 0.0, tmp_path)
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(settings.home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with pytest.raises(runner.PipelineError) as refused:
            runner.run_pipeline(settings, AS_OF, echo=lambda *a: None)
        assert time.monotonic() - began < 5  # at once, not after DuckDB's lock timeout
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and "as_of_date 2026-03-30" in message, message
        assert "started at 20" in message and "Wait for it to finish" in message, message
        assert started == []  # nothing of the second run ran
    finally:
        holder.kill()
        holder.wait(timeout=30)
    # The killed holder's lock file is still there, with its details: the kernel released the lock.
    assert str(holder.pid) in (settings.home / "run.lock").read_text()
    runner.run_pipeline(settings, AS_OF, echo=lambda *a: None)
    assert started == ["prepare", *runner.PIPELINE]


def test_a_first_training_that_fails_does_not_stop_the_run(tmp_path, monkeypatch):
    """Too little history for a first model: the run scores with the provision matrix and publishes."""
    settings = settings_for(tmp_path / "ar_home")
    ran: list[str] = []

    def run_dag(s, dag_id, as_of):
        if dag_id == runner.RETRAIN_DAG:
            raise runner.PipelineError(
                "DAG ar_retrain failed for as_of_date 2026-03-30: TrainingDataError: ...",
                error_class="TrainingDataError",
            )
        ran.append(dag_id)
        return runner.DagRunResult(dag_id, 0.0, tmp_path)

    monkeypatch.setattr(runner, "prepare_airflow", lambda s: None)
    monkeypatch.setattr(runner, "has_champion", lambda s: False)
    monkeypatch.setattr(runner, "run_dag", run_dag)
    said: list[str] = []
    results = runner.run_pipeline(settings, AS_OF, echo=said.append)
    assert ran == list(runner.PIPELINE) and [r.dag_id for r in results] == list(runner.PIPELINE)
    warning = next(line for line in said if "warning:" in line)
    assert "TrainingDataError" in warning and "provision matrix" in warning


@pytest.mark.parametrize(
    ("error_class", "cause"),
    [
        (None, "sqlite3.OperationalError: database is locked"),  # Airflow's metadata: the machine
        ("ModelConfigError", "ModelConfigError: model_config.yml: missing key training.history_months"),
    ],
)
def test_a_first_training_that_fails_on_anything_but_its_data_stops_the_run(tmp_path, monkeypatch, error_class, cause):
    """Only a training data error lets the run go on to score; a fault is not hidden behind the fallback."""
    settings = settings_for(tmp_path / "ar_home")
    ran: list[str] = []

    def run_dag(s, dag_id, as_of):
        ran.append(dag_id)
        if dag_id == runner.RETRAIN_DAG:
            raise runner.PipelineError(f"DAG ar_retrain failed for as_of_date 2026-03-30: {cause}", error_class)
        return runner.DagRunResult(dag_id, 0.0, tmp_path)

    monkeypatch.setattr(runner, "prepare_airflow", lambda s: None)
    monkeypatch.setattr(runner, "has_champion", lambda s: False)
    monkeypatch.setattr(runner, "run_dag", run_dag)
    with pytest.raises(runner.PipelineError, match=cause):
        runner.run_pipeline(settings, AS_OF, echo=lambda *a: None)
    assert ran == ["ar_extract", "ar_transform", runner.RETRAIN_DAG]  # nothing scored or published


def test_a_failed_dag_run_names_the_data_error_class_of_its_task(tmp_path, monkeypatch):
    settings = settings_for(tmp_path / "ar_home")
    outputs = {
        "data": FAILED_TASK_OUTPUT.replace("LandingError: erp_invoices", "TrainingDataError: pd_default"),
        "fault": "Traceback (most recent call last):\nsqlite3.OperationalError: database is locked\n"
        "2026-12-01T21:34:58.752716Z [info     ] DagRun Finished: dag_id=ar_retrain, state=failed, run_id=m\n",
    }
    for kind, expected in (("data", "TrainingDataError"), ("fault", None)):
        monkeypatch.setattr(
            runner,
            "_airflow",
            lambda s, *a, log_file=None, out=outputs[kind]: subprocess.CompletedProcess(a, 1, out, ""),
        )
        with pytest.raises(runner.PipelineError) as failed:
            runner.run_dag(settings, runner.RETRAIN_DAG, AS_OF)
        assert failed.value.error_class == expected, kind


# ---- 8. error messages a person can act on ------------------------------------------------

# What `airflow dags test` prints when a task raises a data error with a message of three lines.
FAILED_TASK_OUTPUT = """\
2026-12-01T21:34:58.100000Z [info     ] Running task extract_sources [task] loc=task_runner.py:1
Traceback (most recent call last):
  File "/work/include/ar_risk/tasks.py", line 53, in fail_fast_on_data_errors
    raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
airflow.sdk.exceptions.AirflowFailException: LandingError: erp_invoices: /x/new.csv is not a valid contract file: \
Invalid Input Error: CSV Error on Line: 3
Original Line: I21,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z,extra
Expected Number of Columns: 10 Found: 11
2026-12-01T21:34:58.640221Z [error    ] AR alert (failed) recorded in /x/alerts/task_alerts.jsonl: \
AirflowFailException: LandingError: erp_invoices: /x/new.csv is not a valid contract file: [ar_risk.task_alerts]
2026-12-01T21:34:58.752716Z [info     ] DagRun Finished: dag_id=ar_extract, state=failed, run_id=manual__1
"""


def test_the_cause_is_the_task_own_message_with_all_its_lines():
    assert runner._root_cause(FAILED_TASK_OUTPUT) == (
        "LandingError: erp_invoices: /x/new.csv is not a valid contract file: Invalid Input Error: "
        "CSV Error on Line: 3\n"
        "    Original Line: I21,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z,extra\n"
        "    Expected Number of Columns: 10 Found: 11"
    )


def test_ar_risk_run_shows_the_task_error_and_keeps_one_log_per_run(tmp_path):
    """The one real run of this file: a bad file stops ar_extract; the console shows its message."""
    home = tmp_path / "ar_home"
    shutil.copytree(TINY_LANDING, home / "landing")
    (home / "logs").mkdir()
    earlier = home / "logs" / "ar_extract__2026-03-31__20260331T060000000Z.log"
    earlier.write_text("the log of an earlier run of the same date")
    bad = GOOD_INVOICE.replace("I20", "I21") + ",extra"
    (home / "landing" / "erp_invoices" / "new.csv").write_text(f"{INVOICE_HEADER}\n{GOOD_INVOICE}\n{bad}\n")
    proc = ar_risk(home, "run", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    cause = proc.stderr.split("cause: ", 1)[1]
    assert cause.startswith("LandingError: erp_invoices: "), proc.stderr
    assert "Line: 3" in cause and "Original Line: " in cause.split("full log:")[0], proc.stderr
    logs = sorted(p.name for p in (home / "logs").glob("ar_extract__2026-03-31__*.log"))
    assert len(logs) == 2 and earlier.read_text().startswith("the log of an earlier run"), logs
    assert f"full log: {home / 'logs' / logs[-1]}" in proc.stderr


def test_a_gb18030_file_read_as_utf8_gets_the_encoding_hint(case):
    _write(
        case,
        "erp_customers",
        "new.csv",
        (
            "customer_id,customer_name,parent_customer_id,region,country_code,industry,customer_since,"
            "sales_rep_id,payment_terms_days,credit_rating,is_active,updated_at\n"
            # Quoted: the line-number scan (quotes may hide newlines) must not trip on the bytes either.
            'C7,"杭州新客户有限公司",,华东,CN,制造业,2026-01-01,,30,,true,2026-03-01T00:00:00Z\n'
        ).encode("gb18030"),
    )
    with pytest.raises(LandingError) as failure:
        load_landing(case, batch_id="bad")
    message = str(failure.value)
    # Still what tests/test_bad_inputs.py's "wrong encoding" case expects ...
    assert re.search(r"erp_customers: .*new\.csv is not a valid contract file: .*Line: 2", message)
    # ... and it says what to do.
    assert "not utf-8: set AR_CSV_ENCODING, e.g. gb18030" in message, message


HEADER_CASES = {
    "trailing comma": (INVOICE_HEADER + ",", GOOD_INVOICE + ",", r"header column 11 has no name \(a trailing comma"),
    "amount and Amount": (
        INVOICE_HEADER + ",Amount",
        GOOD_INVOICE + ",10.00",
        r"header column 11 'Amount' differs only in upper/lower case from column 6 'amount'",
    ),
    "trailing space": (
        INVOICE_HEADER.replace("amount", "amount "),
        GOOD_INVOICE,
        r"header column 6 'amount ' has spaces before or after the name; rename it to 'amount'",
    ),
}


@pytest.mark.parametrize("name", list(HEADER_CASES))
def test_header_problems_name_the_file_and_the_column_position(case, name):
    header, line, message = HEADER_CASES[name]
    _write(case, "erp_invoices", "new.csv", f"{header}\n{line}\n")
    with pytest.raises(LandingError, match=r"^erp_invoices: .*new\.csv: " + message):
        load_landing(case, batch_id="bad")


def test_a_bad_value_after_a_quoted_multi_line_field_names_its_physical_line(case):
    multi_line = 'I21,C1,invoice,2026-03-01,2026-03-31,10.00,CNY,"SO-1\nsecond line\nthird line",,2026-03-01T00:00:00Z'
    bad = "I22,C1,invoice,2026/13/45,2026-03-31,10.00,CNY,,,2026-03-01T00:00:00Z"
    _write(case, "erp_invoices", "new.csv", "\n".join([INVOICE_HEADER, multi_line, bad]) + "\n")
    # Lines: 1 header, 2-4 the invoice with a three-line order id, 5 the bad date.
    with pytest.raises(LandingError, match=r"value '2026/13/45' at line 5 of .*new\.csv is not a valid date"):
        load_landing(case, batch_id="bad")


def test_an_xlsx_whose_first_sheet_is_a_cover_names_the_sheets_and_the_mapping_option(case):
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["AR export 2026-03"])
    data = book.create_sheet("Invoices")
    data.append(INVOICE_HEADER.split(","))
    data.append(GOOD_INVOICE.split(","))
    path = case.landing_dir / "erp_invoices" / "export.xlsx"
    book.save(path)
    with pytest.raises(
        LandingError,
        match=r"export\.xlsx: sheet 'Cover' has no contract columns \(missing: invoice_id, customer_id, "
        r"document_type, invoice_date, …\); the workbook has sheets \['Cover', 'Invoices'\]: "
        r"set 'sheet: Invoices' .* in the mapping file",
    ):
        load_landing(case, batch_id="bad")
    # What the message says to do works.
    mapping = SourceMapping(
        name="export", tables={"erp_invoices": TableMapping("erp_invoices", "erp_invoices", {}, sheet="Invoices")}
    )
    assert load_landing(case, batch_id="sheet", mapping=mapping).tables["erp_invoices"].rows_loaded == 1


def test_a_stale_lock_file_of_a_dead_process_does_not_block(tmp_path):
    """A lock file written by a run that is gone (no process holds the flock) is taken over."""
    from ar_risk.run_lock import run_lock

    settings = settings_for(tmp_path / "ar_home")
    settings.home.mkdir(parents=True)
    (settings.home / "run.lock").write_text('{"pid": 999999, "host": "gone", "as_of_date": "2026-03-30"}')
    with run_lock(settings, AS_OF, command="ar-risk run") as lock_path:
        assert f'"pid": {os.getpid()}' in lock_path.read_text()


def test_a_copied_home_runs_airflow_on_its_own_metadata_not_the_original(tmp_path):
    """airflow.cfg holds the first home's absolute paths; a copy of the home is pointed at its own."""
    original = tmp_path / "first" / "airflow"
    original.mkdir(parents=True)
    (original / "airflow.cfg").write_text(
        f"[core]\ndags_folder = {original}/dags\n[database]\nsql_alchemy_conn = sqlite:///{original}/airflow.db\n"
        f"[logging]\nbase_log_folder = {original}/logs\n[api]\nbase_url = http://localhost:8080\n"
    )
    copy = tmp_path / "second" / "airflow"
    shutil.copytree(original, copy)
    assert runner.follow_moved_airflow_home(copy)
    text = (copy / "airflow.cfg").read_text()
    assert str(original) not in text
    assert f"sql_alchemy_conn = sqlite:///{copy}/airflow.db" in text and f"base_log_folder = {copy}/logs" in text
    assert f"dags_folder = {copy}/dags" in text and "base_url = http://localhost:8080" in text
    assert not runner.follow_moved_airflow_home(copy)  # already its own: left as is
    assert not runner.follow_moved_airflow_home(original)
    # a metadata database elsewhere (a deployment's PostgreSQL) is never touched
    (copy / "airflow.cfg").write_text("[database]\nsql_alchemy_conn = postgresql://airflow@db/airflow\n")
    assert not runner.follow_moved_airflow_home(copy)


def test_airflow_metadata_is_prepared_once_and_again_when_it_changed(tmp_path, monkeypatch):
    """`airflow db migrate` and the pool run on a new home, not on every run; a reset database or a
    changed pool is prepared again (both are read from the SQLite file, not trusted from the marker)."""
    import sqlite3

    settings = settings_for(tmp_path / "home")
    calls = []
    real_airflow = runner._airflow

    def recorded_airflow(s, *args, **kwargs):
        calls.append(args[:2])
        return real_airflow(s, *args, **kwargs)

    monkeypatch.setattr(runner, "_airflow", recorded_airflow)
    runner.prepare_airflow(settings)
    assert calls == [("db", "migrate"), ("pools", "set")]
    marker = settings.airflow_home / runner.PREPARED_MARKER
    assert marker.exists() and '"pool_slots": 1' in marker.read_text()

    runner.prepare_airflow(settings)  # the next run: nothing to do
    assert len(calls) == 2

    con = sqlite3.connect(settings.airflow_home / "airflow.db")
    con.execute("update slot_pool set slots = 4 where pool = ?", (runner.WAREHOUSE_POOL,))
    con.commit()
    con.close()
    runner.prepare_airflow(settings)  # someone widened the pool: DuckDB allows one writer, so it is set again
    assert calls[2:] == [("db", "migrate"), ("pools", "set")]

    (settings.airflow_home / "airflow.db").unlink()  # a reset metadata database
    runner.prepare_airflow(settings)
    assert calls[4:] == [("db", "migrate"), ("pools", "set")]
    assert (settings.airflow_home / "airflow.db").exists()

    # a metadata database elsewhere (a deployment's) is always prepared: the marker is not trusted
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{tmp_path}/elsewhere.db")
    assert not runner._already_prepared(settings.airflow_home)
