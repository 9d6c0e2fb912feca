"""Publish the serving tables to a PostgreSQL schema for BI tools (optional: AR_BI_POSTGRES_URL).

The new publication is loaded into ``<schema>__incoming`` and swapped in by
renaming schemas, all in one transaction: a BI query sees the previous
publication or the new one, never a mix, and a failure (a lost connection, a
type PostgreSQL rejects) rolls everything back, leaving the previous
publication as it was. Tables of ``marts`` keep their names; the manifest
tables of ``meta`` become ``meta_<name>`` in the same schema.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import duckdb

from ar_risk.config import MARTS_SCHEMA
from ar_risk.redact import redact, url_secrets

log = logging.getLogger(__name__)

BATCH_ROWS = 20_000

_SIMPLE_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
}


class PostgresPublicationError(RuntimeError):
    """The PostgreSQL publication failed and was rolled back; the previous one is intact."""


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB one; lists and structs travel as JSON text."""
    upper = duckdb_type.upper()
    if upper in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[upper]
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    return "text"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value):
    return json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def publish_to_postgres(serving_file: Path, url: str, schema: str) -> dict[str, int]:
    """Copy every table of ``marts`` and ``meta`` in ``serving_file`` into ``schema``; returns rows per table."""
    import psycopg

    incoming, previous = f"{schema}__incoming", f"{schema}__previous"
    source = duckdb.connect(str(serving_file), read_only=True)
    counts: dict[str, int] = {}
    try:
        tables = source.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN (?, 'meta') ORDER BY table_schema DESC, table_name",
            [MARTS_SCHEMA],
        ).fetchall()
        try:
            with psycopg.connect(url, connect_timeout=10) as pg, pg.transaction():
                pg.execute(f"DROP SCHEMA IF EXISTS {_quote(incoming)} CASCADE")
                pg.execute(f"CREATE SCHEMA {_quote(incoming)}")
                for table_schema, table in tables:
                    target = table if table_schema == MARTS_SCHEMA else f"meta_{table}"
                    columns = source.execute(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                        [table_schema, table],
                    ).fetchall()
                    ddl = ", ".join(f"{_quote(c)} {postgres_type(t)}" for c, t in columns)
                    pg.execute(f"CREATE TABLE {_quote(incoming)}.{_quote(target)} ({ddl})")
                    names = ", ".join(_quote(c) for c, _ in columns)
                    cursor = source.execute(f"SELECT * FROM {_quote(table_schema)}.{_quote(table)}")
                    rows = 0
                    with pg.cursor().copy(f"COPY {_quote(incoming)}.{_quote(target)} ({names}) FROM STDIN") as copy:
                        while batch := cursor.fetchmany(BATCH_ROWS):
                            for row in batch:
                                copy.write_row([_cell(v) for v in row])
                            rows += len(batch)
                    counts[target] = rows
                # The swap: readers block on the renames for a moment and then see the new tables.
                pg.execute(f"DROP SCHEMA IF EXISTS {_quote(previous)} CASCADE")
                exists = pg.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
                if exists:
                    pg.execute(f"ALTER SCHEMA {_quote(schema)} RENAME TO {_quote(previous)}")
                pg.execute(f"ALTER SCHEMA {_quote(incoming)} RENAME TO {_quote(schema)}")
                pg.execute(f"DROP SCHEMA IF EXISTS {_quote(previous)} CASCADE")
        except psycopg.Error as exc:
            # Every credential form of the URL (user:pw@, ?password=, ...) and the password itself masked.
            message = redact(
                f"publishing to PostgreSQL {url} schema {schema!r} failed and was rolled back "
                f"(the previous publication there is intact): {exc}",
                secrets=url_secrets(url),
            )
            driver_message = str(exc)
            cause = exc if redact(driver_message, secrets=url_secrets(url)) == driver_message else None
            raise PostgresPublicationError(message) from cause
    finally:
        source.close()
    log.info("published %s tables to PostgreSQL schema %s", len(counts), schema)
    return counts
