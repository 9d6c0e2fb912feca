"""Put the demo data into real databases: ERP tables in PostgreSQL, CRM tables in MySQL/MariaDB.

``ar-risk demo --source databases`` and the database tests use this to stand
up a source system the extractor then reads like any company's ERP/CRM: the
generator writes its tables (Parquet, so types survive), and each table is
created with native column types (``TIMESTAMPTZ`` on PostgreSQL, ``DATETIME(6)``
in UTC on MariaDB, ``NUMERIC``/``DECIMAL`` money, a primary key on the
contract key, an index on ``updated_at``) plus an ``is_deleted`` soft-delete
flag, then filled in bulk (COPY on PostgreSQL, batched multi-row INSERTs on
MariaDB).

Connections go through Airflow connection ids (``AIRFLOW_CONN_<ID>``), the
same way the extractor reaches them. Database names are checked before they
are put into DDL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads

from ar_risk.contract import TABLES, Table

ERP_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES.values() if t.system == "erp")
CRM_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES.values() if t.system == "crm")

POSTGRES_TYPES = {
    "string": "TEXT",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "money": "NUMERIC(18,2)",
    "rate": "NUMERIC(18,8)",
    "int": "INTEGER",
    "bool": "BOOLEAN",
}
MYSQL_TYPES = {
    "string": "TEXT",
    "date": "DATE",
    "timestamp": "DATETIME(6)",  # MySQL DATETIME has no zone: the demo stores UTC
    "money": "DECIMAL(18,2)",
    "rate": "DECIMAL(18,8)",
    "int": "INT",
    "bool": "BOOLEAN",
}
INSERT_BATCH_ROWS = 5_000
_DB_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class LoadedTables:
    conn_id: str
    row_counts: dict[str, int]


def env_var_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


@contextmanager
def airflow_connections(uris: dict[str, str]) -> Iterator[None]:
    """Define Airflow connections (conn_id -> URI or JSON) as env vars for the block."""
    saved = {env_var_name(k): os.environ.get(env_var_name(k)) for k in uris}
    os.environ.update({env_var_name(k): v for k, v in uris.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def postgres_uri(database: str, *, host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> str:
    return f"postgres://{user}@{host}:{port}/{database}"


def mysql_uri(database: str, *, host: str = "127.0.0.1", port: int = 3306, user: str = "root") -> str:
    # The provider's pure-Python client: mysqlclient (MySQLdb) is not installed.
    return f"mysql://{user}@{host}:{port}/{database}?client=mysql-connector-python"


def _hook(conn_id: str):
    from airflow.sdk import BaseHook

    return BaseHook.get_connection(conn_id).get_hook()


def _check_name(name: str) -> str:
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"database name {name!r} must be lower_snake_case (a-z, 0-9, _)")
    return name


def recreate_database(admin_conn_id: str, database: str) -> None:
    """Drop ``database`` if it exists and create it empty (PostgreSQL or MySQL/MariaDB)."""
    _run_admin(admin_conn_id, database, create=True)


def drop_database(admin_conn_id: str, database: str) -> None:
    _run_admin(admin_conn_id, database, create=False)


def _run_admin(admin_conn_id: str, database: str, *, create: bool) -> None:
    database = _check_name(database)
    hook = _hook(admin_conn_id)
    conn = hook.get_conn()
    try:
        if hook.conn_type == "mysql":
            cur = conn.cursor()
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
            if create:
                cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        else:
            conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
            cur = conn.cursor()
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            if create:
                cur.execute(f"CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0")
        cur.close()
    finally:
        conn.close()


def create_table_sql(table: Table, dialect: str) -> list[str]:
    """DDL for one contract table with native types, its key, an updated_at index, is_deleted."""
    mysql = dialect == "mysql"
    types = MYSQL_TYPES if mysql else POSTGRES_TYPES

    def q(name: str) -> str:
        return f"`{name}`" if mysql else f'"{name}"'

    cols = []
    for c in table.columns:
        sql_type = types[c.type]
        if mysql and c.type == "string" and c.name in table.key:
            sql_type = "VARCHAR(64)"  # MySQL indexes need a bounded length
        cols.append(f"{q(c.name)} {sql_type}{'' if c.nullable else ' NOT NULL'}")
    cols.append(f"{q('is_deleted')} BOOLEAN NOT NULL DEFAULT FALSE")
    cols.append(f"PRIMARY KEY ({', '.join(q(k) for k in table.key)})")
    statements = [f"CREATE TABLE {q(table.name)} ({', '.join(cols)})"]
    if "updated_at" in table.column_names:
        # Incremental extraction selects by updated_at: index it, as a real ERP should.
        statements.append(f"CREATE INDEX {q(table.name + '_updated_at')} ON {q(table.name)} ({q('updated_at')})")
    return statements


def _read_table(source_dir: Path, name: str) -> pa.Table:
    folder = source_dir / name
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{folder} has no Parquet files (generate the demo with file_format='parquet')")
    return pads.dataset([str(f) for f in files], format="parquet").to_table()


def _python_rows(table: pa.Table, *, naive_utc: bool) -> Iterator[list[tuple]]:
    for batch in table.to_batches(max_chunksize=INSERT_BATCH_ROWS):
        columns = []
        for column in batch.columns:
            values = column.to_pylist()
            if naive_utc and pa.types.is_timestamp(column.type):
                values = [v.astimezone(dt.UTC).replace(tzinfo=None) if v is not None else None for v in values]
            columns.append(values)
        yield list(zip(*columns, strict=True))


def load_tables(conn_id: str, source_dir: Path, tables: Sequence[str]) -> LoadedTables:
    """Create ``tables`` in the database of ``conn_id`` and fill them from the generator's Parquet files."""
    hook = _hook(conn_id)
    mysql = hook.conn_type == "mysql"
    conn = hook.get_conn()
    counts: dict[str, int] = {}
    try:
        cur = conn.cursor()
        for name in tables:
            contract = TABLES[name]
            data = _read_table(Path(source_dir), name).select(contract.column_names)
            for statement in create_table_sql(contract, "mysql" if mysql else "postgres"):
                cur.execute(statement)
            cols = ", ".join((f"`{c}`" if mysql else f'"{c}"') for c in contract.column_names)
            if mysql:
                insert = f"INSERT INTO `{name}` ({cols}) VALUES ({', '.join(['%s'] * data.num_columns)})"
                for rows in _python_rows(data, naive_utc=True):
                    cur.executemany(insert, rows)
            else:
                with cur.copy(f'COPY "{name}" ({cols}) FROM STDIN') as copy:
                    for rows in _python_rows(data, naive_utc=False):
                        for row in rows:
                            copy.write_row(row)
            counts[name] = data.num_rows
        conn.commit()
        cur.close()
    finally:
        conn.close()
    return LoadedTables(conn_id=conn_id, row_counts=counts)


