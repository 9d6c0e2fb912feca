"""Connections to the DuckDB warehouse.

Only tasks in the ``ar_warehouse`` pool open it for writing; everybody else
reads the published copy (see :mod:`ar_risk.publish`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ar_risk.config import Settings


def connect_warehouse(settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path: Path = settings.warehouse_path
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist yet: run the extract DAG first")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    # Timestamps are stored in UTC; the session zone makes offsets convert the same way everywhere.
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
    return con


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (column names come from users' files)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
