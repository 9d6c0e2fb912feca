"""Security of database sources: read-only users with passwords, and no password in any log.

The extractor reads through users that can only SELECT (the GRANTs of
docs/sources.md). Local PostgreSQL trusts every password, so reaching the data
proves little; the tests also prove the users cannot write. Every log the
extraction produces -- Python logging in this process, and the Airflow task
logs and runner logs of a real `ar_extract` run -- is searched for the password.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from dbsources import MYSQL_ADMIN, admin_connections, database_source, query, source_database, unique_name

from ar_risk.demo import to_database as tdb
from ar_risk.demo.generator import generate
from ar_risk.extract.database import extract_database
from ar_risk.runner import prepare_airflow, run_dag

from conftest import settings_for

ERP = ("erp_fx_rates", "erp_customers", "erp_invoices", "erp_payments")
CRM = ("crm_accounts", "crm_contacts")  # contacts: personal data, read into raw only


def _password() -> str:
    return f"Rd-{secrets.token_hex(10)}"


@contextmanager
def postgres_reader(admin_conn: str, database: str, password: str) -> Iterator[dict]:
    """A LOGIN role with a password that may only CONNECT, use the schema and SELECT."""
    role = unique_name("reader")
    try:
        tdb.execute(
            admin_conn,
            [
                f"CREATE ROLE {role} LOGIN PASSWORD '{password}'",
                f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
                f"GRANT CONNECT ON DATABASE {database} TO {role}",
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
            ],
        )
        yield {"conn_type": "postgres", "host": "127.0.0.1", "port": 5432, "login": role, "password": password,
               "schema": database}  # fmt: skip
    finally:
        # DROP OWNED also revokes the role's privileges in this database and on the database itself.
        tdb.execute(admin_conn, [f"DROP OWNED BY {role}", f"DROP ROLE IF EXISTS {role}"])


@contextmanager
def mysql_reader(database: str, password: str) -> Iterator[dict]:
    """A user identified by a password with SELECT on the CRM database only."""
    user = unique_name("rd")[:32]
    with admin_connections():
        tdb.execute(
            MYSQL_ADMIN,
            [
                f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'",
                f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'",
            ],
        )
        try:
            yield {"conn_type": "mysql", "host": "127.0.0.1", "port": 3306, "login": user, "password": password,
                   "schema": database, "extra": {"client": "mysql-connector-python"}}  # fmt: skip
        finally:
            tdb.execute(MYSQL_ADMIN, [f"DROP USER IF EXISTS '{user}'@'%'"])


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate(landing, scale="XS", file_format="parquet")
    return landing


@pytest.fixture(scope="module")
def readers(demo_dir) -> Iterator[dict]:
    """Read-only connections (Airflow connection JSON) to a demo ERP and CRM, and their passwords."""
    passwords = {"erp": _password(), "crm": _password()}
    with ExitStack() as stack:
        erp_admin, erp_db = stack.enter_context(source_database("postgres", demo_dir, ERP))
        _crm_admin, crm_db = stack.enter_context(source_database("mysql", demo_dir, CRM))
        erp = stack.enter_context(postgres_reader(erp_admin, erp_db, passwords["erp"]))
        crm = stack.enter_context(mysql_reader(crm_db, passwords["crm"]))
        yield {"connections": {"ar_test_db_erp_reader": erp, "ar_test_db_crm_reader": crm}, "passwords": passwords}


def _set_connections(monkeypatch, readers) -> None:
    for conn_id, conn in readers["connections"].items():
        monkeypatch.setenv(tdb.env_var_name(conn_id), json.dumps(conn))


@pytest.mark.parametrize(
    ("conn_id", "statement", "refusal"),
    [
        (
            "ar_test_db_erp_reader",
            "INSERT INTO erp_fx_rates (currency, rate_date, rate_to_reporting) VALUES ('XXX', '2026-01-01', 1)",
            "permission denied",
        ),
        ("ar_test_db_erp_reader", "CREATE TABLE ar_planted (x int)", "permission denied"),
        ("ar_test_db_crm_reader", "UPDATE crm_accounts SET account_tier = 'key'", "command denied"),
        ("ar_test_db_crm_reader", "CREATE TABLE ar_planted (x int)", "command denied"),
    ],
)
def test_the_extraction_users_can_read_but_not_write(readers, monkeypatch, conn_id, statement, refusal):
    _set_connections(monkeypatch, readers)
    table = "erp_customers" if "erp" in conn_id else "crm_accounts"
    hook = tdb._hook(conn_id)
    assert hook.get_first(f"SELECT count(*) FROM {table}")[0] > 0  # over TCP, with the password
    with pytest.raises(Exception, match=refusal):
        tdb.execute(conn_id, [statement])


def test_no_password_in_the_python_logs_of_an_extraction(readers, monkeypatch, tmp_path, caplog):
    _set_connections(monkeypatch, readers)
    settings = settings_for(tmp_path)
    caplog.set_level(logging.DEBUG)
    erp = extract_database(settings, database_source("erp", "ar_test_db_erp_reader", ERP, schema="public"), "b1")
    crm = extract_database(settings, database_source("crm", "ar_test_db_crm_reader", CRM), "b1")
    assert erp.tables["erp_invoices"].rows_loaded > 0 and crm.tables["crm_contacts"].rows_loaded > 0
    # Personal data reaches raw (the worklist needs channel, masked phone/e-mail); marts never publish it.
    assert query(settings.warehouse_path, "SELECT count(*) FROM raw.crm_contacts WHERE phone IS NOT NULL")[0][0] > 0
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "ar_test_db_erp_reader" in logged  # the logs do name the connection...
    for password in readers["passwords"].values():
        assert password not in logged  # ...never its password


def test_no_password_in_the_task_logs_of_an_airflow_extract_run(readers, monkeypatch, tmp_path):
    _set_connections(monkeypatch, readers)
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n"
        f"  - {{name: erp, kind: database, conn_id: ar_test_db_erp_reader, schema: public, tables: {list(ERP)}}}\n"
        f"  - {{name: crm, kind: database, conn_id: ar_test_db_crm_reader, tables: {list(CRM)}}}\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    settings = settings_for(home, AR_SOURCES_FILE=str(sources))
    monkeypatch.setenv("AR_SOURCES_FILE", str(sources))
    prepare_airflow(settings)
    result = run_dag(settings, "ar_extract", dt.date(2026, 10, 31))
    # `airflow dags test` runs the tasks in its own process: their logs are in the run's log file.
    log_files = [p for p in home.rglob("*") if p.is_file() and "logs" in p.parts]
    assert result.log_path in log_files
    text = "\n".join(p.read_text(errors="replace") for p in log_files)
    assert "task_id=extract_sources" in text and "crm_contacts" in text and "ar_test_db_crm_reader" in text
    for password in readers["passwords"].values():
        assert password not in text
    assert query(settings.warehouse_path, "SELECT count(*) FROM raw.crm_contacts")[0][0] > 0
