"""Database sources against the real PostgreSQL (ERP) and MariaDB (CRM) on this machine.

Each test stands up its own databases from the demo generator (XS) through
``ar_risk.demo.to_database`` and drops them afterwards (``tests/dbsources.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from dbsources import database_source, erp_and_crm, query, raw_contract_rows, source_database, unique_name

from ar_risk.contract import TABLES
from ar_risk.demo import to_database as tdb
from ar_risk.demo.generator import generate
from ar_risk.extract.database import SourceUnavailableError, extract_database
from ar_risk.extract.landing import load_landing
from ar_risk.extract.sources import SourceConfigError
from ar_risk.extract.watermarks import current_watermark

from conftest import settings_for

ERP_CORE = ("erp_fx_rates", "erp_customers", "erp_invoices", "erp_payments")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """The demo data (XS) as Parquet: the one source of truth for files and databases alike."""
    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate(landing, scale="XS", file_format="parquet")
    return landing


@pytest.fixture(scope="module")
def erp_crm(demo_dir):
    """(erp conn id, crm conn id) of the demo ERP in PostgreSQL and CRM in MariaDB; tests only read them."""
    with erp_and_crm(demo_dir) as conn_ids:
        yield conn_ids


def _settings(tmp_path: Path, name: str):
    home = tmp_path / name
    home.mkdir()
    return settings_for(home)


def test_databases_give_the_raw_tables_the_landing_files_give(demo_dir, erp_crm, tmp_path):
    from_files = _settings(tmp_path, "files")
    load_landing(from_files, batch_id="files", landing_dir=demo_dir)

    from_databases = _settings(tmp_path, "databases")
    erp, crm = erp_crm
    reports = [
        extract_database(from_databases, database_source("erp", erp, tdb.ERP_TABLES, schema="public"), "b1"),
        extract_database(from_databases, database_source("crm", crm, tdb.CRM_TABLES), "b1"),
    ]
    assert reports[0].tables["erp_invoices"].rows_loaded > 10_000  # a real extract, not an empty one
    for name in TABLES:
        expected = raw_contract_rows(from_files.warehouse_path, name)
        assert expected, f"{name}: the demo has rows for every table"
        assert raw_contract_rows(from_databases.warehouse_path, name) == expected, name
    # PostgreSQL timestamptz and MariaDB DATETIME (UTC) both land as the same UTC instants.
    assert reports[1].tables["crm_activities"].type_changes == []
    assert reports[0].tables["erp_invoices"].source_table == f"{erp}:public.erp_invoices"


def _when(settings, sql: str):
    return query(settings.warehouse_path, sql)[0][0]


def test_incremental_reads_changes_within_the_lookback_and_full_refresh_finds_hard_deletes(demo_dir, tmp_path):
    settings = _settings(tmp_path, "incremental")
    with source_database("postgres", demo_dir, ERP_CORE) as (erp, _):
        source = database_source("erp", erp, ERP_CORE, schema="public", lookback=dt.timedelta(hours=1))
        first = extract_database(settings, source, "b1")
        assert first.tables["erp_invoices"].mode == "full"
        assert not first.tables["erp_invoices"].detects_hard_deletes  # raw was empty: nothing to tombstone
        watermark = dt.datetime.fromisoformat(first.tables["erp_invoices"].watermark_after)
        invoices = [r[0] for r in query(settings.warehouse_path, "SELECT invoice_id FROM raw.erp_invoices ORDER BY 1")]
        changed, deleted, late, too_late, hard_deleted = invoices[:5]
        in_window = query(
            settings.warehouse_path,
            "SELECT count(*) FROM raw.erp_invoices WHERE updated_at >= ?",
            [(watermark - dt.timedelta(hours=1)).replace(tzinfo=None)],
        )[0][0]
        later = watermark + dt.timedelta(days=1)
        new_id = "INV-NEW-0001"
        tdb.execute(
            erp,
            [
                ("UPDATE erp_invoices SET amount = 4321.09, updated_at = %s WHERE invoice_id = %s", [later, changed]),
                ("UPDATE erp_invoices SET is_deleted = true, updated_at = %s WHERE invoice_id = %s", [later, deleted]),
                (
                    "INSERT INTO erp_invoices SELECT %s, customer_id, document_type, invoice_date, due_date, 99.50, "
                    "currency, order_id, sales_rep_id, %s, false FROM erp_invoices WHERE invoice_id = %s",
                    [new_id, later, changed],
                ),
                # A late commit: stamped 30 minutes before the watermark, inside the 1h lookback.
                (
                    "UPDATE erp_invoices SET amount = 1.11, updated_at = %s WHERE invoice_id = %s",
                    [watermark - dt.timedelta(minutes=30), late],
                ),
                # Stamped 3 hours before the watermark: outside the lookback, not read incrementally.
                (
                    "UPDATE erp_invoices SET amount = 2.22, updated_at = %s WHERE invoice_id = %s",
                    [watermark - dt.timedelta(hours=3), too_late],
                ),
            ],
        )

        second = extract_database(settings, source, "b2").tables["erp_invoices"]
        assert second.mode == "incremental"
        assert second.lower_bound == (watermark - dt.timedelta(hours=1)).isoformat()
        # Read: the rows already in the window, the new one and the three moved into it.
        assert second.rows_extracted == in_window + 4
        assert second.rows_loaded == 4  # changed, soft-deleted, new, late; nothing else
        assert dt.datetime.fromisoformat(second.watermark_after) == later
        latest = {
            r[0]: r[1:]
            for r in query(
                settings.warehouse_path,
                """SELECT invoice_id, amount, coalesce(is_deleted, false) FROM raw.erp_invoices
                   QUALIFY row_number() OVER (PARTITION BY invoice_id ORDER BY updated_at DESC, _loaded_at DESC) = 1""",
            )
        }
        assert latest[changed][0] == Decimal("4321.09")
        assert latest[deleted][1] is True
        assert latest[new_id][0] == Decimal("99.50")
        assert latest[late][0] == Decimal("1.11")
        assert latest[too_late][0] != Decimal("2.22")  # outside the lookback: not read
        # Nothing changed in the other tables: their incremental runs load nothing.
        assert extract_database(settings, source, "b3").tables["erp_customers"].rows_loaded == 0

        tdb.execute(erp, [("DELETE FROM erp_invoices WHERE invoice_id = %s", [hard_deleted])])
        full = extract_database(settings, source, "b4", force_full_refresh=True).tables["erp_invoices"]
        assert full.mode == "full" and full.detects_hard_deletes
        assert full.rows_tombstoned == 1
        assert full.rows_loaded == 1  # the change stamped too early for the lookback; tombstones apart
        tombstone = query(
            settings.warehouse_path,
            """SELECT coalesce(is_deleted, false), _batch_id FROM raw.erp_invoices WHERE invoice_id = ?
               ORDER BY updated_at DESC, _loaded_at DESC LIMIT 1""",
            [hard_deleted],
        )
        assert tombstone == [(True, "b4")]
        # A second full read finds nothing new to tombstone.
        again = extract_database(settings, source, "b5", force_full_refresh=True).tables["erp_invoices"]
        assert (again.rows_tombstoned, again.rows_loaded) == (0, 0)


def test_a_crash_after_a_chunk_then_a_rerun_gives_the_raw_tables_of_a_clean_run(erp_crm, tmp_path):
    import duckdb

    clean, crashed = _settings(tmp_path, "clean"), _settings(tmp_path, "crashed")
    erp, crm = erp_crm
    chunked = {"erp_invoices": 4_000}  # 13,723 invoices: 4 chunks
    erp_source = database_source("erp", erp, ERP_CORE, schema="public")
    erp_source = replace(
        erp_source, tables=tuple(replace(o, chunk_size=chunked.get(o.name, o.chunk_size)) for o in erp_source.tables)
    )
    crm_source = database_source("crm", crm, ("crm_accounts", "crm_contacts"))
    for source in (erp_source, crm_source):
        extract_database(clean, source, "clean")

    def crash(table: str, chunk: int) -> None:
        if (table, chunk) == ("erp_invoices", 2):
            raise RuntimeError("worker killed after chunk 2 of erp_invoices")

    with pytest.raises(RuntimeError, match="after chunk 2"):
        extract_database(crashed, erp_source, "try1", after_chunk=crash)
    # Two chunks committed; the invoices' watermark did not move (the customers' did).
    assert query(crashed.warehouse_path, "SELECT count(*) FROM raw.erp_invoices")[0][0] == 8_000
    con = duckdb.connect(str(crashed.warehouse_path), read_only=True)
    try:
        assert current_watermark(con, "erp", "erp_invoices") is None
        assert current_watermark(con, "erp", "erp_customers") is not None
    finally:
        con.close()

    for source in (erp_source, crm_source):
        extract_database(crashed, source, "try2")
    for name in TABLES:
        assert raw_contract_rows(crashed.warehouse_path, name, with_deleted=True) == raw_contract_rows(
            clean.warehouse_path, name, with_deleted=True
        ), name
    assert raw_contract_rows(clean.warehouse_path, "erp_invoices")  # compared something real


def test_tables_missing_in_the_source(demo_dir, tmp_path):
    settings = _settings(tmp_path, "missing")
    with source_database("postgres", demo_dir, ("erp_fx_rates", "erp_customers")) as (erp, _):
        optional = extract_database(settings, database_source("erp", erp, ("erp_customers", "erp_orders")), "b1")
        assert optional.unavailable_tables == ["erp_orders"]
        with pytest.raises(SourceConfigError, match=r"erp_invoices: required table .*erp_invoices.* does not exist"):
            extract_database(settings, database_source("erp", erp, ("erp_invoices",)), "b2")


def test_a_bad_value_in_the_source_names_table_column_and_source(demo_dir, tmp_path):
    from ar_risk.extract.raw import RawLoadError

    settings = _settings(tmp_path, "bad")
    with source_database("postgres", demo_dir, ("erp_fx_rates", "erp_customers")) as (erp, _):
        # A column whose type drifted to text in the source, with one value that is not a date.
        tdb.execute(
            erp,
            [
                "ALTER TABLE erp_customers ALTER COLUMN customer_since TYPE TEXT",
                "UPDATE erp_customers SET customer_since = '2024-02-30' WHERE customer_id = 'C000007'",
            ],
        )
        with pytest.raises(RawLoadError, match=rf"erp_customers\.customer_since: value '2024-02-30' .* of {erp}:"):
            extract_database(settings, database_source("erp", erp, ("erp_customers",)), "b1")
        assert query(settings.warehouse_path, "SELECT count(*) FROM raw.erp_customers")[0][0] == 0

        # A critical quality rule (unique key) refuses the whole chunk, names an example row and
        # keeps the validation results, as for a file.
        from ar_risk.errors import QualityGateError

        tdb.execute(
            erp,
            [
                "UPDATE erp_customers SET customer_since = '2024-02-28' WHERE customer_id = 'C000007'",
                "ALTER TABLE erp_customers DROP CONSTRAINT erp_customers_pkey",
                "INSERT INTO erp_customers SELECT * FROM erp_customers WHERE customer_id = 'C000007'",
                "UPDATE erp_customers SET customer_name = 'duplicate' WHERE ctid = (SELECT max(ctid) FROM "
                "erp_customers WHERE customer_id = 'C000007')",
            ],
        )
        with pytest.raises(QualityGateError, match=rf"erp_customers\.customer_id: critical rule .* of {erp}:"):
            extract_database(settings, database_source("erp", erp, ("erp_customers",)), "b_dup")
        assert query(settings.warehouse_path, "SELECT count(*) FROM raw.erp_customers")[0][0] == 0
        stopped = query(
            settings.warehouse_path,
            "SELECT count(*) FROM raw._validation_results WHERE batch_id = 'b_dup' AND outcome = 'stopped'",
        )
        assert stopped[0][0] > 0


def test_a_database_batch_and_a_file_batch_with_the_same_bad_rows_give_the_same_report(demo_dir, tmp_path):
    """One loader for both: the same rows (one with a negative amount, one for an unknown customer)
    from a Parquet file and from PostgreSQL are quarantined for the same reasons, validated with the
    same results and counted in the same report, field by field."""
    import duckdb

    from ar_risk.extract.loader import ExtractReport, TableReport

    tables = ("erp_fx_rates", "erp_customers", "erp_invoices")
    landing = tmp_path / "landing"
    # One file per table (the demo may write several parts), so each table is one batch on both paths.
    bad_rows = {
        "erp_invoices": "* EXCLUDE (n) REPLACE (CASE WHEN n = 1 THEN -amount ELSE amount END AS amount, "
        "CASE WHEN n = 2 THEN 'C_UNKNOWN' ELSE customer_id END AS customer_id)"
    }
    con = duckdb.connect()
    for name in tables:
        (landing / name).mkdir(parents=True)
        key = ", ".join(TABLES[name].key)
        con.execute(
            f"""COPY (SELECT {bad_rows.get(name, "* EXCLUDE (n)")}
                      FROM (SELECT *, row_number() OVER (ORDER BY {key}) AS n
                            FROM read_parquet('{demo_dir / name / "*.parquet"}'))
                      ORDER BY {key}) TO '{landing / name / "part.parquet"}' (FORMAT parquet)"""
        )
    con.close()

    from_files = _settings(tmp_path, "files")
    files = load_landing(from_files, batch_id="b1", landing_dir=landing, tables=tables)
    from_database = _settings(tmp_path, "database")
    with source_database("postgres", landing, tables) as (erp, _):  # the same rows, bad ones included
        database = extract_database(from_database, database_source("erp", erp, tables, schema="public"), "b1")

    assert type(files) is type(database) is ExtractReport
    assert set(files.to_dict()) == set(database.to_dict())
    counted = ("rows_extracted", "rows_loaded", "rows_already_present", "rows_quarantined", "quarantine_reasons")
    for name in tables:
        from_file, from_db = files.tables[name], database.tables[name]
        assert type(from_file) is type(from_db) is TableReport
        assert {f: getattr(from_file, f) for f in counted} == {f: getattr(from_db, f) for f in counted}, name
    assert files.tables["erp_invoices"].quarantine_reasons == {"amount amount_not_negative": 1,
                                                              "customer_id reference_known": 1}  # fmt: skip
    quarantined = (
        "SELECT table_name, rule, column_name, reason, json_extract_string(row_json, '$.invoice_id'), "
        "json_extract_string(row_json, '$.amount') FROM raw._quarantine ORDER BY ALL"
    )
    assert query(from_files.warehouse_path, quarantined) == query(from_database.warehouse_path, quarantined)
    results = (
        "SELECT table_name, rule, expectation_type, column_name, severity, success, element_count, "
        "unexpected_count, outcome FROM raw._validation_results ORDER BY ALL"
    )
    assert query(from_files.warehouse_path, results) == query(from_database.warehouse_path, results)
    assert raw_contract_rows(from_files.warehouse_path, "erp_invoices") == raw_contract_rows(
        from_database.warehouse_path, "erp_invoices"
    )


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_an_unreachable_source_is_a_passing_fault_with_a_clear_message(kind, tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from ar_risk import tasks

    password = "pw-" + unique_name("x")
    conn_id = "ar_test_db_closed"
    port = 1  # nothing listens on port 1
    uri = (
        f"postgres://reader:{password}@127.0.0.1:{port}/erp_db"
        if kind == "postgres"
        else f"mysql://reader:{password}@127.0.0.1:{port}/crm_db?client=mysql-connector-python"
    )
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", uri)
    source = database_source("erp", conn_id, ("erp_customers",))
    with pytest.raises(SourceUnavailableError) as caught, tasks.fail_fast_on_data_errors():
        extract_database(_settings(tmp_path, "closed"), source, "b1")
    message = str(caught.value)
    assert not isinstance(caught.value, AirflowFailException | ValueError)  # retried, not failed fast
    assert f"connection {conn_id!r} at 127.0.0.1:{port}" in message
    assert ("'erp_db'" if kind == "postgres" else "'crm_db'") in message
    assert password not in message
    assert caught.value.__cause__ is None  # the driver's exception (which holds the DSN) is not chained


def test_connection_configuration_errors_fail_fast(tmp_path, monkeypatch):
    settings = _settings(tmp_path, "conf")
    undefined = r"'ar_test_db_undefined' is not defined.*AIRFLOW_CONN_AR_TEST_DB_UNDEFINED"
    with pytest.raises(SourceConfigError, match=undefined):
        extract_database(settings, database_source("erp", "ar_test_db_undefined", ("erp_customers",)), "b1")
    monkeypatch.setenv("AIRFLOW_CONN_AR_TEST_DB_MYSQLDB", "mysql://root@127.0.0.1:3306/mysql")
    with pytest.raises(SourceConfigError, match=r'without the extra \{"client": "mysql-connector-python"\}'):
        extract_database(settings, database_source("crm", "ar_test_db_mysqldb", ("crm_accounts",)), "b1")


SAP_STYLE_MAPPING = """\
name: sap_style_database
tables:
  erp_fx_rates:
    source_table: TCURR
    columns:
      currency: FCURR
      rate_date: {column: GDATU, date_format: YYYYMMDD}
      rate_to_reporting: UKURS
  erp_customers:
    source_table: KNA1
    columns:
      customer_id: KUNNR
      customer_name: NAME1
      region: {column: REGIO, values: {"31": 华东, "11": 华北}}
      industry: BRSCH
      customer_since: {column: ERDAT, date_format: YYYYMMDD}
      payment_terms_days: ZTAGG
      is_active: AKTIV
      updated_at: CHANGED_AT
