"""Throwaway ERP (PostgreSQL) and CRM (MariaDB) databases for the database-source tests.

Every database and user is named ``ar_test_db_<pid>_<random>...`` and dropped
when the block ends, also when the test fails. Connections are Airflow
connections defined through ``AIRFLOW_CONN_<ID>`` variables, as in production.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from ar_risk.contract import TABLES
from ar_risk.demo import to_database as tdb
from ar_risk.extract.sources import DatabaseSource, TableOptions

PG_ADMIN = "ar_test_db_pg_admin"
MYSQL_ADMIN = "ar_test_db_mysql_admin"
ADMIN_CONNECTIONS = {PG_ADMIN: tdb.postgres_uri("postgres"), MYSQL_ADMIN: tdb.mysql_uri("")}


def unique_name(what: str) -> str:
    return f"ar_test_db_{what}_{os.getpid()}_{secrets.token_hex(3)}"


@contextmanager
def admin_connections() -> Iterator[None]:
    with tdb.airflow_connections(ADMIN_CONNECTIONS):
        yield


@contextmanager
def source_database(kind: str, source_dir: Path, tables: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """A fresh database of ``kind`` (postgres|mysql) holding ``tables``; yields (conn_id, database)."""
    database = unique_name(kind[:2])
    admin = PG_ADMIN if kind == "postgres" else MYSQL_ADMIN
    uri = tdb.postgres_uri(database) if kind == "postgres" else tdb.mysql_uri(database)
    with admin_connections():
        tdb.recreate_database(admin, database)
        try:
            with tdb.airflow_connections({database: uri}):
                tdb.load_tables(database, source_dir, tables)
                yield database, database
        finally:
            tdb.drop_database(admin, database)


@contextmanager
def erp_and_crm(source_dir: Path) -> Iterator[tuple[str, str]]:
    """The demo ERP in PostgreSQL and CRM in MariaDB; yields their conn ids."""
    with ExitStack() as stack:
        erp, _ = stack.enter_context(source_database("postgres", source_dir, tdb.ERP_TABLES))
        crm, _ = stack.enter_context(source_database("mysql", source_dir, tdb.CRM_TABLES))
        yield erp, crm


def database_source(name: str, conn_id: str, tables, *, schema: str | None = None, **options) -> DatabaseSource:
    defaults = {"full_refresh": False, "lookback": dt.timedelta(hours=1), "chunk_size": 50_000}
    defaults.update(options)
    return DatabaseSource(
        name=name,
        conn_id=conn_id,
        schema=schema,
        tables=tuple(TableOptions(name=t, **defaults) for t in tables),
    )


def raw_contract_rows(warehouse: Path, table: str, *, with_deleted: bool = False) -> list[tuple]:
    """Every row of raw.<table>, contract columns only (optionally is_deleted), sorted."""
    cols = list(TABLES[table].column_names)
    if with_deleted:
        cols.append("coalesce(is_deleted, false)")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"SELECT {', '.join(cols)} FROM raw.{table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