def execute(conn_id: str, statements: Sequence[str | tuple[str, Sequence[Any]]]) -> None:
    """Run statements in one transaction (tests change source rows this way)."""
    hook = _hook(conn_id)
    conn = hook.get_conn()
    try:
        cur = conn.cursor()
        for statement in statements:
            sql, params = (statement, None) if isinstance(statement, str) else statement
            cur.execute(sql, params)
        conn.commit()
        cur.close()
    finally:
        conn.close()


# --- the demo from databases (`ar-risk demo --source databases`) -----------------------------------

DEMO_ERP_DATABASE = "ar_demo_erp"
DEMO_CRM_DATABASE = "ar_demo_crm"
# Admin connections that may create the demo databases; an AIRFLOW_CONN_<ID> variable overrides
# the default (the local services, no password).
DEMO_ADMIN_CONNECTIONS = {
    "ar_demo_postgres_admin": postgres_uri("postgres"),
    "ar_demo_mysql_admin": mysql_uri(""),
}
DEMO_SOURCES_YAML = """\
# Written by `ar-risk demo --source databases`: the demo ERP in PostgreSQL, the CRM in MariaDB.
# Connections come from AIRFLOW_CONN_AR_DEMO_ERP / AIRFLOW_CONN_AR_DEMO_CRM (docs/sources.md).
sources:
  - name: erp
    kind: database
    conn_id: ar_demo_erp
    schema: public
    tables: erp
  - name: crm
    kind: database
    conn_id: ar_demo_crm
    tables: crm
"""


@dataclass(frozen=True)
class DemoDatabases:
    sources_file: Path
    connections: dict[str, str]  # conn_id -> Airflow connection JSON (for AIRFLOW_CONN_<ID>)
    row_counts: dict[str, int]
    where: dict[str, str]  # conn_id -> host:port/database, for people (no password)

    @property
    def env(self) -> dict[str, str]:
        """What the pipeline's processes need: the sources file and the two connections."""
        return {"AR_SOURCES_FILE": str(self.sources_file)} | {env_var_name(k): v for k, v in self.connections.items()}


def _with_database(admin_conn_id: str, database: str) -> tuple[str, str]:
    """The admin connection pointed at ``database``, as Airflow connection JSON; and where it is."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(admin_conn_id)
    value = json.dumps(
        {
            "conn_type": conn.conn_type,
            "host": conn.host,
            "port": conn.port,
            "login": conn.login,
            "password": conn.password,
            "schema": database,
            "extra": conn.extra_dejson,
        }
    )
    return value, f"{conn.conn_type}://{conn.host}:{conn.port}/{database}"


def build_demo_databases(source_dir: Path, home: Path) -> DemoDatabases:
    """Recreate ar_demo_erp (PostgreSQL) and ar_demo_crm (MariaDB) from the generator's Parquet files."""
    logging.getLogger("mysql.connector").setLevel(logging.WARNING)  # its plugin chatter is not for people
    admins = {cid: os.environ.get(env_var_name(cid)) or default for cid, default in DEMO_ADMIN_CONNECTIONS.items()}
    with airflow_connections(admins):
        erp, erp_where = _with_database("ar_demo_postgres_admin", DEMO_ERP_DATABASE)
        crm, crm_where = _with_database("ar_demo_mysql_admin", DEMO_CRM_DATABASE)
        recreate_database("ar_demo_postgres_admin", DEMO_ERP_DATABASE)
        recreate_database("ar_demo_mysql_admin", DEMO_CRM_DATABASE)
    connections = {"ar_demo_erp": erp, "ar_demo_crm": crm}
    with airflow_connections(connections):
        counts = load_tables("ar_demo_erp", source_dir, ERP_TABLES).row_counts
        counts |= load_tables("ar_demo_crm", source_dir, CRM_TABLES).row_counts
    sources_file = Path(home) / "sources.demo.yml"
    sources_file.parent.mkdir(parents=True, exist_ok=True)
    sources_file.write_text(DEMO_SOURCES_YAML, encoding="utf-8")
    return DemoDatabases(
        sources_file=sources_file,
        connections=connections,
        row_counts=counts,
        where={"ar_demo_erp": erp_where, "ar_demo_crm": crm_where},
    )