"""


def test_a_mapped_database_source_is_renamed_recoded_and_read_incrementally(demo_dir, tmp_path):
    mapping = tmp_path / "sap_style.yml"
    mapping.write_text(SAP_STYLE_MAPPING, encoding="utf-8")
    settings = _settings(tmp_path, "mapped")
    with source_database("postgres", demo_dir, ()) as (erp, _):
        tdb.execute(
            erp,
            [
                'CREATE TABLE "TCURR" ("FCURR" text, "GDATU" char(8), "UKURS" numeric(18,8), "MANDT" text)',
                """INSERT INTO "TCURR" VALUES ('USD', '20261030', 7.12345678, '800')""",
                'CREATE TABLE "KNA1" ("KUNNR" varchar(10) PRIMARY KEY, "NAME1" text, "REGIO" text, "BRSCH" text, '
                '"ERDAT" char(8), "ZTAGG" smallint, "AKTIV" boolean, "CHANGED_AT" timestamptz)',
                """INSERT INTO "KNA1" VALUES
                   ('0000100001', '上海恒锦''s "Trading"; DROP TABLE x;--', '31', 'retail', '20200115', 30, true,
                    '2026-10-30 10:00:00+08'),
                   ('0000100002', '北京万合', '11', 'steel', '20210301', 60, false, '2026-10-30 11:00:00+08')""",
            ],
        )
        source = replace(
            database_source("erp", erp, ("erp_fx_rates", "erp_customers"), schema="public"), mapping=mapping
        )
        first = extract_database(settings, source, "b1")
        assert first.tables["erp_customers"].source_table == f"{erp}:public.KNA1"
        rows = query(
            settings.warehouse_path,
            "SELECT customer_id, customer_name, region, customer_since, payment_terms_days, is_active, updated_at "
            "FROM raw.erp_customers ORDER BY 1",
        )
        assert rows[0] == (
            "0000100001",
            '上海恒锦\'s "Trading"; DROP TABLE x;--',  # stored verbatim, never executed
            "华东",
            dt.date(2020, 1, 15),
            30,
            True,
            dt.datetime(2026, 10, 30, 2, 0),  # UTC
        )
        assert rows[1][2] == "华北"
        assert query(settings.warehouse_path, "SELECT currency, rate_date FROM raw.erp_fx_rates") == [
            ("USD", dt.date(2026, 10, 30))
        ]
        assert first.tables["erp_fx_rates"].extra_columns == ["MANDT"]  # kept in raw, reported

        tdb.execute(erp, ["""UPDATE "KNA1" SET "ZTAGG" = 45, "CHANGED_AT" = '2026-10-31 09:00:00+08'
                             WHERE "KUNNR" = '0000100002'"""])  # fmt: skip
        second = extract_database(settings, source, "b2").tables["erp_customers"]
        assert second.mode == "incremental"
        # The other customer, stamped exactly one hour (the lookback) before the watermark, is read
        # again and skipped: only the change is new.
        assert (second.rows_extracted, second.rows_loaded, second.rows_already_present) == (2, 1, 1)
        assert second.watermark_after == "2026-10-31T01:00:00+00:00"


def test_a_connection_lost_mid_table_is_retried_and_the_retry_completes_the_table(erp_crm, tmp_path):
    erp, _ = erp_crm
    settings = _settings(tmp_path, "dropped")
    source = database_source("erp", erp, ERP_CORE, schema="public", chunk_size=5_000)

    def kill_the_extractor(table: str, chunk: int) -> None:
        if (table, chunk) == ("erp_invoices", 1):  # the DBA (or a failover) ends the session
            tdb.execute(
                erp,
                [(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    None,
                )],
            )  # fmt: skip

    with pytest.raises(
        SourceUnavailableError, match=r"erp_invoices: connection .* failed while reading .* after 5000 rows"
    ):
        extract_database(settings, source, "try1", after_chunk=kill_the_extractor)
    retry = extract_database(settings, source, "try2").tables["erp_invoices"]
    assert retry.mode == "full" and retry.rows_already_present == 5_000
    assert len(raw_contract_rows(settings.warehouse_path, "erp_invoices")) == retry.rows_extracted == 13_723
